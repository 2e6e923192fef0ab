// Emits dist/shouyin.licenses.txt, the notices of the code bundled into shouyin.js (Lit's BSD-3-Clause
// asks for its notice to travel with binary redistributions). The bundle itself carries only a
// one-line pointer: every byte of it counts against the 16 KB budget.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// Packages with an "exports" map hide their LICENSE from require.resolve; it sits beside the entry.
const text = (pkg, file) => readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8').trim();

// src/qr/encode.ts follows the algorithm of Project Nayuki's QR Code generator library (MIT).
const NAYUKI_MIT = `Copyright (c) Project Nayuki. (MIT License)
https://www.nayuki.io/page/qr-code-generator-library

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:
- The above copyright notice and this permission notice shall be included in all copies or
  substantial portions of the Software.
- The Software is provided "as is", without warranty of any kind, express or implied, including but
  not limited to the warranties of merchantability, fitness for a particular purpose and
  noninfringement. In no event shall the authors or copyright holders be liable for any claim,
  damages or other liability, whether in an action of contract, tort or otherwise, arising from,
  out of or in connection with the Software or the use or other dealings in the Software.

QR Code is a registered trademark of DENSO WAVE INCORPORATED.`;

export const LICENSES_FILE = 'shouyin.licenses.txt';

export function licensesPlugin() {
  return {
    name: 'shouyin:licenses',
    generateBundle(options) {
      if (options.format !== 'es') return;
      const parts = [
        ['Shouyin checkout widget (shouyin.js, shouyin.iife.js): MIT, the Shouyin authors', ''],
        ['lit-html (Lit)', text('lit', 'LICENSE')],
        ["QR encoder (src/qr/encode.ts): after Project Nayuki's QR Code generator (MIT)", NAYUKI_MIT],
      ];
      const source = `${parts.map(([name, body]) => `== ${name}\n\n${body}`.trim()).join('\n\n\n')}\n`;
      this.emitFile({ type: 'asset', fileName: LICENSES_FILE, source });
    },
  };
}
