/**
 * A QR code encoder for exactly what the widget needs (ISO/IEC 18004:2015): byte mode, error
 * correction level M, versions 1–40, the smallest version that fits, the mask with the lowest
 * penalty (§7.8.3). Tested module for module against two independent encoders (qr/encode.test.ts).
 * Written for size: every byte here is in the widget's 16 KB budget.
 *
 * The algorithm follows Project Nayuki's QR Code generator (MIT), which is also the reference the
 * mask-selection vectors come from.
 */

// Level M, versions 1–40 (ISO 18004 Table 9), one character per version to keep the bundle small:
// EC codewords per block (char code − 55) and number of blocks (char code − 48).
const EC_PER_BLOCK = 'AGQIOGIMMQUMMOOSSQQQQSSSSSSSSSSSSSSSSSSS';
const BLOCKS = '11122444555899::;=>@AABDEGIJLMOQSUVX[]_a';

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d).
const EXP: number[] = [];
const LOG: number[] = [];
for (let i = 0, x = 1; i < 255; i++, x = (x << 1) ^ (x & 128 ? 0x11d : 0)) (EXP[i] = EXP[i + 255] = x), (LOG[x] = i);
const mul = (a: number, b: number): number => (a && b ? EXP[LOG[a]! + LOG[b]!]! : 0);

/** Reed–Solomon: the `n` EC codewords of `data`. */
function reedSolomon(data: number[], n: number): number[] {
  // Generator (x − α^0)…(x − α^(n−1)), its leading 1 implied.
  const gen: number[] = Array(n).fill(0);
  const rem: number[] = Array(n).fill(0);
  gen[n - 1] = 1;
  for (let i = 0, root = 1; i < n; i++, root = mul(root, 2)) for (let j = 0; j < n; j++) gen[j] = mul(gen[j]!, root) ^ (gen[j + 1] ?? 0);
  for (const b of data) {
    const f = b ^ rem.shift()!;
    rem.push(0);
    for (let j = 0; j < n; j++) rem[j]! ^= mul(gen[j]!, f);
  }
  return rem;
}

/** Mask conditions, x = column, y = row (ISO 18004 Table 10). */
const MASKS: ((x: number, y: number) => number | boolean)[] = [
  (x, y) => (x + y) % 2,
  (_, y) => y % 2,
  (x) => x % 3,
  (x, y) => (x + y) % 3,
  (x, y) => (((x / 3) | 0) + ((y / 2) | 0)) % 2,
  (x, y) => ((x * y) % 2) + ((x * y) % 3),
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2,
];

export interface QrMatrix {
  /** Modules per side (21 for version 1 … 177 for version 40), without the quiet zone. */
  size: number;
  version: number;
  mask: number;
  /** Row-major, 1 = dark. */
  modules: Uint8Array;
}

/**
 * Encodes `bytes` in byte mode at level M. `mask` forces a mask pattern (tests); by default the one
 * with the lowest penalty wins, the lowest-numbered on a tie. Throws past version 40 (2331 bytes).
 */
