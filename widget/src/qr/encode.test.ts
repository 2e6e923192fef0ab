import { describe, expect, it } from 'vitest';
import qrcodeSource from '../../../node_modules/qrcode-generator/dist/qrcode.mjs?raw';
import { encodeQr, penalty } from './encode';
import { MAX_BYTES_M, testInputs } from './test-inputs';
import vectors from './vectors.json';

type QrcodeGenerator = typeof import('qrcode-generator');

/**
 * qrcode-generator (a devDependency, tests only) with its mask choice replaced by `mask`. Its own
 * choice uses a penalty that is not the ISO one, so it is compared mask by mask.
 */
async function referenceWithMask(): Promise<(bytes: Uint8Array, mask: number) => { n: number; dark: (r: number, c: number) => boolean }> {
  const marker = 'makeImpl(false, getBestMaskPattern() );';
  expect(qrcodeSource).toContain(marker);
  const src = qrcodeSource.replace(marker, 'makeImpl(false, globalThis.__shouyinQrMask);');
  const mod = (await import(/* @vite-ignore */ `data:text/javascript,${encodeURIComponent(src)}`)) as { default: QrcodeGenerator };
  return (bytes, mask) => {
    (globalThis as { __shouyinQrMask?: number }).__shouyinQrMask = mask;
    const qr = mod.default(0, 'M');
    qr.addData(String.fromCharCode(...bytes), 'Byte');
    qr.make();
    return { n: qr.getModuleCount(), dark: (r, c) => qr.isDark(r, c) };
  };
}

async function sha256Prefix(bits: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bits)));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

const inputs = testInputs();

describe('encodeQr against qrcode-generator, every mask', () => {
  it('draws the same modules for all 120 inputs (versions 1–40) under each of the 8 masks', async () => {
    const ref = await referenceWithMask();
    let compared = 0;
    for (const bytes of inputs) {
      for (let mask = 0; mask < 8; mask++) {
        const mine = encodeQr(bytes, mask);
        const theirs = ref(bytes, mask);
        expect(mine.size, `length ${bytes.length}`).toBe(theirs.n);
        for (let r = 0; r < mine.size; r++) {
          for (let c = 0; c < mine.size; c++) {
            if (!!mine.modules[r * mine.size + c] !== theirs.dark(r, c)) {
              throw new Error(`length ${bytes.length}, version ${mine.version}, mask ${mask}: module (${r}, ${c}) differs`);
            }
          }
        }
        compared++;
      }
    }
    expect(compared).toBe(inputs.length * 8);
  }, 60_000); // about 3 s alone; generous for a loaded CI machine
});

describe('encodeQr against Project Nayuki’s encoder (ISO 18004 mask selection)', () => {
  it('matches version, mask and every module for each vector', async () => {
    expect(vectors).toHaveLength(inputs.length);
    const masks = new Set<number>();
    for (const [i, bytes] of inputs.entries()) {
      const [len, version, mask, hash] = vectors[i] as [number, number, number, string];
      const qr = encodeQr(bytes);
      expect(bytes.length).toBe(len);
      expect({ len, version: qr.version, mask: qr.mask }).toEqual({ len, version, mask });
      expect(await sha256Prefix(qr.modules), `length ${len}`).toBe(hash);
      masks.add(mask);
    }
    // The vectors exercise the selection, not one lucky mask.
    expect(masks.size).toBe(8);
  }, 30_000);
});

describe('encodeQr', () => {
  it('uses the smallest version that fits: ISO 18004 Table 7 byte capacities at level M', () => {
    MAX_BYTES_M.forEach((max, i) => {
      expect(encodeQr(new Uint8Array(max)).version).toBe(i + 1);
      if (i < 39) expect(encodeQr(new Uint8Array(max + 1)).version).toBe(i + 2);
    });
    expect(encodeQr(new Uint8Array(0)).size).toBe(21);
    expect(encodeQr(new Uint8Array(2331)).size).toBe(177);
  }, 30_000);

  it('refuses more than version 40 holds', () => {
    expect(() => encodeQr(new Uint8Array(2332))).toThrow(RangeError);
  });
});

describe('penalty (ISO 18004 §7.8.3.1), counted by hand', () => {
  const grid = (rows: string[]) => Uint8Array.from(rows.join(''), (c) => +(c === '#'));
  const light = (n: number, w: number): string[] => Array(n).fill('.'.repeat(w));

  it('a checkerboard scores nothing: no runs, no blocks, no finder-like patterns, half dark', () => {
    const rows = Array.from({ length: 21 }, (_, y) => Array.from({ length: 21 }, (_, x) => ((x + y) % 2 ? '.' : '#')).join(''));
    expect(penalty(grid(rows), 21)).toBe(0);
  });

  it('N1 3 + 1 per module past five, N2 3 per block, N4 10 per 5 % off half dark', () => {
    // 6×6 light: 12 runs of six (4 each) = 48; 25 blocks = 75; 0 % dark is k = 9 → 90.
    expect(penalty(grid(light(6, 6)), 6)).toBe(48 + 75 + 90);
  });

  it('N3: 40 for a 1:1:3:1:1 pattern for each side with four light modules, the quiet zone counting as light', () => {
    // Row 0 of an 11×11 symbol, the rest light. N1: rows 1–10 runs of 11 (9 each) = 90; columns:
    // 8 for each column with one dark module (5), 9 for the others (6) = 94. N2: 90 blocks in rows
    // 1–10 plus 3 in rows 0–1 = 279. N4: 6 dark of 121 → 90. N3: light on both sides → 2 × 40.
    expect(penalty(grid(['#.###.#....', ...light(10, 11)]), 11)).toBe(90 + 94 + 279 + 90 + 80);
    // The same row without the pattern: columns 95, blocks 282, N4 90, no N3.
    expect(penalty(grid(['#.##..#....', ...light(10, 11)]), 11)).toBe(90 + 95 + 282 + 90);
  });
});
