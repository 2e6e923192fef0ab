import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './encoding';
import { generateEcKey } from '../../../sandbox/src/apple/pki';
import { ecdsaDerToRaw, ecdsaRawToDer, spkiCurve } from './ecdsa';

const spkiOf = async (k: CryptoKey) => new Uint8Array((await crypto.subtle.exportKey('spki', k)) as ArrayBuffer);

describe('ECDSA signature encodings', () => {
  it('DER ⇄ raw R‖S, with the sign-bit padding and leading zeros X.690 requires', () => {
    // r has its top bit set (needs a 0x00 pad), s starts with zero bytes (which DER drops).
    const raw = fromHex(`80${'11'.repeat(31)}0000${'22'.repeat(30)}`);
    const der = ecdsaRawToDer(raw);
    expect(toHex(der)).toBe(`3043022100${'80'}${'11'.repeat(31)}021e${'22'.repeat(30)}`);
    expect(toHex(ecdsaDerToRaw(der, 32)!)).toBe(toHex(raw));
  });

  it('round-trips WebCrypto signatures on P-256 and P-384', async () => {
    for (const [curve, size, hash] of [
      ['P-256', 32, 'SHA-256'],
      ['P-384', 48, 'SHA-384'],
    ] as const) {
      const k = await generateEcKey(curve);
      for (let i = 0; i < 8; i++) {
        const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash }, k.privateKey, new Uint8Array([i])));
        expect(raw.length).toBe(2 * size);
        expect(toHex(ecdsaDerToRaw(ecdsaRawToDer(raw), size)!)).toBe(toHex(raw));
      }
    }
  });

  it('refuses anything but one minimal, positive Ecdsa-Sig-Value that fits the curve', () => {
    const good = ecdsaRawToDer(fromHex(`01${'00'.repeat(31)}02${'00'.repeat(31)}`));
    expect(ecdsaDerToRaw(good, 32)).not.toBeNull();
    expect(ecdsaDerToRaw(new Uint8Array([...good, 0]), 32)).toBeNull(); // trailing byte
    expect(ecdsaDerToRaw(fromHex('3006020100020101'), 32)).toBeNull(); // r = 0
    expect(ecdsaDerToRaw(fromHex('300702020001020101'), 32)).toBeNull(); // non-minimal r
    expect(ecdsaDerToRaw(fromHex('3006020180020101'), 32)).toBeNull(); // negative r
    expect(ecdsaDerToRaw(fromHex('3009020101020101020101'), 32)).toBeNull(); // three integers
    expect(ecdsaDerToRaw(good, 16)).toBeNull(); // too long for the curve
    expect(ecdsaDerToRaw(fromHex('00'.repeat(64)), 32)).toBeNull(); // raw, not DER
  });

  it('names the curve of EC keys and nothing else', async () => {
    expect(spkiCurve(await spkiOf((await generateEcKey('P-256')).publicKey))).toEqual({ curve: 'P-256', size: 32 });
    expect(spkiCurve(await spkiOf((await generateEcKey('P-384')).publicKey))).toEqual({ curve: 'P-384', size: 48 });
    const rsa = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    expect(spkiCurve(await spkiOf(rsa.publicKey))).toBeUndefined();
    expect(spkiCurve(new Uint8Array([0x30, 0x00]))).toBeUndefined();
  });
});
