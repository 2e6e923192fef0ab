// Emits dist/shouyin.licenses.txt, the notices of the code bundled into shouyin.js (Lit's BSD-3-Clause
// asks for its notice to travel with binary redistributions). The bundle itself carries only a
// one-line pointer: every byte of it counts against the 12 KB budget. (QR codes are encoded by the Worker: no encoder
// ships in the widget.)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// Packages with an "exports" map hide their LICENSE from require.resolve; it sits beside the entry.
const text = (pkg, file) => readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8').trim();

export const LICENSES_FILE = 'shouyin.licenses.txt';

export function licensesPlugin() {
  return {
    name: 'shouyin:licenses',
    generateBundle(options) {
      if (options.format !== 'es') return;
      const parts = [
        ['Shouyin checkout widget (shouyin.js, shouyin.iife.js): MIT, the Shouyin authors', ''],
        ['lit-html (Lit)', text('lit', 'LICENSE')],
      ];
      const source = `${parts.map(([name, body]) => `== ${name}\n\n${body}`.trim()).join('\n\n\n')}\n`;
      this.emitFile({ type: 'asset', fileName: LICENSES_FILE, source });
    },
  };
}
