#!/usr/bin/env node
// Notify throughput and latency against the local worker (`wrangler dev`, loopback only), for
// verified WeChat Pay v3 notifies: (1) each into its own session, (2) all into one hot session.
// Also the worker's CPU time per notify, read from the workerd processes' /proc stat counters.
//
//   node bench/notify.mjs [--sessions 300] [--hot 1000] [--concurrency 16]
//
// Prints numbers; it is not a test and gates nothing.

import { createCipheriv, createSign, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildConfig, devVarsText, generateSecrets } from '../scripts/dev-config.mjs';
import { freePort, startWrangler, stopTree } from '../scripts/lib.mjs';

const { values } = parseArgs({
  options: { sessions: { type: 'string', default: '300' }, hot: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '16' } },
});
const SESSIONS = Number(values.sessions);
const HOT = Number(values.hot);
const CONCURRENCY = Number(values.concurrency);

const tmp = mkdtempSync(join(tmpdir(), 'shouyin-bench-'));
const port = await freePort();
const secrets = generateSecrets();
// A slow sandbox schedule: the benchmark's own notifies are the only ones that matter.
const config = buildConfig(secrets, { port, timeScale: 1, notifyDelaySeconds: 60 });
const envFile = join(tmp, '.dev.vars');
writeFileSync(envFile, devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret }), { mode: 0o600 });
const { child, ready } = startWrangler({ port, envFile, persistTo: join(tmp, 'state'), inspectorPort: await freePort() });
await ready;
const base = `http://127.0.0.1:${port}`;

/** utime + stime of every workerd process, in ms (clock ticks are 100 Hz on Linux). */
function workerdCpuMs() {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
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

async function api(path, body, auth = secrets.secret_key) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function pool(items, n, fn) {
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
function notify(outTradeNo, amount) {
  const tx = JSON.stringify({
    appid: secrets.appid,
    mchid: secrets.mchid,
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

async function fire(label, notifies) {
  const lat = [];
  const cpu0 = workerdCpuMs();
  const t0 = performance.now();
  await pool(notifies, CONCURRENCY, async (n) => {
    const s = performance.now();
    const res = await fetch(`${base}/notify/wechat_pay/demo`, { method: 'POST', headers: n.headers, body: n.body });
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`notify answered ${res.status}`);
    lat.push(performance.now() - s);
  });
  const wall = performance.now() - t0;
  const cpu = workerdCpuMs() - cpu0;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
  console.log(
    `${label.padEnd(34)} ${String(notifies.length).padStart(5)} notifies  ${(notifies.length / (wall / 1000)).toFixed(0).padStart(5)}/s  ` +
      `p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  workerd CPU ${(cpu / notifies.length).toFixed(2)} ms/notify`,
  );
}

try {
  console.log(`Shouyin notify benchmark — wrangler dev on ${base}, ${CONCURRENCY} concurrent, node ${process.version}`);
  const sessions = await pool(Array.from({ length: SESSIONS }), 8, async (_, i) => {
    const s = await api('/v1/checkout/sessions', {
      amount: 100 + i,
      currency: 'CNY',
      description: `bench ${i}`,
      merchant_order_id: `bench_${i}_${Date.now()}`,
    });
    const a = await api(`/v1/client/sessions/${s.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' }, s.client_secret);
    return { outTradeNo: a.attempt.id, amount: s.amount };
  });
  await fire(
    'distinct sessions (each → paid)',
    sessions.map((s) => notify(s.outTradeNo, s.amount)),
  );
  const hot = await api('/v1/checkout/sessions', { amount: 8888, currency: 'CNY', description: 'bench hot', merchant_order_id: `bench_hot_${Date.now()}` });
  const ha = await api(`/v1/client/sessions/${hot.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' }, hot.client_secret);
  await fire(
    'one hot session (1 paid, rest dupes)',
    Array.from({ length: HOT }, () => notify(ha.attempt.id, 8888)),
  );
  const forged = Array.from({ length: 300 }, () => {
    const n = notify(ha.attempt.id, 8888);
    n.headers['wechatpay-signature'] = `${n.headers['wechatpay-signature'].slice(0, -4)}AAA=`;
    return n;
  });
  const cpu0 = workerdCpuMs();
  const t0 = performance.now();
  await pool(forged, CONCURRENCY, async (n) => {
    const r = await fetch(`${base}/notify/wechat_pay/demo`, { method: 'POST', headers: n.headers, body: n.body });
    await r.arrayBuffer();
    if (r.status !== 401) throw new Error(`forged notify answered ${r.status}`);
  });
  console.log(
    `forged (rejected, 401)               300 notifies  ${(300 / ((performance.now() - t0) / 1000)).toFixed(0).padStart(5)}/s  workerd CPU ${((workerdCpuMs() - cpu0) / 300).toFixed(2)} ms/notify`,
  );
} finally {
  await stopTree(child);
  rmSync(tmp, { recursive: true, force: true });
}
