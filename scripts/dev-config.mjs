// Local development configuration: a fresh SHOUYIN_CONFIG (worker/src/config.ts; its `sandbox` section:
// sandbox/src/config.ts) for a test-mode demo merchant wired to the built-in WeChat Pay sandbox, written
// as a wrangler `.dev.vars` file.
// Used by `npm start` (scripts/start.mjs) and by the end-to-end setup (demo/e2e/global-setup.mjs).
//
// Every key is made here, on this machine, by node:crypto; nothing is shared between clones.

import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rsaKeyPair as unionpayKeyPair, unionpaySandboxChain } from './unionpay-certs.mjs';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

function rsaKeyPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** An operator key for SHOUYIN_ADMIN_KEYS: `sk_admin_` + 40 letters and digits. */
export const newAdminKey = () => `sk_admin_${pick(ALNUM, 40)}`;

/**
 * SHOUYIN_MASTER_KEY (`<key id>:<base64 of 32 random bytes>`, worker/src/registry/sealing.ts): what the
 * merchant registry and webhook endpoints made over the API seal their secrets under.
 */
export const newMasterKey = () => `dev:${randomBytes(32).toString('base64')}`;

/** Fresh credentials for one demo merchant and the sandbox that plays WeChat Pay. */
export function generateSecrets() {
  const merchant = rsaKeyPair();
  const sandbox = rsaKeyPair();
  return {
    secret_key: `sk_test_${pick(ALNUM, 32)}`,
    // The operator's key for the admin API (routes/admin-auth.ts): npm start makes the dashboard sign-in link with it.
    admin_key: newAdminKey(),
    master_key: newMasterKey(),
    webhook_secret: `whsec_${randomBytes(32).toString('base64')}`,
    appid: `wx${randomBytes(8).toString('hex')}`,
    mchid: `19${pick('0123456789', 8)}`,
    merchant_serial: randomBytes(20).toString('hex').toUpperCase(),
    merchant_private_key: merchant.privateKey,
    apiv3_key: pick(ALNUM, 32),
    public_key_id: `PUB_KEY_ID_${pick('0123456789', 30)}`,
    sandbox_public_key: sandbox.publicKey,
    sandbox_private_key: sandbox.privateKey,
    ...unionpaySecrets(),
    ...alipaySecrets(),
    ...wechatOauthSecrets(),
  };
}

/**
 * WeChat JSAPI: the official account (公众号) whose web OAuth gives the payer's openid. In test mode the
 * sandbox plays WeChat's OAuth with these, so any AppID and AppSecret of the right shape will do.
 */
function wechatOauthSecrets() {
  return { wechat_mp_appid: `wx${randomBytes(8).toString('hex')}`, wechat_mp_appsecret: randomBytes(16).toString('hex') };
}

/** Adds the official account to a WeChat Pay test merchant of an older .dev.vars, so JSAPI is offered inside WeChat. */
export function withWechatOauth(config) {
  const wechat = config.merchants?.[0]?.providers?.wechat_pay;
  if (!wechat || wechat.oauth || !(config.merchants[0].secret_keys ?? []).every((k) => typeof k === 'string' && k.startsWith('sk_test_'))) return config;
  const c = structuredClone(config);
  const s = wechatOauthSecrets();
  c.merchants[0].providers.wechat_pay = { ...wechat, oauth: { appid: s.wechat_mp_appid, appsecret: s.wechat_mp_appsecret } };
  return c;
}

/**
 * Alipay: the demo app's id, seller PID and app key, and the key the Alipay sandbox signs with (the
 * app verifies with its public half, as a real app verifies with the downloaded Alipay public key).
 */
function alipaySecrets() {
  const app = rsaKeyPair();
  const sandbox = rsaKeyPair();
  return {
    alipay_app_id: `2021${pick('0123456789', 12)}`,
    alipay_seller_id: `2088${pick('0123456789', 12)}`,
    alipay_app_private_key: app.privateKey,
    alipay_sandbox_private_key: sandbox.privateKey,
    alipay_sandbox_public_key: sandbox.publicKey,
  };
}

function alipayMerchant(secrets) {
  return {
    app_id: secrets.alipay_app_id,
    private_key: secrets.alipay_app_private_key,
    alipay_public_key: secrets.alipay_sandbox_public_key,
    seller_id: secrets.alipay_seller_id,
  };
}