export function encodeQr(bytes: Uint8Array, mask?: number): QrMatrix {
  let v = 0;
  let total: number;
  let ec: number;
  let nb: number;
  do {
    if (++v > 40) throw new RangeError('QR data too long');
    // Codewords a version holds: its modules less the function patterns, over 8.
    const a = ((v / 7) | 0) + 2;
    total = ((16 * v + 128) * v + 64 - (v > 1 ? (25 * a - 10) * a - 55 + (v > 6 ? 36 : 0) : 0)) >> 3;
    ec = EC_PER_BLOCK.charCodeAt(v - 1) - 55;
    nb = BLOCKS.charCodeAt(v - 1) - 48;
  } while (4 + (v < 10 ? 8 : 16) + 8 * bytes.length > 8 * (total - ec * nb));
  const dataLen = total - ec * nb;
  const size = v * 4 + 17;

  // Mode 0100 (byte), the character count, the data, a terminator of up to 4 zero bits, zeros to a
  // byte boundary, then the pad bytes 0xEC 0x11 alternating.
  let bits = `0100${bytes.length.toString(2).padStart(v < 10 ? 8 : 16, '0')}`;
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  bits += '0000'.slice(0, Math.max(0, dataLen * 8 - bits.length));
  const data = (bits + '0000000'.slice(0, -bits.length & 7)).match(/.{8}/g)!.map((b) => parseInt(b, 2));
  for (let pad = 0xec; data.length < dataLen; pad ^= 0xfd) data.push(pad);

  // Blocks (the short ones first), each with its EC codewords, then interleaved.
  const short = (total / nb) | 0;
  const blocks: number[][] = [];
  for (let i = 0, k = 0; i < nb; i++) blocks.push(data.slice(k, (k += short - ec + +(i >= nb - (total % nb)))));
  const ecs = blocks.map((b) => reedSolomon(b, ec));
  const words: number[] = [];
  for (let i = 0; i <= short - ec; i++) for (const b of blocks) if (i < b.length) words.push(b[i]!);
  for (let i = 0; i < ec; i++) for (const e of ecs) words.push(e[i]!);

  // Function patterns; `fn` marks the modules data and masks must not touch.
  const base = new Uint8Array(size * size);
  const fn = new Uint8Array(size * size);
  const set = (x: number, y: number, dark: number | boolean, m = base) => {
    m[y * size + x] = +dark;
    fn[y * size + x] = 1;
  };
  for (let i = 0; i < size; i++) set(6, i, i % 2 == 0), set(i, 6, i % 2 == 0);
  // Squares around (cx, cy): finders with their light separators (distance ≤ 4, light at 2 and 4),
  // alignment patterns (distance ≤ 2, light at 1).
  const square = (cx: number, cy: number, r: number) => {
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        const x = cx + dx;
        const y = cy + dy;
        if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, r > 2 ? d != 2 && d != 4 : d != 1);
      }
    }
  };
  square(3, 3, 4);
  square(size - 4, 3, 4);
  square(3, size - 4, 4);
  if (v > 1) {
    const n = ((v / 7) | 0) + 2;
    const step = (((v * 8 + n * 3 + 5) / (n * 4 - 4)) | 0) * 2;
    const al = [6];
    for (let p = size - 7; al.length < n; p -= step) al.splice(1, 0, p);
    for (const y of al) for (const x of al) if (!((x == 6 && (y == 6 || y == size - 7)) || (y == 6 && x == size - 7))) square(x, y, 2);
  }
  // Version information (v ≥ 7): 6 bits + 12-bit BCH code, in two 6×3 blocks.
  if (v > 6) {
    let r = v;
    for (let i = 0; i < 12; i++) r = (r << 1) ^ ((r >>> 11) * 0x1f25);
    for (let i = 0; i < 18; i++) {
      const bit = (((v << 12) | r) >>> i) & 1;
      set(size - 11 + (i % 3), (i / 3) | 0, bit);
      set((i / 3) | 0, size - 11 + (i % 3), bit);
    }
  }
  // Format information: level M (00) and the mask, 10-bit BCH code, XOR 0x5412; two copies.
  const format = (k: number, m = base) => {
    let r = k;
    for (let i = 0; i < 10; i++) r = (r << 1) ^ ((r >>> 9) * 0x537);
    const f = ((k << 10) | r) ^ 0x5412;
    for (let i = 0; i < 15; i++) {
      const bit = (f >>> i) & 1;
      set(8, i < 6 ? i : i < 8 ? i + 1 : size - 15 + i, bit, m);
      set(i < 8 ? size - 1 - i : i < 9 ? 7 : 14 - i, 8, bit, m);
    }
    set(8, size - 8, 1, m); // the dark module
  };
  format(0);

  // Data, in two-module columns zigzagging up and down from the bottom right, skipping column 6.
  for (let right = size - 1, i = 0; right > 0; right -= 2) {
    if (right == 6) right = 5;
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = (right + 1) & 2 ? vert : size - 1 - vert;
        if (!fn[y * size + x] && i < words.length * 8) base[y * size + x] = (words[i >> 3]! >>> (7 - (i++ & 7))) & 1;
      }
    }
  }

  let best: QrMatrix | undefined;
  let bestScore = Infinity;
  for (let k = 0; k < 8; k++) {
    if (mask !== undefined && k != mask) continue;
    const m = base.slice();
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (!fn[y * size + x] && !MASKS[k]!(x, y)) m[y * size + x]! ^= 1;
    format(k, m);
    const score = mask ?? penalty(m, size);
    if (score < bestScore) (best = { size, version: v, mask: k, modules: m }), (bestScore = score);
  }
  return best!;
}

/**
 * The ISO 18004 §7.8.3.1 penalty of a masked symbol: N1 runs of five or more same-coloured modules
 * in a row or column (3, plus 1 per module past five), N2 2×2 blocks of one colour (3 each), N3
 * 1:1:3:1:1 finder-like patterns with four light modules on either side, the quiet zone counting as
 * light (40 for each side that has them), N4 10 per full 5 % the dark share strays from 50 %.
 */
export function penalty(m: Uint8Array, size: number): number {
  let score = 0;
  let dark = 0;
  for (let a = 0; a < size * 2; a++) {
    // Run lengths of this line, starting with a light run (possibly empty) and ending with one.
    const runs = [0];
    let c = 0;
    for (let b = 0; b < size; b++) {
      const d = m[a < size ? a * size + b : b * size + a - size]!;
      dark += d;
      if (d != c) runs.push(0), (c = d);
      runs[runs.length - 1]!++;
    }
    if (c) runs.push(0);
    for (const r of runs) if (r > 4) score += r - 2;
    // The quiet zone extends the first and the last light run.
    runs[0]! += size;
    runs[runs.length - 1]! += size;
    for (let j = 0; j + 6 < runs.length; j += 2) {
      const [l, n, ...rest] = runs.slice(j, j + 7) as [number, number, number, number, number, number, number];
      if (rest[0] == n && rest[1] == 3 * n && rest[2] == n && rest[3] == n) score += 40 * (+(l >= 4 * n && rest[4] >= n) + +(rest[4] >= 4 * n && l >= n));
    }
  }
  for (let y = 0; y < size - 1; y++) {
    for (let x = 0; x < size - 1; x++) {
      const c = m[y * size + x];
      if (c == m[y * size + x + 1] && c == m[(y + 1) * size + x] && c == m[(y + 1) * size + x + 1]) score += 3;
    }
  }
  const total = size * size;
  return score + (Math.ceil(Math.abs(dark * 10 - total * 10) / total) - 1) * 10;
}
