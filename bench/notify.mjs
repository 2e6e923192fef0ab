#!/usr/bin/env node
// Notify throughput and latency against the local worker (`wrangler dev`, loopback only), for
// verified WeChat Pay v3 notifies: (1) each into its own session, (2) all into one hot session.
// Also the worker's CPU time per notify, read from the workerd processes' /proc stat counters.
// Everything runs twice in the same `wrangler dev`: for the merchant in SHOUYIN_CONFIG, then for the
// same merchant created in the merchant registry through the admin API (its credentials sealed,
// served from the isolate's cache).
//
//   node bench/notify.mjs [--sessions 300] [--hot 1000] [--concurrency 16] [--rounds 1]
//
// With --rounds N the workloads run N times, the two sources taking turns (SHOUYIN_CONFIG, then the
// registry, in every round), and the totals per source are printed at the end: on a busy machine,
// turns spread the noise over both sources alike.
//
// Prints numbers; it is not a test and gates nothing.

import { createCipheriv, createSign, randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildConfig, devVarsText, generateSecrets } from '../scripts/dev-config.mjs';
import { freePort, startWrangler, stopTree } from '../scripts/lib.mjs';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '300' },
    hot: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '1' },
  },
});
const SESSIONS = Number(values.sessions);
const HOT = Number(values.hot);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const tmp = mkdtempSync(join(tmpdir(), 'shouyin-bench-'));
const port = await freePort();
const secrets = generateSecrets();
// A slow sandbox schedule: the benchmark's own notifies are the only ones that matter.
const config = buildConfig(secrets, { port, timeScale: 1, notifyDelaySeconds: 60 });
const envFile = join(tmp, '.dev.vars');
writeFileSync(envFile, devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret }), { mode: 0o600 });
// The registry's master key and an admin key, fresh for this run.
const adminKey = `sk_admin_${randomBytes(24).toString('hex')}`;
appendFileSync(envFile, `SHOUYIN_MASTER_KEY=bench:${randomBytes(32).toString('base64')}\nSHOUYIN_ADMIN_KEYS=${adminKey}\n`);
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
function notify(outTradeNo, amount, mchid = secrets.mchid) {
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

/** Per source and workload, over every round: notifies, wall ms, latencies, workerd CPU ms. */
const totals = new Map();

function line(label, n, wall, lat, cpu) {
  lat.sort((a, b) => a - b);
  const q = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1) : '-');
  console.log(
    `${label.padEnd(50)} ${String(n).padStart(5)} notifies  ${(n / (wall / 1000)).toFixed(0).padStart(5)}/s  ` +
      `${lat.length ? `p50 ${q(0.5)} ms  p99 ${q(0.99)} ms  ` : ''}workerd CPU ${(cpu / n).toFixed(2)} ms/notify`,
  );
}

function record(label, n, wall, lat, cpu) {
  const t = totals.get(label) ?? { n: 0, wall: 0, lat: [], cpu: 0 };
  t.n += n;
  t.wall += wall;
  t.lat.push(...lat);
  t.cpu += cpu;
  totals.set(label, t);
  line(label, n, wall, [...lat], cpu);
}

async function fire(label, merchant, notifies) {
  const lat = [];
  const cpu0 = workerdCpuMs();
  const t0 = performance.now();
  await pool(notifies, CONCURRENCY, async (n) => {
    const s = performance.now();
    const res = await fetch(`${base}/notify/wechat_pay/${merchant}`, { method: 'POST', headers: n.headers, body: n.body });
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`notify answered ${res.status}`);
    lat.push(performance.now() - s);
  });
  record(label, notifies.length, performance.now() - t0, lat, workerdCpuMs() - cpu0);
}

/** The three workloads for one merchant: distinct sessions, one hot session, forged notifies. */
async function suite(source, merchant, key, mchid) {
  const sessions = await pool(Array.from({ length: SESSIONS }), 8, async (_, i) => {
    const s = await api(
      '/v1/checkout/sessions',
      { amount: 100 + i, currency: 'CNY', description: `bench ${i}`, merchant_order_id: `bench_${merchant}_${i}_${Date.now()}` },
      key,
    );
    const a = await api(`/v1/client/sessions/${s.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' }, s.client_secret);
    return { outTradeNo: a.attempt.id, amount: s.amount };
  });
  await fire(
    `${source}: distinct sessions (each → paid)`,
    merchant,
    sessions.map((s) => notify(s.outTradeNo, s.amount, mchid)),
  );
  const hot = await api(
    '/v1/checkout/sessions',
    { amount: 8888, currency: 'CNY', description: 'bench hot', merchant_order_id: `bench_hot_${merchant}_${Date.now()}` },
    key,
  );
  const ha = await api(`/v1/client/sessions/${hot.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' }, hot.client_secret);
  await fire(
    `${source}: one hot session (1 paid, rest dupes)`,
    merchant,
    Array.from({ length: HOT }, () => notify(ha.attempt.id, 8888, mchid)),
  );
  const forged = Array.from({ length: 300 }, () => {
    const n = notify(ha.attempt.id, 8888, mchid);
    n.headers['wechatpay-signature'] = `${n.headers['wechatpay-signature'].slice(0, -4)}AAA=`;
    return n;
  });
  const cpu0 = workerdCpuMs();
  const t0 = performance.now();
  await pool(forged, CONCURRENCY, async (n) => {
    const r = await fetch(`${base}/notify/wechat_pay/${merchant}`, { method: 'POST', headers: n.headers, body: n.body });
    await r.arrayBuffer();
    if (r.status !== 401) throw new Error(`forged notify answered ${r.status}`);
  });
  record(`${source}: forged (rejected, 401)`, forged.length, performance.now() - t0, [], workerdCpuMs() - cpu0);
}

try {
  console.log(`Shouyin notify benchmark — wrangler dev on ${base}, ${CONCURRENCY} concurrent, ${ROUNDS} round(s), node ${process.version}`);
  // The same merchant in the registry, under an id and mchid of its own (the sandbox tells them apart).
  const { id: _id, secret_keys: _keys, ...entry } = config.merchants[0];
  const wechat = /** @type {{ wechat_pay: Record<string, unknown> }} */ (entry.providers).wechat_pay;
  const mchid = `${secrets.mchid.slice(0, -1)}${(Number(secrets.mchid.at(-1)) + 1) % 10}`;
  const res = await fetch(`${base}/v1/admin/merchants/benchreg`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...entry, livemode: false, providers: { wechat_pay: { ...wechat, mchid } } }),
  });
  if (res.status !== 201) throw new Error(`registry merchant: ${res.status} ${await res.text()}`);
  const { api_key } = await res.json();
  for (let r = 0; r < ROUNDS; r++) {
    await suite('SHOUYIN_CONFIG', 'demo', secrets.secret_key, secrets.mchid);
    await suite('registry', 'benchreg', api_key, mchid);
  }
  if (ROUNDS > 1) {
    console.log(`— totals over ${ROUNDS} rounds —`);
    for (const [label, t] of totals) line(label, t.n, t.wall, t.lat, t.cpu);
  }
} finally {
  await stopTree(child);
  rmSync(tmp, { recursive: true, force: true });
}