/**
 * A config made before Alipay was in the demo gets it added (fresh keys; nothing else changes), so an
 * existing .dev.vars offers Alipay too. Returns the same object when there is nothing to add.
 */
export function withAlipay(config) {
  const merchant = config.merchants?.[0];
  if (!merchant || merchant.providers?.alipay || config.sandbox?.alipay) return config;
  if (!(merchant.secret_keys ?? []).every((k) => typeof k === 'string' && k.startsWith('sk_test_'))) return config;
  const c = structuredClone(config);
  const secrets = alipaySecrets();
  c.merchants[0].providers = { ...c.merchants[0].providers, alipay: alipayMerchant(secrets) };
  c.sandbox = { ...c.sandbox, alipay: { private_key: secrets.alipay_sandbox_private_key } };
  return c;
}

/**
 * UnionPay: the sandbox's own root → middle → signing chain (scripts/unionpay-certs.mjs) and the demo
 * merchant's signing key, merId and certId (a decimal serial, as UnionPay's .pfx certificates have).
 */
function unionpaySecrets() {
  const chain = unionpaySandboxChain();
  return {
    unionpay_mer_id: `777290058${pick('0123456789', 6)}`,
    unionpay_sign_key: unionpayKeyPair().privateKey,
    unionpay_sign_cert_id: String(randomInt(10_000_000_000, 99_999_999_999)),
    unionpay_root_cert: chain.root_cert,
    unionpay_middle_cert: chain.middle_cert,
    unionpay_sandbox_sign_cert: chain.sign_cert,
    unionpay_sandbox_sign_key: chain.sign_key,
  };
}

function unionpayMerchant(secrets) {
  return {
    mer_id: secrets.unionpay_mer_id,
    sign_key: secrets.unionpay_sign_key,
    sign_cert_id: secrets.unionpay_sign_cert_id,
    root_cert: secrets.unionpay_root_cert,
    middle_cert: secrets.unionpay_middle_cert,
  };
}

function unionpaySandbox(secrets) {
  return {
    sign_key: secrets.unionpay_sandbox_sign_key,
    sign_cert: secrets.unionpay_sandbox_sign_cert,
    root_cert: secrets.unionpay_root_cert,
    middle_cert: secrets.unionpay_middle_cert,
  };
}

/**
 * A config made before UnionPay was in the demo gets it added (fresh keys; nothing else changes), so
 * an existing .dev.vars offers UnionPay too. Returns the same object when there is nothing to add.
 */
export function withUnionpay(config) {
  const merchant = config.merchants?.[0];
  if (!merchant || merchant.providers?.unionpay || config.sandbox?.unionpay) return config;
  if (!(merchant.secret_keys ?? []).every((k) => typeof k === 'string' && k.startsWith('sk_test_'))) return config;
  const c = structuredClone(config);
  const secrets = unionpaySecrets();
  c.merchants[0].providers = { ...c.merchants[0].providers, unionpay: unionpayMerchant(secrets) };
  c.sandbox = { ...c.sandbox, unionpay: unionpaySandbox(secrets) };
  return c;
}

/**
 * The SHOUYIN_CONFIG document for a dev server at http://<host>:<port>.
 * `sandbox.time_scale` shrinks WeChat Pay's notify retry schedule; `notify_delay_seconds` is the pause
 * between the shopper paying in the sandbox wallet and the first notify.
 */
export function buildConfig(secrets, { port, host = '127.0.0.1', timeScale = 0.05, notifyDelaySeconds = 1 } = {}) {
  if (!Number.isInteger(port)) throw new TypeError('buildConfig: port must be an integer');
  const base = `http://${host}:${port}`;
  return {
    public_base_url: base,
    merchants: [
      {
        id: 'demo',
        name: 'Shouyin Demo Shop 收银示例店',
        secret_keys: [secrets.secret_key],
        allowed_origins: loopbackOrigins(port, host),
        webhook: { url: `${base}/demo/webhooks`, secret: secrets.webhook_secret },
        auto_refund_anomalies: true,
        providers: {
          wechat_pay: {
            api_version: 'v3',
            appid: secrets.appid,
            mchid: secrets.mchid,
            merchant_serial: secrets.merchant_serial,
            private_key: secrets.merchant_private_key,
            apiv3_key: secrets.apiv3_key,
            wechatpay_public_key_id: secrets.public_key_id,
            wechatpay_public_key: secrets.sandbox_public_key,
            // JSAPI inside WeChat: the official account whose OAuth (the sandbox's, in test mode) gives the openid.
            oauth: { appid: secrets.wechat_mp_appid, appsecret: secrets.wechat_mp_appsecret },
          },
          unionpay: unionpayMerchant(secrets),
          alipay: alipayMerchant(secrets),
        },
      },
    ],
    sandbox: {
      time_scale: timeScale,
      notify_delay_seconds: notifyDelaySeconds,
      wechat_pay: { serial: secrets.public_key_id, private_key: secrets.sandbox_private_key },
      unionpay: unionpaySandbox(secrets),
      alipay: { private_key: secrets.alipay_sandbox_private_key },
    },
  };
}

