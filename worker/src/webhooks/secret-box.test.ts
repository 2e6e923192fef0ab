import { describe, expect, it } from 'vitest';
import { ShouyinError } from '../lib/errors';
import { masterKeyring, newEndpointSecret, openSecret, sealSecret } from './secret-box';

const key = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const ONE = { SHOUYIN_MASTER_KEY: `k1:${key(1)}` };
const ROTATED = { SHOUYIN_MASTER_KEY: `k2:${key(2)},k1:${key(1)}` };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('webhook endpoint secrets at rest', () => {
  it('seals without the secret in the stored text, and opens it again', async () => {
    const sealed = await sealSecret(ONE, 'demo/we_1/current', SECRET);
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain(SECRET.slice(6));
    expect(await openSecret(ONE, 'demo/we_1/current', sealed)).toEqual({ secret: SECRET, stale: false });
    // A fresh IV each time: the same secret never seals to the same text.
    expect(await sealSecret(ONE, 'demo/we_1/current', SECRET)).not.toBe(sealed);
  });

  it('does not open for another endpoint or merchant, or under another key', async () => {
    const sealed = await sealSecret(ONE, 'demo/we_1/current', SECRET);
    await expect(openSecret(ONE, 'demo/we_2/current', sealed)).rejects.toThrow(/did not open/);
    await expect(openSecret(ONE, 'other/we_1/current', sealed)).rejects.toThrow(/did not open/);
    await expect(openSecret({ SHOUYIN_MASTER_KEY: `k1:${key(9)}` }, 'demo/we_1/current', sealed)).rejects.toThrow(/did not open/);
  });

  it('during a master key rotation opens with the old key and says to seal again with the new one', async () => {
    const old = await sealSecret(ONE, 'demo/we_1/current', SECRET);
    expect(await openSecret(ROTATED, 'demo/we_1/current', old)).toEqual({ secret: SECRET, stale: true });
    const again = await sealSecret(ROTATED, 'demo/we_1/current', SECRET);
    expect(again.startsWith('v1.k2.')).toBe(true);
    expect(await openSecret(ROTATED, 'demo/we_1/current', again)).toEqual({ secret: SECRET, stale: false });
    // Once k1 is dropped, what it sealed no longer opens: the error names the key, not its bytes.
    const err = await openSecret({ SHOUYIN_MASTER_KEY: `k2:${key(2)}` }, 'demo/we_1/current', old).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShouyinError);
    expect((err as ShouyinError).code).toBe('config_invalid');
    expect((err as ShouyinError).param).toBe('SHOUYIN_MASTER_KEY');
    expect((err as ShouyinError).message).toContain('k1');
  });

  it("refuses a missing or malformed SHOUYIN_MASTER_KEY with the registry's config_invalid, never echoing it", async () => {
    for (const env of [
      {},
      { SHOUYIN_MASTER_KEY: '' },
      { SHOUYIN_MASTER_KEY: 'nokid' },
      { SHOUYIN_MASTER_KEY: `k1:${key(1).slice(4)}` },
      { SHOUYIN_MASTER_KEY: `bad kid:${key(1)}` },
    ]) {
      const err = await sealSecret(env, 'demo/we_1/current', SECRET).catch((e: unknown) => e);
      expect(err, JSON.stringify(env)).toBeInstanceOf(ShouyinError);
      expect((err as ShouyinError).code).toBe('config_invalid');
      expect((err as ShouyinError).param).toMatch(/^SHOUYIN_MASTER_KEY/);
      expect((err as ShouyinError).message).not.toContain(key(1).slice(4, 20));
    }
    expect((await masterKeyring(ROTATED)).active.kid).toBe('k2');
  });

  it('makes Standard Webhooks secrets: whsec_ and 32 random bytes', () => {
    const a = newEndpointSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(a.slice(6))).toHaveLength(32);
    expect(newEndpointSecret()).not.toBe(a);
  });
});
