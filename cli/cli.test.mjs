// The `shouyin` CLI as an operator runs it (node bin/shouyin.mjs, a real process: exit codes, stdout,
// stderr) against a stand-in of the admin API (admin-stub.testing.mjs), so these tests need no Worker.
// `check` runs the Worker's own parser offline. Key material is made here, per run, by node:crypto.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAdminStub } from './admin-stub.testing.mjs';

const BIN = fileURLToPath(new URL('../bin/shouyin.mjs', import.meta.url));
const ADMIN = `sk_admin_${'T3st'.repeat(9)}`;

/** @type {Awaited<ReturnType<typeof startAdminStub>>} */
let stub;
let dir = '';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = /** @type {string} */ (key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const PUBLIC_PEM = /** @type {string} */ (generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
const APIV3_KEY = 'Zq8vKx3mN5pR7tW9yB2dF4hJ6kL8nP0s';
const PEM_BODY = /** @type {string} */ (PRIVATE_PEM.split('\n')[1]);

/**
 * @param {string[]} args
 * @param {{ env?: Record<string, string | undefined>, cwd?: string }} [opts]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function cli(args, { env = {}, cwd = dir } = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { PATH: process.env.PATH, SHOUYIN_URL: stub.url, SHOUYIN_ADMIN_KEY: ADMIN, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A valid WeChat Pay APIv3 test merchant, its PEMs referenced from the file. */
const wechatMerchant = (over = {}) => ({
  id: 'shop',
  name: '示例商店 Example Shop',
  livemode: false,
  allowed_origins: ['https://shop.example.com'],
  webhook: { url: 'https://shop.example.com/hooks', secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}` },
  providers: {
    wechat_pay: {
      api_version: 'v3',
      appid: 'wxd678efh567hg6787',
      mchid: '1900000109',
      merchant_serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      private_key: { $file: './keys/apiclient_key.pem' },
      apiv3_key: APIV3_KEY,
      wechatpay_public_key_id: 'PUB_KEY_ID_0114232134912410000000000000',
      wechatpay_public_key: { $file: './keys/pub_key.pem' },
    },
  },
  ...over,
});

before(async () => {
  stub = await startAdminStub({ adminKey: ADMIN });
  dir = mkdtempSync(join(tmpdir(), 'shouyin-cli-'));
  const keys = join(dir, 'keys');
  (await import('node:fs')).mkdirSync(keys);
  writeFileSync(join(keys, 'apiclient_key.pem'), PRIVATE_PEM);
  writeFileSync(join(keys, 'pub_key.pem'), PUBLIC_PEM);
  writeFileSync(join(dir, 'shop.json'), JSON.stringify(wechatMerchant(), null, 2));
});
after(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('merchants apply', () => {
  test('from JSON: PEM files read relative to the file, the API key shown once and labelled, no other secret printed', async () => {
    const r = await cli(['merchants', 'apply', 'shop.json']);
    assert.equal(r.code, 0, r.stderr);
    const put = stub.requests.at(-1);
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, '/v1/admin/merchants/shop');
    assert.equal(put?.headers.authorization, `Bearer ${ADMIN}`);
    assert.equal(put?.headers.origin, undefined);
    assert.equal(put?.body.providers.wechat_pay.private_key, PRIVATE_PEM);
    assert.equal(put?.body.providers.wechat_pay.wechatpay_public_key, PUBLIC_PEM);
    assert.match(r.stdout, /^Created merchant shop \(test mode; wechat_pay; version 1\)\./m);
    const apiKey = stub.merchants.get('shop').keys[0].secret;
    assert.match(r.stdout, /API key of shop — shown once, store it now/);
    assert.ok(r.stdout.includes(`  ${apiKey}\n`));
    for (const s of [PEM_BODY, APIV3_KEY, 'whsec_']) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `printed ${s.slice(0, 8)}…`);
    // Applied again: an update, and no key this time.
    const again = await cli(['merchants', 'apply', 'shop.json']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^Updated merchant shop \(.*version 2\)\.$/m);
    assert.doesNotMatch(again.stdout, /sk_test_/);
  });

  test('from YAML, with $file references and a --pem option relative to the current directory', async () => {
    const yaml = [
      'id: yamlshop',
      'name: YAML 商店',
      'livemode: true',
      'allowed_origins: []',
      'providers:',
      '  wechat_pay:',
      '    appid: wxd678efh567hg6787',
      '    mchid: "1900000109"',
      '    merchant_serial: 5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      '    private_key: { $file: keys/apiclient_key.pem }',
      `    apiv3_key: ${APIV3_KEY}`,
      '    wechatpay_public_key_id: PUB_KEY_ID_0114232134912410000000000000',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'yamlshop.yaml'), yaml);
    const r = await cli(['merchants', 'apply', 'yamlshop.yaml', '--pem', 'providers.wechat_pay.wechatpay_public_key=keys/pub_key.pem']);
    assert.equal(r.code, 0, r.stderr);
    const body = stub.requests.at(-1)?.body;
    assert.equal(body.providers.wechat_pay.private_key, PRIVATE_PEM);
    assert.equal(body.providers.wechat_pay.wechatpay_public_key, PUBLIC_PEM);
    assert.equal(body.providers.wechat_pay.mchid, '1900000109');
    assert.equal(body.livemode, true);
    assert.match(r.stdout, /live mode/);
    assert.match(r.stdout, /sk_live_/);
  });

  test('a field-named refusal from the Worker exits 1; a missing file or id is reported without its content', async () => {
    writeFileSync(join(dir, 'noname.json'), JSON.stringify({ id: 'noname', livemode: false, providers: {} }));
    const r = await cli(['merchants', 'apply', 'noname.json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /500 config_invalid: SHOUYIN_CONFIG name is missing/);
    const missing = await cli(['merchants', 'apply', 'nope.json']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Cannot read .*nope\.json: ENOENT/);
    writeFileSync(join(dir, 'broken.json'), `{"private_key": "${PEM_BODY}",}`);
    const broken = await cli(['merchants', 'apply', 'broken.json']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /broken\.json is not valid JSON/);
    assert.ok(!broken.stderr.includes(PEM_BODY.slice(0, 12)));
    writeFileSync(join(dir, 'noid.json'), JSON.stringify({ name: 'x', livemode: false }));
    const noid = await cli(['merchants', 'apply', 'noid.json']);
    assert.equal(noid.code, 2);
    assert.match(noid.stderr, /has no "id": add one or pass --id/);
  });
});

describe('reading merchants', () => {
  test('list: a table without secrets; --json for scripts', async () => {
    const r = await cli(['merchants', 'list']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+MODE\s+CHANNELS\s+APPLE\s+KEYS\s+WEBHOOK\s+SOURCE\s+VERSION\s+UPDATED$/);
    assert.match(r.stdout, /^shop\s+示例商店 Example Shop\s+test\s+wechat_pay\s+no\s+1\s+https:\/\/shop\.example\.com\/hooks\s+registry\s+2\s/m);
    // Columns line up under CJK names (two columns per character).
    const col = (line, word) => line.indexOf(word);
    const shopLine = /** @type {string} */ (lines.find((l) => l.startsWith('shop ')));
    assert.equal(col(lines[0], 'MODE') + 4, col(shopLine, 'test') + 4 + (shopLine.slice(0, col(shopLine, 'test')).match(/[\u4e00-\u9fff]/g) ?? []).length);
    for (const s of [PEM_BODY, APIV3_KEY, 'whsec_', 'sk_test_', 'sk_live_']) assert.ok(!r.stdout.includes(s), `list printed ${s.slice(0, 8)}…`);
    const j = await cli(['merchants', 'list', '--json']);
    assert.equal(j.code, 0);
    const parsed = JSON.parse(j.stdout);
    assert.deepEqual(
      parsed.data.map((m) => m.id),
      ['shop', 'yamlshop'],
    );
  });

  test('get: the summary and key prefixes; an unknown merchant exits 1 with the API error', async () => {
    const r = await cli(['merchants', 'get', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^webhook\s+https:\/\/shop\.example\.com\/hooks$/m);
    assert.match(r.stdout, /^key_\d{8}\s+sk_test_KKKK…\s+/m);
    assert.doesNotMatch(r.stdout, /sk_test_K{20}/);
    const none = await cli(['merchants', 'get', 'ghost']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /404 resource_missing: No such merchant: 'ghost'/);
  });
});

describe('keys', () => {
  test('roll: --overlap sent in seconds, the new key shown once; revoke by id', async () => {
    const r = await cli(['keys', 'roll', 'shop', '--overlap', '2h']);
    assert.equal(r.code, 0, r.stderr);
    const req = stub.requests.at(-1);
    assert.deepEqual([req?.method, req?.path, req?.body], ['POST', '/v1/admin/merchants/shop/api_keys', { expire_previous_in: 7200 }]);
    const keys = stub.merchants.get('shop').keys;
    const fresh = keys.at(-1);
    assert.match(r.stdout, new RegExp(`New API key ${fresh.id} of shop — shown once`));
    assert.ok(r.stdout.includes(`  ${fresh.secret}\n`));
    assert.match(r.stdout, /The previous keys stop working at \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    assert.ok(!r.stdout.includes(keys[0].secret), 'the old key is not printed');

    const def = await cli(['keys', 'roll', 'shop', '--json']);
    assert.equal(def.code, 0);
    assert.deepEqual(stub.requests.at(-1)?.body, { expire_previous_in: 86400 });
    assert.equal(JSON.parse(def.stdout).api_key, stub.merchants.get('shop').keys.at(-1).secret);

    const revoke = await cli(['keys', 'revoke', 'shop', keys[0].id]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(stub.requests.at(-1)?.path, `/v1/admin/merchants/shop/api_keys/${keys[0].id}`);
    assert.equal(stub.requests.at(-1)?.method, 'DELETE');
    assert.match(revoke.stdout, new RegExp(`^Revoked ${keys[0].id}\\.$`, 'm'));
    const twice = await cli(['keys', 'revoke', 'shop', keys[0].id]);
    assert.equal(twice.code, 1);
  });

  test('usage mistakes exit 2 before any request', async () => {
    const n = stub.requests.length;
    for (const args of [
      ['keys', 'roll', 'shop', '--overlap', 'soon'],
      ['keys', 'roll', 'shop', '--overlap', '40d'],
      ['keys', 'revoke', 'shop', 'sk_test_abc'],
      ['keys', 'roll'],
      ['keys', 'roll', 'Shop!'],
      ['keys', 'rotate', 'shop'],
      ['merchants', 'delete', 'shop'],
      ['merchants', 'list', '--bogus'],
      ['providers', 'set', 'shop', 'paypal', 'x.json'],
      ['nonsense'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stderr, '');
    }
    assert.equal(stub.requests.length, n);
  });
});

describe('connection and exit codes', () => {
  test('no admin key: usage (2); a wrong one: the API refuses (1); an unreachable Worker: 1', async () => {
    const none = await cli(['merchants', 'list'], { env: { SHOUYIN_ADMIN_KEY: undefined } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /No admin key: set SHOUYIN_ADMIN_KEY or pass --admin-key/);
    const wrong = await cli(['merchants', 'list', '--admin-key', `sk_admin_${'W'.repeat(32)}`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /401 invalid_api_key/);
    assert.ok(!wrong.stderr.includes('W'.repeat(32)));
    const malformed = await cli(['merchants', 'list', '--admin-key', 'hunter2-secret']);
    assert.equal(malformed.code, 2);
    assert.ok(!malformed.stderr.includes('hunter2'));
    const down = await cli(['merchants', 'list', '--url', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Could not reach http:\/\/127\.0\.0\.1:9/);
    const missingRoute = await cli(['master-key', 'rotate', '--url', `${stub.url}/nothing`]);
    assert.equal(missingRoute.code, 1);
    assert.match(missingRoute.stderr, /404 route_not_found/);
  });

  test('--help per command exits 0; no command prints the overview and exits 2', async () => {
    const help = await cli(['keys', 'roll', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: shouyin keys roll MERCHANT \[--overlap 24h\]/);
    assert.match(help.stdout, /SHOUYIN_URL/);
    const bare = await cli([]);
    assert.equal(bare.code, 2);
    assert.match(bare.stdout, /shouyin merchants apply FILE/);
  });
});

describe('the other admin commands', () => {
  test('providers set / remove, master-key rotate, credentials expiring, import, dashboard-link, delete', async () => {
    writeFileSync(join(dir, 'alipay.yaml'), 'app_id: "2021000000000002"\nprivate_key: { $file: keys/apiclient_key.pem }\n');
    const set = await cli(['providers', 'set', 'shop', 'alipay', 'alipay.yaml']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(stub.requests.at(-1)?.path, '/v1/admin/merchants/shop/providers/alipay');
    assert.deepEqual(stub.requests.at(-1)?.body, { app_id: '2021000000000002', private_key: PRIVATE_PEM });
    assert.match(set.stdout, /^Set alipay on shop \(test mode; wechat_pay, alipay; version 3\)\.$/m);
    const remove = await cli(['providers', 'remove', 'shop', 'alipay']);
    assert.equal(remove.code, 0);
    assert.equal(stub.requests.at(-1)?.method, 'DELETE');

    const rotate = await cli(['master-key', 'rotate']);
    assert.equal(rotate.code, 0);
    assert.match(rotate.stdout, /^Re-encrypted 6 secrets under master key k2\./m);

    const expiring = await cli(['credentials', 'expiring']);
    assert.equal(expiring.code, 0);
    assert.equal(stub.requests.at(-1)?.path, '/v1/admin/credentials?expiring_within_days=30');
    assert.match(expiring.stdout, /^shop\s+alipay\s+providers\.alipay\.alipay_cert\s+CN=支付宝.*4B1D0A11CE0002\s+2027-01-01 00:00 UTC\s+25$/m);
    const soon = await cli(['credentials', 'expiring', '--days', '7']);
    assert.match(soon.stdout, /^No certificate expires within 7 days\.$/m);

    writeFileSync(
      join(dir, '.dev.vars'),
      `SHOUYIN_CONFIG='${JSON.stringify({ public_base_url: 'http://127.0.0.1:8787', merchants: [{ id: 'demo' }, { id: 'two' }] })}'\nOTHER=1\n`,
    );
    const imported = await cli(['import', '--dev-vars']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(stub.requests.at(-1)?.body.merchants, [{ id: 'demo' }, { id: 'two' }]);
    assert.match(imported.stdout, /^Imported 2 merchants: demo, two\.$/m);
    const notConfig = await cli(['import', 'shop.json']);
    assert.equal(notConfig.code, 1);
    assert.match(notConfig.stderr, /not a SHOUYIN_CONFIG document/);

    const link = await cli(['dashboard-link', 'shop', '--ttl', '10m']);
    assert.equal(link.code, 0);
    assert.deepEqual(stub.requests.at(-1)?.body, { ttl_seconds: 600 });
    assert.match(link.stdout, /^ {2}https:\/\/pay\.example\.com\/dashboard\/signin#t_\d+$/m);

    const del = await cli(['merchants', 'delete', 'yamlshop', '--yes']);
    assert.equal(del.code, 0);
    assert.match(del.stdout, /^Deleted merchant yamlshop\.$/m);
  });

  test('keygen prints fresh values alone on stdout', async () => {
    const admin = await cli(['keygen', 'admin-key'], { env: { SHOUYIN_ADMIN_KEY: undefined } });
    assert.equal(admin.code, 0);
    assert.match(admin.stdout, /^sk_admin_[0-9A-Za-z]{40}\n$/);
    const other = await cli(['keygen', 'admin-key']);
    assert.notEqual(other.stdout, admin.stdout);
    const master = await cli(['keygen', 'master-key', '--kid', 'k1']);
    assert.match(master.stdout, /^k1:[A-Za-z0-9+/]{43}=\n$/);
    assert.equal(Buffer.from(master.stdout.trim().slice(3), 'base64').length, 32);
    assert.match((await cli(['keygen', 'master-key'])).stdout, /^k\d{8}[0-9a-f]{4}:/);
  });
});

describe('check', () => {
  test('offline, with the Worker parser: a valid merchant and what each flow still needs', async () => {
    const n = stub.requests.length;
    const r = await cli(['check', 'shop.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(stub.requests.length, n, 'nothing was sent');
    assert.match(r.stdout, /^✓ shop\.json: a valid merchant \(checked offline by the Worker's parser\)\.$/m);
    assert.match(r.stdout, /^shop\s+wechat_pay\s+qr\s+ready$/m);
    assert.match(r.stdout, /^shop\s+wechat_pay\s+jsapi\s+missing: providers\.wechat_pay\.oauth$/m);
    assert.match(r.stdout, /^shop\s+wechat_pay\s+barcode\s+ready$/m);
    assert.match(r.stdout, /^shop\s+alipay\s+page\s+missing: providers\.alipay$/m);
    assert.match(r.stdout, /^shop\s+unionpay\s+qr\s+missing: providers\.unionpay$/m);
    const j = JSON.parse((await cli(['check', 'shop.json', '--json'])).stdout);
    assert.equal(j.ok, true);
    assert.equal(j.mode, 'offline');
    assert.equal(j.flows.shop.wechat_pay.h5, 'ready');
  });

  test('offline: the field-named error, exit 1, never the secret', async () => {
    const bad = wechatMerchant();
    bad.providers.wechat_pay.apiv3_key = 'tooShortSecretValue123';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const r = await cli(['check', 'bad.json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^✘ bad\.json: providers\.wechat_pay\.apiv3_key must be exactly 32 ASCII characters/m);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('tooShortSecretValue123'));

    const swapped = wechatMerchant();
    swapped.providers.wechat_pay.private_key = { $file: './keys/pub_key.pem' };
    writeFileSync(join(dir, 'swapped.json'), JSON.stringify(swapped));
    const s = await cli(['check', 'swapped.json', '--json']);
    assert.equal(s.code, 1);
    const j = JSON.parse(s.stdout);
    assert.deepEqual(
      j.errors.map((e) => e.param),
      ['providers.wechat_pay.private_key'],
    );
    assert.ok(!s.stdout.includes(/** @type {string} */ (PUBLIC_PEM.split('\n')[1])));

    // A private key pasted where a public one belongs: the parser does not quote a value that looks like
    // key material (and the CLI would cut it out if it did).
    const pasted = wechatMerchant();
    pasted.providers.wechat_pay.wechatpay_public_key = { $file: './keys/apiclient_key.pem' };
    writeFileSync(join(dir, 'pasted.json'), JSON.stringify(pasted));
    for (const args of [
      ['check', 'pasted.json'],
      ['check', 'pasted.json', '--json'],
    ]) {
      const p = await cli(args);
      assert.equal(p.code, 1);
      assert.match(`${p.stdout}${p.stderr}`, /wechatpay_public_key must be a PEM public key .*\(got \d+ characters that look like key material; not shown\)/);
      assert.ok(!`${p.stdout}${p.stderr}`.includes('BEGIN PRIVATE KEY'), 'key header printed');
      assert.ok(!`${p.stdout}${p.stderr}`.includes(PEM_BODY.slice(0, 12)), 'key material printed');
    }

    const noMode = wechatMerchant();
    delete (/** @type {any} */ (noMode).livemode);
    writeFileSync(join(dir, 'nomode.json'), JSON.stringify(noMode));
    const m = await cli(['check', 'nomode.json']);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /livemode is required/);
  });

  test('a whole SHOUYIN_CONFIG document keeps its merchants[i] paths', async () => {
    const ok = { ...wechatMerchant(), secret_keys: ['sk_test_4eC39HqLyjWDarjtT1zdp7dc'] };
    delete (/** @type {any} */ (ok).livemode);
    const second = { ...ok, id: 'second', secret_keys: ['sk_test_4eC39HqLyjWDarjtT1zdp7dd'], allowed_origins: ['https://x.example/path'] };
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ public_base_url: 'https://pay.example.com', merchants: [ok, second] }));
    const r = await cli(['check', 'config.json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^✘ config\.json: merchants\[1\]\.allowed_origins\[0\] must be an origin without path/m);
  });

  test('--remote asks the Worker: POST /v1/admin/check', async () => {
    const r = await cli(['check', 'shop.json', '--remote']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(stub.requests.at(-1)?.path, '/v1/admin/check');
    assert.equal(stub.requests.at(-1)?.body.providers.wechat_pay.private_key, PRIVATE_PEM);
    assert.match(r.stdout, /checked by the Worker/);
  });
});
