import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config-fields';
import { keyring, seal, unseal, UnsealError } from './sealing';

const K1 = 't1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const K2 = 't2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=';

async function refusal(secret: string | undefined): Promise<ConfigError> {
  const e = await keyring(secret).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

describe('SHOUYIN_MASTER_KEY', () => {
  it('seals under the first key, opens under any listed, and names the key a value needs', async () => {
    const one = await keyring(K1);
    const sealed = await seal(one, 'shop', 'providers.alipay', 'secret');
    expect(sealed.kid).toBe('t1');
    const both = await keyring(`${K2}, ${K1}`);
    expect(both.active.kid).toBe('t2');
    expect(await unseal(both, 'shop', 'providers.alipay', sealed)).toBe('secret');
    const e = await unseal(await keyring(K2), 'shop', 'providers.alipay', sealed).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsealError);
    expect((e as Error).message).toContain('"t1"');
    // Bound to its merchant and field.
    expect(await unseal(both, 'other', 'providers.alipay', sealed).catch((x: unknown) => x)).toBeInstanceOf(UnsealError);
    expect(await unseal(both, 'shop', 'providers.unionpay', sealed).catch((x: unknown) => x)).toBeInstanceOf(UnsealError);
  });

  it('refuses what is not <key id>:<base64 of 32 bytes>, by position, never printing key bytes', async () => {
    expect((await refusal(undefined)).path).toBe('SHOUYIN_MASTER_KEY');
    expect((await refusal('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=')).path).toBe('SHOUYIN_MASTER_KEY[0]');
    const short = await refusal(`${K1},t2:AAECAwQFBgcICQoLDA0ODxAREhMU`);
    expect(short.path).toBe('SHOUYIN_MASTER_KEY[1]');
    expect(short.message).not.toContain('AAECAwQFBgcICQoLDA0ODxAREhMU');
    expect((await refusal(`${K1},${K1}`)).message).toContain('repeats');
    expect((await refusal('bad id!:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=')).path).toBe('SHOUYIN_MASTER_KEY[0]');
  });
});
