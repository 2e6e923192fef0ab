// Regenerates widget/src/qr/vectors.json: for each test input (qr/test-inputs.ts), the version, the
// mask and a SHA-256 of the modules that Project Nayuki's QR Code generator (MIT; the reference for
// ISO 18004 mask selection) produces in byte mode at level M without boosting the level.
//   node widget/scripts/qr-vectors.mjs path/to/nayuki/typescript-javascript/qrcodegen.ts
// Not part of the build or the tests: the vectors are committed, so the tests need no network.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { transform } from 'esbuild';

/** Imports a TypeScript file (Node 20 cannot strip types itself). */
async function importTs(text) {
  const { code } = await transform(text, { loader: 'ts', format: 'esm' });
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}
const { testInputs } = await importTs(readFileSync(new URL('../src/qr/test-inputs.ts', import.meta.url), 'utf8'));

const src = process.argv[2];
if (!src) throw new Error('usage: node widget/scripts/qr-vectors.mjs <nayuki qrcodegen.ts>');
const { default: qrcodegen } = await importTs(`${readFileSync(src, 'utf8')}\nexport default qrcodegen;`);
const { QrCode, QrSegment } = qrcodegen;

const out = testInputs().map((bytes) => {
  const qr = QrCode.encodeSegments([QrSegment.makeBytes([...bytes])], QrCode.Ecc.MEDIUM, 1, 40, -1, false);
  const bits = new Uint8Array(qr.size * qr.size);
  for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++) bits[y * qr.size + x] = qr.getModule(x, y) ? 1 : 0;
  return [bytes.length, qr.version, qr.mask, createHash('sha256').update(bits).digest('hex').slice(0, 16)];
});
writeFileSync(new URL('../src/qr/vectors.json', import.meta.url), `${JSON.stringify(out).replaceAll('],[', '],\n[')}\n`);
console.log(`${out.length} vectors`);