function loopbackOrigins(port, host) {
  const origins = [`http://${host}:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${port}`];
  return [...new Set(origins)];
}

// ---------------------------------------------------------------------------------------------------
// .dev.vars encoding.
//
// wrangler reads .dev.vars with dotenv. Inside a double-quoted dotenv value `\n` becomes a real newline
// and `\"` is kept as two characters, so a JSON document (whose PEM strings hold `\n` escapes and
// whose keys are in double quotes) would arrive broken. A single-quoted value is taken verbatim.
// With `--env-file` wrangler also runs dotenv-expand, which rewrites `$NAME`; so `'` and `$` are
// written as JSON \u escapes (JSON.parse reads them back as the same characters).

function quote(value) {
  if (/[\r\n]/.test(value)) throw new Error('.dev.vars values must be one line');
  return `'${value.replace(/'/g, '\\u0027').replace(/\$/g, '\\u0024')}'`;
}

/** The `.dev.vars` text: the worker's config, the operator's admin key, the master key, and the demo shop's own server-side secrets. */
export function devVarsText(config, { secretKey, webhookSecret, adminKey, masterKey }) {
  for (const [name, v] of [
    ['DEMO_SECRET_KEY', secretKey],
    ['DEMO_WEBHOOK_SECRET', webhookSecret],
    ['SHOUYIN_ADMIN_KEYS', adminKey ?? ''],
    ['SHOUYIN_MASTER_KEY', masterKey ?? ''],
  ]) {
    if (/['"$\s#]/.test(v)) throw new Error(`${name} has characters .dev.vars cannot hold unquoted`);
  }
  return [
    '# Generated by `npm start` (scripts/dev-config.mjs) for local test mode. Git-ignored; never commit it.',
    '# Delete this file to get fresh keys. The demo shop keeps its secret key and webhook secret server side.',
    `SHOUYIN_CONFIG=${quote(JSON.stringify(config))}`,
    ...(adminKey ? [`SHOUYIN_ADMIN_KEYS=${adminKey}`] : []),
    ...(masterKey ? [`SHOUYIN_MASTER_KEY=${masterKey}`] : []),
    `DEMO_SECRET_KEY=${secretKey}`,
    `DEMO_WEBHOOK_SECRET=${webhookSecret}`,
    '',
  ].join('\n');
}

/**
 * Reads a .dev.vars file: `KEY=value`, `KEY='verbatim'`, `KEY="with \n escapes"`, `#` comments.
 * Enough of dotenv's grammar for the files devVarsText writes and for simple hand edits.
 */
export function parseDevVars(text) {
  const out = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, key, rest] = m;
    let value = rest;
    const q = rest[0];
    if ((q === "'" || q === '"' || q === '`') && rest.lastIndexOf(q) > 0) {
      value = rest.slice(1, rest.lastIndexOf(q));
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    } else {
      value = rest.replace(/\s+#.*$/, '').trim();
    }
    out[key] = value;
  }
  return out;
}

/** The demo merchant, as buildConfig names it. */
const DEMO_MERCHANT = 'demo';

/** The URLs buildConfig writes for a dev server on `port` (ensureDevVars uses its default host). */
function generatedUrls(port) {
  const base = `http://127.0.0.1:${port}`;
  return { base, origins: loopbackOrigins(port, '127.0.0.1'), webhook: `${base}/demo/webhooks` };
}

/** The port `npm start` wrote public_base_url for, or null when the URL is not one buildConfig makes. */
function generatedPort(baseUrl) {
  const m = typeof baseUrl === 'string' ? /^http:\/\/127\.0\.0\.1:([1-9][0-9]{0,4})$/.exec(baseUrl) : null;
  return m && Number(m[1]) <= 65535 ? Number(m[1]) : null;
}

/**
 * Moves the URLs `npm start` generated (buildConfig's, for the port public_base_url was written for) to
 * a dev server on `port`. Only values equal to what buildConfig made for the previous port move, and only
 * the demo merchant's: an origin or webhook receiver a developer added (another port, path or host), and
 * other merchants, stay exactly as written. A public_base_url that npm start did not write (a tunnel, a
 * hand edit) leaves everything alone. Returns a new config and what happened, for the line npm start prints.
 */
export function retargetConfig(config, port) {
  const c = structuredClone(config);
  const from = generatedPort(c.public_base_url);
  /** @type {string[]} */
  const moved = [];
  let kept = 0;
  let ownBaseOffPort = false;
  const old = from === null ? null : generatedUrls(from);
  const now = generatedUrls(port);
  const move = old !== null && from !== port;
  for (const m of c.merchants ?? []) {
    const demo = m?.id === DEMO_MERCHANT;
    const ours = demo ? old : null;
    if (Array.isArray(m.allowed_origins)) {
      let movedOrigins = 0;
      const origins = m.allowed_origins.map((o) => {
        const i = ours ? ours.origins.indexOf(o) : -1;
        if (i < 0) kept++;
        if (i < 0 || !move) return o;
        movedOrigins++;
        return now.origins[i] ?? o;
      });
      m.allowed_origins = [...new Set(origins)];
      if (movedOrigins > 0) moved.push(movedOrigins === 1 ? '1 allowed origin' : `${movedOrigins} allowed origins`);
      if (demo && from === null) ownBaseOffPort ||= origins.some((o) => isGeneratedOffPort(o, port, (p) => generatedUrls(p).origins));
    }
    if (m.webhook && typeof m.webhook.url === 'string') {
      if (ours && m.webhook.url === ours.webhook) {
        if (move) {
          m.webhook.url = now.webhook;
          moved.push('the webhook');
        }
      } else {
        kept++;
        if (demo && from === null) ownBaseOffPort ||= isGeneratedOffPort(m.webhook.url, port, (p) => [generatedUrls(p).webhook]);
      }
    }
  }
  if (move) {
    c.public_base_url = now.base;
    moved.unshift('public_base_url');
  }
  return { config: c, urls: { from, to: port, moved, kept, ownBaseOffPort } };
}

/** True when `url` is what buildConfig would write for some loopback port other than `port`. */
function isGeneratedOffPort(url, port, urlsFor) {
  try {
    const p = Number(new URL(url).port);
    return Number.isInteger(p) && p > 0 && p !== port && urlsFor(p).includes(url);
  } catch {
    return false;
  }
}

/**
 * The lines `npm start` prints about the .dev.vars named `file` (ensureDevVars' result): what was made,
 * moved or added. Nothing when nothing changed. Names fields and counts, never a value of a key.
 */
export function describeChanges(result, file) {
  if (result.status === 'created') return [`Generated ${file} with fresh test keys (git-ignored; delete it for new keys).`];
  /** @type {string[]} */
  const lines = [];
  const { from, to, moved, kept, ownBaseOffPort } = result.urls;
  if (moved.length > 0) {
    const yours = kept === 0 ? '' : `; kept ${kept} URL${kept === 1 ? '' : 's'} you added`;
    lines.push(`Moved the demo's URLs in ${file} from port ${from} to ${to} (${moved.join(', ')})${yours}.`);
  } else if (ownBaseOffPort) {
    lines.push(
      `Left the URLs in ${file} as they are: public_base_url is not one \`npm start\` wrote, so none of them follows port ${to}; edit them there if they should.`,
    );
  }
  if (result.added.length > 0) lines.push(`Added to ${file}: ${result.added.join(', ')} (every other key unchanged).`);
  return lines;
}

/**
 * Makes sure `path` holds a usable .dev.vars for a dev server on `port`:
 *  - missing: generate fresh keys and write it (`created`);
 *  - present: keep every key and every URL a developer added; move only the URLs npm start generated
 *    when the port changed (retargetConfig), and add providers an older file lacks (`updated` / `unchanged`).
 * `urls` and `added` say what changed, for describeChanges.
 * Throws with a helpful message when an existing file has no readable SHOUYIN_CONFIG.
 */
export function ensureDevVars(path, { port, timeScale, notifyDelaySeconds } = {}) {
  if (!existsSync(path)) {
    const secrets = generateSecrets();
    const config = buildConfig(secrets, { port, timeScale, notifyDelaySeconds });
    writeFileSync(
      path,
      devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret, adminKey: secrets.admin_key, masterKey: secrets.master_key }),
      {
        mode: 0o600,
      },
    );
    const urls = { from: null, to: port, moved: [], kept: 0, ownBaseOffPort: false };
    return { status: 'created', config, secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret, adminKey: secrets.admin_key, urls, added: [] };
  }
  const vars = parseDevVars(readFileSync(path, 'utf8'));
  let config;
  try {
    config = JSON.parse(vars.SHOUYIN_CONFIG ?? '');
  } catch {
    throw new Error(`${path} has no readable SHOUYIN_CONFIG. Delete the file and run \`npm start\` again to generate fresh test keys.`);
  }
  const merchant = config.merchants?.[0];
  const secretKey = vars.DEMO_SECRET_KEY ?? merchant?.secret_keys?.[0];
  const webhookSecret = vars.DEMO_WEBHOOK_SECRET ?? merchant?.webhook?.secret;
  if (!secretKey || !webhookSecret) {
    throw new Error(`${path} lacks DEMO_SECRET_KEY / DEMO_WEBHOOK_SECRET for the demo shop. Delete the file and run \`npm start\` again.`);
  }
  /** @type {string[]} */
  const added = [];
  let upgraded = config;
  for (const [name, add] of /** @type {const} */ ([
    ['UnionPay test keys', withUnionpay],
    ['Alipay test keys', withAlipay],
    ['the WeChat official account (JSAPI)', withWechatOauth],
  ])) {
    const next = add(upgraded);
    if (next !== upgraded) added.push(name);
    upgraded = next;
  }
  if (!vars.DEMO_SECRET_KEY) added.push('DEMO_SECRET_KEY');
  if (!vars.DEMO_WEBHOOK_SECRET) added.push('DEMO_WEBHOOK_SECRET');
  const adminKey =
    (vars.SHOUYIN_ADMIN_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .find((k) => /^sk_admin_[0-9A-Za-z]{32,}$/.test(k)) ?? newAdminKey();
  if (!vars.SHOUYIN_ADMIN_KEYS) added.push('an admin key (SHOUYIN_ADMIN_KEYS)');
  // A file from before the master key: one is added (a malformed one is left for the Worker to name).
  const masterKey = vars.SHOUYIN_MASTER_KEY || newMasterKey();
  if (!vars.SHOUYIN_MASTER_KEY) added.push('a master key (SHOUYIN_MASTER_KEY)');
  const { config: next, urls } = retargetConfig(upgraded, port);
  if (added.length === 0 && urls.moved.length === 0) {
    return { status: 'unchanged', config, secretKey, webhookSecret, adminKey, urls, added };
  }
  // Rewrite only our lines; anything else a person added to the file stays as it was.
  let text = readFileSync(path, 'utf8');
  text = setVar(text, 'SHOUYIN_CONFIG', quote(JSON.stringify(next)));
  if (!vars.DEMO_SECRET_KEY) text = setVar(text, 'DEMO_SECRET_KEY', secretKey);
  if (!vars.DEMO_WEBHOOK_SECRET) text = setVar(text, 'DEMO_WEBHOOK_SECRET', webhookSecret);
  if (!vars.SHOUYIN_ADMIN_KEYS) text = setVar(text, 'SHOUYIN_ADMIN_KEYS', adminKey);
  if (!vars.SHOUYIN_MASTER_KEY) text = setVar(text, 'SHOUYIN_MASTER_KEY', masterKey);
  writeFileSync(path, text);
  return { status: 'updated', config: next, secretKey, webhookSecret, adminKey, urls, added };
}

function setVar(text, key, encoded) {
  const re = new RegExp(`^(?:export\\s+)?${key}\\s*=.*$`, 'm');
  const line = `${key}=${encoded}`;
  if (re.test(text)) return text.replace(re, () => line);
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
}
