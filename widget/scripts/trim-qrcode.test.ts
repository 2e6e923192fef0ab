import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import qrcode from 'qrcode-generator';
import { describe, expect, it } from 'vitest';
import { trimQrcode } from './trim-qrcode.mjs';

const require = createRequire(import.meta.url);
const source = readFileSync(require.resolve('qrcode-generator').replace(/qrcode\.js$/, 'qrcode.mjs'), 'utf8');

async function load(src: string): Promise<typeof qrcode> {
  const mod = await import(`data:text/javascript;base64,${Buffer.from(src).toString('base64')}`);
  return mod.default;
}

describe('trimQrcode', () => {
  it('cuts the renderers, codecs and other levels', () => {
    const out = trimQrcode(source);
    expect(out.length).toBeLessThan(source.length * 0.7);
    for (const gone of ['gifImage = function', 'createDataURL = function', 'createSvgTag', 'base64DecodeInputStream = function']) {
      expect(out).not.toContain(gone);
    }
    expect(out).toContain('RS_BLOCK_TABLE = [,[1,26,16],,,,[1,44,28]');
  });

  it('draws the same modules as the full library, byte mode, level M, versions 1–40', async () => {
    const trimmed = await load(trimQrcode(source));
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789:/?=&-_.';
    for (const len of [1, 14, 30, 62, 100, 150, 250, 400, 700, 1000, 1500, 2000, 2331]) {
      let data = '';
      for (let i = 0; i < len; i++) data += chars[(i * 7 + len) % chars.length];
      const a = qrcode(0, 'M');
      const b = trimmed(0, 'M');
      a.addData(data, 'Byte');
      b.addData(data, 'Byte');
      a.make();
      b.make();
      const n = a.getModuleCount();
      expect(b.getModuleCount(), `length ${len}`).toBe(n);
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) expect(b.isDark(r, c)).toBe(a.isDark(r, c));
    }
  });

  it('fails loudly instead of guessing when the source does not match', () => {
    expect(() => trimQrcode('export default 1;')).toThrow(/trim-qrcode/);
  });
});
