// Emits dist/shouyin.licenses.txt, the notices of the code bundled into shouyin.js (Lit's BSD-3-Clause
// asks for its notice to travel with binary redistributions). The bundle itself carries only a
// one-line pointer: every byte of it counts against the 16 KB budget.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// Packages with an "exports" map hide their LICENSE from require.resolve; it sits beside the entry.
const text = (pkg, file) => readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8').trim();

// qrcode-generator ships no LICENSE file; its source header names the licence and the holder.
const QRCODE_MIT = `Copyright (c) 2009 Kazuhiko Arase

URL: http://www.d-project.com/

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

The word 'QR Code' is registered trademark of DENSO WAVE INCORPORATED.`;

export const LICENSES_FILE = 'shouyin.licenses.txt';

export function licensesPlugin() {
  return {
    name: 'shouyin:licenses',
    generateBundle(options) {
      if (options.format !== 'es') return;
      const parts = [
        ['Shouyin checkout widget (shouyin.js, shouyin.iife.js): MIT, the Shouyin authors', ''],
        ['lit, lit-html, lit-element, @lit/reactive-element', text('lit', 'LICENSE')],
        ['qrcode-generator (MIT)', QRCODE_MIT],
      ];
      const source = parts.map(([name, body]) => `== ${name}\n\n${body}`.trim()).join('\n\n\n') + '\n';
      this.emitFile({ type: 'asset', fileName: LICENSES_FILE, source });
    },
  };
}
