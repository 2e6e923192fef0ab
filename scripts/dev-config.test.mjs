// `npm start` on an existing .dev.vars (ensureDevVars in scripts/dev-config.mjs): the URLs it generated
// follow PORT; every URL a developer put there themselves stays exactly as written, and what moved is
// said in one line that names no secret.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildConfig, describeChanges, devVarsText, ensureDevVars, generateSecrets, parseDevVars } from './dev-config.mjs';

const secrets = generateSecrets();
const dir = mkdtempSync(join(tmpdir(), 'shouyin-dev-vars-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A .dev.vars as `npm start` wrote it for port 8787, after `edit` (a developer's hand edits) ran on its config. */
function devVarsFile(edit = (/** @type {any} */ _config) => {}) {
  const config = /** @type {any} */ (buildConfig(secrets, { port: 8787 }));
  edit(config);
  const path = join(dir, `dev-vars-${++files}`);
  writeFileSync(
    path,
    devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret, adminKey: secrets.admin_key, masterKey: secrets.master_key }),
  );
  return path;
}

/** The SHOUYIN_CONFIG in the file now. */
function configIn(/** @type {string} */ path) {
  return JSON.parse(parseDevVars(readFileSync(path, 'utf8')).SHOUYIN_CONFIG ?? '');
}

function addOwnUrls(/** @type {any} */ config) {
  config.merchants[0].allowed_origins.push('http://localhost:3000');
  config.merchants[0].webhook.url = 'http://127.0.0.1:9999/hook';
}

test('restarts on the same port rewrite nothing: an origin and a webhook receiver you added stay, and nothing is said', () => {
  const path = devVarsFile(addOwnUrls);
  const before = readFileSync(path, 'utf8');
  for (let run = 1; run <= 2; run++) {
    const result = ensureDevVars(path, { port: 8787 });
    assert.equal(readFileSync(path, 'utf8'), before, `run ${run} left the file as it was`);
    assert.equal(result.status, 'unchanged');
    assert.deepEqual(result.config.merchants[0]?.allowed_origins, ['http://127.0.0.1:8787', 'http://localhost:8787', 'http://localhost:3000']);
    assert.equal(result.config.merchants[0]?.webhook?.url, 'http://127.0.0.1:9999/hook');
    assert.deepEqual(describeChanges(result, '.dev.vars'), []);
  }
});

test("a restart on another port moves only the demo's own URLs; yours stay, and the line says what moved", () => {
  const path = devVarsFile(addOwnUrls);
  ensureDevVars(path, { port: 8787 });
  const result = ensureDevVars(path, { port: 8788 });
  const config = configIn(path);
  assert.equal(config.public_base_url, 'http://127.0.0.1:8788');
  assert.deepEqual(config.merchants[0].allowed_origins, ['http://127.0.0.1:8788', 'http://localhost:8788', 'http://localhost:3000']);
  assert.equal(config.merchants[0].webhook.url, 'http://127.0.0.1:9999/hook');
  assert.deepEqual(result.config, config);
  assert.equal(result.status, 'updated');
  // The keys stay.
  assert.deepEqual(config.merchants[0].secret_keys, [secrets.secret_key]);
  assert.equal(config.merchants[0].webhook.secret, secrets.webhook_secret);
  assert.equal(parseDevVars(readFileSync(path, 'utf8')).DEMO_SECRET_KEY, secrets.secret_key);

  const lines = describeChanges(result, '.dev.vars');
  assert.deepEqual(lines, ["Moved the demo's URLs in .dev.vars from port 8787 to 8788 (public_base_url, 2 allowed origins); kept 2 URLs you added."]);
  for (const secret of [secrets.secret_key, secrets.webhook_secret, secrets.apiv3_key]) {
    assert.ok(!lines.join('\n').includes(secret), 'no secret in what is printed');
  }

  // Settled on the new port: the next start changes nothing; a start back on 8787 moves them back.
  const settled = readFileSync(path, 'utf8');
  assert.equal(ensureDevVars(path, { port: 8788 }).status, 'unchanged');
  assert.equal(readFileSync(path, 'utf8'), settled);
  const back = ensureDevVars(path, { port: 8787 });
  assert.deepEqual(back.config.merchants[0]?.allowed_origins, ['http://127.0.0.1:8787', 'http://localhost:8787', 'http://localhost:3000']);
  assert.equal(back.config.merchants[0]?.webhook?.url, 'http://127.0.0.1:9999/hook');
});

test("the demo's own webhook follows the port; other paths, other ports and other hosts do not", () => {
  const path = devVarsFile((config) => {
    config.merchants[0].allowed_origins.push('http://127.0.0.1:5173', 'https://shop.example.com', 'http://[::1]:8787');
    config.merchants.push({ ...structuredClone(config.merchants[0]), id: 'mine', webhook: { url: 'http://127.0.0.1:8787/my/hooks', secret: 'whsec_x' } });
  });
  const result = ensureDevVars(path, { port: 9000 });
  const [demo, mine] = configIn(path).merchants;
  assert.deepEqual(demo.allowed_origins, [
    'http://127.0.0.1:9000',
    'http://localhost:9000',
    'http://127.0.0.1:5173',
    'https://shop.example.com',
    'http://[::1]:8787',
  ]);
  assert.equal(demo.webhook.url, 'http://127.0.0.1:9000/demo/webhooks');
  // Another merchant's URLs are not the demo's, even where they look the same.
  assert.deepEqual(mine.allowed_origins, [
    'http://127.0.0.1:8787',
    'http://localhost:8787',
    'http://127.0.0.1:5173',
    'https://shop.example.com',
    'http://[::1]:8787',
  ]);
  assert.equal(mine.webhook.url, 'http://127.0.0.1:8787/my/hooks');
  assert.deepEqual(describeChanges(result, '.dev.vars'), [
    "Moved the demo's URLs in .dev.vars from port 8787 to 9000 (public_base_url, 2 allowed origins, the webhook); kept 9 URLs you added.",
  ]);
});

