// The generated local config must pass the worker's and the sandbox's validators, survive the .dev.vars round trip,
// and move the URLs it generated to another port without losing its keys or any URL a developer added.

import { describe, expect, it } from 'vitest';
import { buildConfig, devVarsText, generateSecrets, parseDevVars, retargetConfig, withAlipay } from '../scripts/dev-config.mjs';
import { parseSandboxedConfig } from '../sandbox/src/config';

describe('scripts/dev-config.mjs', () => {
  const secrets = generateSecrets();
  const config = buildConfig(secrets, { port: 8787 });

  it('makes keys in the shapes the config validator and the providers expect', () => {
    expect(secrets.secret_key).toMatch(/^sk_test_[A-Za-z0-9]{32}$/);
    expect(secrets.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secrets.webhook_secret.slice(6))).toHaveLength(32);
    expect(secrets.appid).toMatch(/^wx[0-9a-f]{16}$/);
    expect(secrets.mchid).toMatch(/^19[0-9]{8}$/);
    expect(secrets.merchant_serial).toMatch(/^[0-9A-F]{40}$/);
    expect(secrets.apiv3_key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secrets.public_key_id).toMatch(/^PUB_KEY_ID_[0-9]{30}$/);
    expect(secrets.merchant_private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(secrets.sandbox_public_key).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  // A fresh set is about ten RSA-2048 key pairs (WeChat Pay, Alipay, UnionPay's chain): seconds on a busy machine.
  it('is fresh every time', () => {
    const again = generateSecrets();
    expect(again.secret_key).not.toBe(secrets.secret_key);
    expect(again.sandbox_private_key).not.toBe(secrets.sandbox_private_key);
  }, 30_000);

  it('passes the config validators of the worker and the sandbox as a test-mode merchant on the built-in sandbox', () => {
    const parsed = parseSandboxedConfig(JSON.stringify(config));
    expect(parsed.public_base_url).toBe('http://127.0.0.1:8787');
    const m = parsed.merchants[0]!;
    expect(m.livemode).toBe(false);
    expect(m.allowed_origins).toEqual(['http://127.0.0.1:8787', 'http://localhost:8787']);
    expect(m.webhook?.url).toBe('http://127.0.0.1:8787/demo/webhooks');
    expect(parsed.sandbox.wechat_pay?.serial).toBe(secrets.public_key_id);
  });

  it('round-trips through .dev.vars (single-quoted, so dotenv keeps the JSON escapes)', () => {
    const text = devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret });
    expect(text.split('\n').filter((l) => l.startsWith('SHOUYIN_CONFIG='))).toHaveLength(1);
    const vars = parseDevVars(text);
    expect(JSON.parse(vars.SHOUYIN_CONFIG!)).toEqual(config);
    expect(vars.DEMO_SECRET_KEY).toBe(secrets.secret_key);
    expect(vars.DEMO_WEBHOOK_SECRET).toBe(secrets.webhook_secret);
  });

  it("escapes ' and $ so neither dotenv quoting nor dotenv-expand can change the value", () => {
    const odd = structuredClone(config);
    odd.merchants[0]!.name = "Lao Wang's $HOME shop";
    const text = devVarsText(odd, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret });
    const line = text.split('\n').find((l) => l.startsWith('SHOUYIN_CONFIG='))!;
    expect(line.slice("SHOUYIN_CONFIG='".length, -1)).not.toMatch(/['$]/);
    expect(JSON.parse(parseDevVars(text).SHOUYIN_CONFIG!).merchants[0].name).toBe("Lao Wang's $HOME shop");
  });

  it('moves only the URLs it generated to a new port and leaves every other URL alone', () => {
    const withShop = structuredClone(config);
    withShop.merchants[0]!.allowed_origins.push('https://shop.example.com', 'http://localhost:3000');
    const { config: moved, urls } = retargetConfig(withShop, 9000);
    expect(moved.public_base_url).toBe('http://127.0.0.1:9000');
    expect(moved.merchants[0]!.allowed_origins).toEqual([
      'http://127.0.0.1:9000',
      'http://localhost:9000',
      'https://shop.example.com',
      'http://localhost:3000',
    ]);
    expect(moved.merchants[0]!.webhook?.url).toBe('http://127.0.0.1:9000/demo/webhooks');
    expect(moved.merchants[0]!.secret_keys).toEqual(config.merchants[0]!.secret_keys);
    expect(urls).toEqual({ from: 8787, to: 9000, moved: ['public_base_url', '2 allowed origins', 'the webhook'], kept: 2, ownBaseOffPort: false });
    // The same port: nothing moves. A public_base_url npm start did not write: nothing moves either.
    expect(retargetConfig(withShop, 8787)).toEqual({ config: withShop, urls: { from: 8787, to: 8787, moved: [], kept: 2, ownBaseOffPort: false } });
    const tunnel = retargetConfig({ ...config, public_base_url: 'https://abc.trycloudflare.com' }, 9000);
    expect(tunnel.config).toEqual({ ...config, public_base_url: 'https://abc.trycloudflare.com' });
    expect(tunnel.urls).toMatchObject({ from: null, moved: [], ownBaseOffPort: true });
  });

  it('offers Alipay: an app on the built-in sandbox, which signs with the key whose public half the app holds', () => {
    const alipay = parseSandboxedConfig(JSON.stringify(config)).merchants[0]!.providers.alipay!;
    expect(alipay.app_id).toMatch(/^2021[0-9]{12}$/);
    expect(alipay.seller_id).toMatch(/^2088[0-9]{12}$/);
    expect(alipay.alipay_public_key).toBe(secrets.alipay_sandbox_public_key);
    expect(config.sandbox.alipay).toEqual({ private_key: secrets.alipay_sandbox_private_key });
    // A config from before Alipay gets it added, fresh keys, and still validates; a current one is left alone.
    const old = structuredClone(config);
    delete (old.merchants[0]!.providers as Record<string, unknown>).alipay;
    delete old.sandbox.alipay;
    const upgraded = withAlipay(old);
    expect(parseSandboxedConfig(JSON.stringify(upgraded)).merchants[0]!.providers.alipay?.app_id).toMatch(/^2021/);
    expect(withAlipay(config)).toBe(config);
  });
});
