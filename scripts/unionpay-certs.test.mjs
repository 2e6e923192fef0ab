// The UnionPay sandbox chain made for `npm start` and the browser tests: a real X.509 chain (checked
// here with node:crypto, as OpenSSL sees it), with UnionPay's CN shape, made fresh every time; and
// an older .dev.vars config gets a UnionPay section without losing its keys.

import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import { buildConfig, generateSecrets, withUnionpay } from './dev-config.mjs';
import { unionpaySandboxChain } from './unionpay-certs.mjs';

test('root → middle → signing certificate verifies, with CA flags and the test-environment CN', () => {
  const c = unionpaySandboxChain();
  const root = new X509Certificate(c.root_cert);
  const middle = new X509Certificate(c.middle_cert);
  const leaf = new X509Certificate(c.sign_cert);
  assert.ok(root.verify(root.publicKey), 'the root is self-signed');
  assert.ok(middle.checkIssued(root) && middle.verify(root.publicKey), 'the middle is issued by the root');
  assert.ok(leaf.checkIssued(middle) && leaf.verify(middle.publicKey), 'the signing certificate is issued by the middle');
  assert.equal(root.ca, true);
  assert.equal(middle.ca, true);
  assert.equal(leaf.ca, false);
  assert.match(leaf.subject, /CN=041@Z[^@]+@00040000:SIGN@00000001/);
  assert.ok(Date.parse(leaf.validTo) > Date.now() + 10 * 365 * 86400_000, 'valid for years');
});

test('the signing key belongs to the signing certificate', () => {
  const c = unionpaySandboxChain();
  assert.ok(new X509Certificate(c.sign_cert).checkPrivateKey(createPrivateKey(c.sign_key)));
});

test('every chain is fresh', () => {
  const a = unionpaySandboxChain();
  const b = unionpaySandboxChain();
  assert.notEqual(a.root_cert, b.root_cert);
  assert.notEqual(a.sign_key, b.sign_key);
});

test('the demo config offers UnionPay on the built-in sandbox, and older configs get it added once', () => {
  const secrets = generateSecrets();
  const config = /** @type {any} */ (buildConfig(secrets, { port: 8787 }));
  const up = config.merchants[0].providers.unionpay;
  assert.match(up.mer_id, /^777290058\d{6}$/);
  assert.match(up.sign_cert_id, /^[1-9]\d{10}$/);
  assert.equal(up.root_cert, config.sandbox.unionpay.root_cert);
  assert.equal(up.middle_cert, config.sandbox.unionpay.middle_cert);
  assert.equal(withUnionpay(config), config, 'nothing to add');
  const old = structuredClone(config);
  delete old.merchants[0].providers.unionpay;
  delete old.sandbox.unionpay;
  const added = /** @type {any} */ (withUnionpay(old));
  assert.ok(added.merchants[0].providers.unionpay && added.sandbox.unionpay);
  assert.deepEqual(added.merchants[0].providers.wechat_pay, config.merchants[0].providers.wechat_pay, 'other keys kept');
  const live = structuredClone(old);
  live.merchants[0].secret_keys = ['sk_live_0123456789abcdefghijklmnop'];
  assert.equal(withUnionpay(live), live, 'never added to a live merchant');
});