test('a public_base_url you set yourself leaves every URL as it is, and a start on another port says so', () => {
  const path = devVarsFile((config) => {
    config.public_base_url = 'https://abc.trycloudflare.com';
  });
  const before = readFileSync(path, 'utf8');
  const same = ensureDevVars(path, { port: 8787 });
  assert.equal(same.status, 'unchanged');
  assert.deepEqual(describeChanges(same, '.dev.vars'), []);

  const moved = ensureDevVars(path, { port: 8788 });
  assert.equal(readFileSync(path, 'utf8'), before, 'nothing rewritten');
  assert.equal(moved.status, 'unchanged');
  assert.equal(moved.config.public_base_url, 'https://abc.trycloudflare.com');
  assert.equal(moved.config.merchants[0]?.webhook?.url, 'http://127.0.0.1:8787/demo/webhooks');
  assert.deepEqual(describeChanges(moved, '.dev.vars'), [
    'Left the URLs in .dev.vars as they are: public_base_url is not one `npm start` wrote, so none of them follows port 8788; edit them there if they should.',
  ]);
});

test('a new .dev.vars is announced once', () => {
  const path = join(dir, 'fresh');
  const created = ensureDevVars(path, { port: 8787 });
  assert.equal(created.status, 'created');
  assert.deepEqual(describeChanges(created, '.dev.vars'), ['Generated .dev.vars with fresh test keys (git-ignored; delete it for new keys).']);
  assert.deepEqual(describeChanges(ensureDevVars(path, { port: 8787 }), '.dev.vars'), []);
});

test('an older file that gets a provider added says what was added, not that URLs changed', () => {
  const path = devVarsFile((config) => {
    delete config.merchants[0].providers.alipay;
    delete config.sandbox.alipay;
  });
  const result = ensureDevVars(path, { port: 8787 });
  assert.equal(result.status, 'updated');
  assert.equal(configIn(path).merchants[0].providers.alipay.app_id, /** @type {any} */ (result.config).merchants[0].providers.alipay.app_id);
  assert.equal(configIn(path).public_base_url, 'http://127.0.0.1:8787');
  assert.deepEqual(describeChanges(result, '.dev.vars'), ['Added to .dev.vars: Alipay test keys (every other key unchanged).']);
});

test('an older file without an admin key gets one (for the dashboard sign-in link); an existing one is kept', () => {
  const path = join(dir, `dev-vars-${++files}`);
  writeFileSync(
    path,
    devVarsText(buildConfig(secrets, { port: 8787 }), { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret, masterKey: secrets.master_key }),
  );
  const first = ensureDevVars(path, { port: 8787 });
  assert.equal(first.status, 'updated');
  assert.match(first.adminKey, /^sk_admin_[0-9A-Za-z]{40}$/);
  assert.equal(parseDevVars(readFileSync(path, 'utf8')).SHOUYIN_ADMIN_KEYS, first.adminKey);
  const lines = describeChanges(first, '.dev.vars');
  assert.deepEqual(lines, ['Added to .dev.vars: an admin key (SHOUYIN_ADMIN_KEYS) (every other key unchanged).']);
  assert.ok(!lines.join('\n').includes(first.adminKey), 'the key itself is not printed');
  const again = ensureDevVars(path, { port: 8787 });
  assert.equal(again.status, 'unchanged');
  assert.equal(again.adminKey, first.adminKey);
});

test('a fresh file has a master key (registry and webhook endpoint secrets are sealed under it); an older file without one gets one, kept afterwards', () => {
  assert.match(secrets.master_key, /^dev:[A-Za-z0-9+/]{43}=$/);
  assert.equal(Buffer.from(secrets.master_key.slice(4), 'base64').length, 32);
  assert.notEqual(generateSecrets().master_key, secrets.master_key);
  const created = join(dir, `dev-vars-${++files}`);
  assert.equal(ensureDevVars(created, { port: 8787 }).status, 'created');
  assert.match(parseDevVars(readFileSync(created, 'utf8')).SHOUYIN_MASTER_KEY ?? '', /^dev:[A-Za-z0-9+/]{43}=$/);

  const path = join(dir, `dev-vars-${++files}`);
  writeFileSync(
    path,
    devVarsText(buildConfig(secrets, { port: 8787 }), { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret, adminKey: secrets.admin_key }),
  );
  const first = ensureDevVars(path, { port: 8787 });
  assert.equal(first.status, 'updated');
  const key = parseDevVars(readFileSync(path, 'utf8')).SHOUYIN_MASTER_KEY ?? '';
  assert.match(key, /^dev:[A-Za-z0-9+/]{43}=$/);
  const lines = describeChanges(first, '.dev.vars');
  assert.deepEqual(lines, ['Added to .dev.vars: a master key (SHOUYIN_MASTER_KEY) (every other key unchanged).']);
  assert.ok(!lines.join('\n').includes(key), 'the key itself is not printed');
  assert.equal(ensureDevVars(path, { port: 8787 }).status, 'unchanged');
  assert.equal(parseDevVars(readFileSync(path, 'utf8')).SHOUYIN_MASTER_KEY, key);
});
