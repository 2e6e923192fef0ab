// Constant-time comparison for MACs and signatures compared as strings.

import { utf8 } from './encoding';

/** Constant time over the bytes of equal-length inputs; `false` (early) when the lengths differ. */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? utf8(a) : a;
  const y = typeof b === 'string' ? utf8(b) : b;
  // Lengths are not secret here (a signature or MAC has a fixed, public length).
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return diff === 0;
}
