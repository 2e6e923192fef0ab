// What the notify benchmarks share: a `wrangler dev` of their own (loopback only, fresh keys, stopped on
// exit and on Ctrl+C), the merchant API, the workerd processes' CPU counters, and notifies signed the
// way each rail signs them. Node built-ins only.
//
// Notify formats, as the sandbox (sandbox/src) sends them and the worker verifies them:
// - WeChat Pay APIv3: AES-256-GCM resource, RSA-SHA256 over `timestamp\nnonce\nbody\n` in the Wechatpay-*
//   headers (https://pay.weixin.qq.com/doc/v3/merchant/4012791861).
// - Alipay: a form; RSA2 (SHA256withRSA) over the sorted `k=v&…` of every field but sign and sign_type
//   (https://opendocs.alipay.com/open/270/105902).
// - UnionPay ACP 5.1.0: a form; SHA256withRSA over the lowercase hex SHA-256 of the sorted `k=v&…` of every
//   field but signature, with the signing certificate in signPubKeyCert
//   (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448).

import { createCipheriv, createHash, createSign, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, devVarsText, generateSecrets } from '../scripts/dev-config.mjs';
import { freePort, startWrangler, stopTree } from '../scripts/lib.mjs';

/**
 * Starts `wrangler dev` with a fresh configuration (a slow sandbox schedule: the benchmark's own
 * notifies are the only ones that matter) and an admin key. The tree is stopped by `stop()`, and also
 * on SIGINT / SIGTERM and at process exit, so no workerd outlives the benchmark.
 */
export async function startBench() {
  const tmp = mkdtempSync(join(tmpdir(), 'shouyin-bench-'));
  const port = await freePort();
  const secrets = generateSecrets();
  const config = buildConfig(secrets, { port, timeScale: 1, notifyDelaySeconds: 60 });
  const envFile = join(tmp, '.dev.vars');
  writeFileSync(envFile, devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret }), { mode: 0o600 });
  const adminKey = `sk_admin_${randomBytes(24).toString('hex')}`;
  appendFileSync(envFile, `SHOUYIN_MASTER_KEY=bench:${randomBytes(32).toString('base64')}\nSHOUYIN_ADMIN_KEYS=${adminKey}\n`);
  const { child, ready } = startWrangler({ port, envFile, persistTo: join(tmp, 'state'), inspectorPort: await freePort() });
  /** @type {Promise<void> | undefined} */
  let stopping;
  let signalled = false;
  // One stop, however many callers (the signal handler and the script's own finally) ask for it.
  const stop = () =>
    (stopping ??= stopTree(child).then(() => {
      rmSync(tmp, { recursive: true, force: true });
    }));
  const onSignal = (sig) => {
    signalled = true;
    console.error(`\n${sig}: stopping wrangler dev…`);
    stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Last resort (an uncaught error, process.exit elsewhere): the whole process group, synchronously.
  process.once('exit', () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-(/** @type {number} */ (child.pid)), 'SIGKILL');
    } catch {
      // already gone
    }
  });
  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  }
  // `signalled()`: whether Ctrl+C (or SIGTERM) is stopping the run, so the requests it cut off are no error to report.
  return { base: `http://127.0.0.1:${port}`, secrets, config, adminKey, child, stop, signalled: () => signalled };
}

/** The pids of `root` and every process below it (wrangler → workerd), from /proc. */
function descendants(root) {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      parent.set(Number(pid), Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    } catch {
      // a process that ended meanwhile
    }
  }
  const out = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!out.has(pid) && out.has(ppid)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * utime + stime, in ms, of the workerd processes under `child` (clock ticks are 100 Hz on Linux). Only
 * this benchmark's own: other `wrangler dev`s on the machine are not counted.
 */
export function workerdCpuMs(child) {
  let ticks = 0;
  for (const pid of descendants(/** @type {number} */ (child.pid))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd')) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // a process that ended meanwhile
    }
  }
  return ticks * 10;
}

/** POST (or GET without a body) to the worker with a bearer key; throws with the status and body unless 2xx. */
export async function api(base, path, body, auth) {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const err = new Error(`${path}: ${res.status} ${await res.text()}`);
    /** @type {any} */ (err).status = res.status;
    /** @type {any} */ (err).retryAfter = Number(res.headers.get('retry-after') ?? '1');
    throw err;
  }
  return res.json();
}

/** Runs `fn` over `items`, `n` at a time; resolves with the results in order. */
export async function pool(items, n, fn) {
  const out = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k], k);
      }
    }),
  );
  return out;
}

