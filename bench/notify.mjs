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

import { parseArgs } from 'node:util';
import { api as apiAt, pool, startBench, wechatNotify, workerdCpuMs as cpuOf } from './lib.mjs';

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

const { base, secrets, config, adminKey, child, stop } = await startBench();
const workerdCpuMs = () => cpuOf(child);
const api = (path, body, auth = secrets.secret_key) => apiAt(base, path, body, auth);
const notify = (outTradeNo, amount, mchid) => wechatNotify(secrets, outTradeNo, amount, mchid);

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
  await stop();
}