/** A notify exactly as WeChat Pay v3 sends it: AES-256-GCM resource, RSA-SHA256 headers. */
export function wechatNotify(secrets, outTradeNo, amount, mchid = secrets.mchid) {
  const tx = JSON.stringify({
    appid: secrets.appid,
    mchid,
    out_trade_no: outTradeNo,
    transaction_id: `4200${Date.now()}${randomBytes(4).toString('hex')}`,
    trade_type: 'NATIVE',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: '2026-11-28T18:00:00+08:00',
    payer: { openid: 'o-bench' },
    amount: { total: amount, payer_total: amount, currency: 'CNY', payer_currency: 'CNY' },
  });
  const nonce = randomBytes(6).toString('hex');
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(secrets.apiv3_key), Buffer.from(nonce));
  cipher.setAAD(Buffer.from('transaction'));
  const ct = Buffer.concat([cipher.update(tx, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: '2026-11-28T18:00:01+08:00',
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: ct, associated_data: 'transaction', nonce },
  });
  const ts = String(Math.floor(Date.now() / 1000));
  const n = randomBytes(16).toString('hex');
  const sig = createSign('RSA-SHA256').update(`${ts}\n${n}\n${body}\n`).sign(secrets.sandbox_private_key, 'base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': n,
      'wechatpay-signature': sig,
      'wechatpay-serial': secrets.public_key_id,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
  };
}

/** The same notify with a signature of the right length that no key made: rejected (401) after an RSA verify. */
export function forgedWechatNotify(secrets, outTradeNo, amount) {
  const n = wechatNotify(secrets, outTradeNo, amount);
  n.headers['wechatpay-signature'] = randomBytes(256).toString('base64');
  return n;
}

const form = (fields) =>
  Object.keys(fields)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(fields[k])}`)
    .join('&');

/** Beijing wall time, `yyyy-MM-dd HH:mm:ss`. */
function beijing(ms) {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

const fenToYuan = (fen) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

/** A trade_status_sync notify for a paid trade, signed RSA2 with the sandbox's Alipay key. */
export function alipayNotify(secrets, outTradeNo, amount) {
  const now = Date.now();
  const yuan = fenToYuan(amount);
  /** @type {Record<string, string>} */
  const f = {
    notify_time: beijing(now),
    notify_type: 'trade_status_sync',
    notify_id: randomBytes(16).toString('hex'),
    app_id: secrets.alipay_app_id,
    auth_app_id: secrets.alipay_app_id,
    charset: 'utf-8',
    version: '1.0',
    trade_no: `2026${Date.now()}${randomBytes(4).toString('hex')}`,
    out_trade_no: outTradeNo,
    buyer_id: '2088000000000001',
    seller_id: secrets.alipay_seller_id,
    trade_status: 'TRADE_SUCCESS',
    total_amount: yuan,
    receipt_amount: yuan,
    invoice_amount: yuan,
    buyer_pay_amount: yuan,
    point_amount: '0.00',
    subject: 'bench',
    gmt_create: beijing(now - 1000),
    gmt_payment: beijing(now),
  };
  const content = Object.keys(f)
    .sort()
    .map((k) => `${k}=${f[k]}`)
    .join('&');
  const sign = createSign('RSA-SHA256').update(content, 'utf8').sign(secrets.alipay_sandbox_private_key, 'base64');
  return { body: form({ ...f, sign_type: 'RSA2', sign }), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

/** A successful consume's backUrl notify, signed as the sandbox's UnionPay (its certificate in signPubKeyCert). */
export function unionpayNotify(secrets, orderId, amount, txnTime) {
  const now = Date.now();
  /** @type {Record<string, string>} */
  const f = {
    accessType: '0',
    bizType: '000201',
    currencyCode: '156',
    encoding: 'UTF-8',
    merId: secrets.unionpay_mer_id,
    orderId,
    txnAmt: String(amount),
    txnSubType: '01',
    txnTime,
    txnType: '01',
    version: '5.1.0',
    signMethod: '01',
    queryId: `${Date.now()}${randomBytes(4).toString('hex')}`.slice(0, 21),
    settleAmt: String(amount),
    settleCurrencyCode: '156',
    settleDate: beijing(now).slice(5, 10).replace('-', ''),
    traceNo: String(100000 + Math.floor(Math.random() * 900000)),
    traceTime: beijing(now).slice(5).replace(/[- :]/g, ''),
    accNo: '6216***********0018',
    payCardType: '01',
    respCode: '00',
    respMsg: 'success',
    signPubKeyCert: secrets.unionpay_sandbox_sign_cert.replace(/\r\n/g, '\n').trimEnd().replace(/\n/g, '\r\n'),
  };
  const content = Object.keys(f)
    .sort()
    .map((k) => `${k}=${f[k]}`)
    .join('&');
  const digest = createHash('sha256').update(content, 'utf8').digest('hex');
  const signature = createSign('RSA-SHA256').update(digest, 'utf8').sign(secrets.unionpay_sandbox_sign_key, 'base64');
  return { body: form({ ...f, signature }), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

/** Whether a notify answer is the rail's success acknowledgement. */
export function isAck(rail, status, text) {
  if (rail === 'wechat_pay') return status === 204;
  if (rail === 'alipay') return status === 200 && text === 'success';
  return status === 200;
}
