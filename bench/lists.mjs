#!/usr/bin/env node
// Lists against the local worker (`wrangler dev`, loopback only): one merchant with 10,000 checkout
// sessions; the latency of the first page and of a deep page (keyset pagination: the cursor of item
// 9,900), of the filters and of the merchant_order_id lookup; how long a transition takes to show in
// the list; and the cost of writing the list index, as workerd CPU per session created and canceled.
//
//   node bench/lists.mjs [--sessions 10000] [--concurrency 8] [--samples 200] [--seed-only]
//
// `--seed-only` runs just the create and cancel phases, which work without the list index too: run it
// from a checkout of the commit before the index to get the baseline the overhead is measured against.
// Prints numbers; it is not a test and gates nothing.

import { parseArgs } from 'node:util';
import { pool, startBench, workerdCpuMs as cpuOf } from './lib.mjs';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    samples: { type: 'string', default: '200' },
    cancels: { type: 'string', default: '500' },
    'seed-only': { type: 'boolean', default: false },
  },
});
const SESSIONS = Number(values.sessions);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.samples);
const CANCELS = Math.min(Number(values.cancels), SESSIONS);

// Nothing is paid here: startBench's slow sandbox schedule keeps the simulators out of the figures.
const { base, secrets, child, stop } = await startBench();
const auth = { authorization: `Bearer ${secrets.secret_key}` };
/** This benchmark's workerd CPU, in ms. */
const workerdCpuMs = () => cpuOf(child);

async function call(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
function stats(label, ms, extra = '') {
  const s = [...ms].sort((a, b) => a - b);
  console.log(
    `${label.padEnd(52)} p50 ${quantile(s, 0.5).toFixed(1).padStart(6)} ms  p99 ${quantile(s, 0.99).toFixed(1).padStart(6)} ms  (${ms.length})${extra}`,
  );
}

/** `samples` sequential GETs of one URL: the latency a merchant's support tool sees. */
async function timeGets(label, path) {
  const ms = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { headers: auth });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    ms.push(performance.now() - t);
  }
  stats(label, ms);
}

try {
  const run = Date.now().toString(36);
  console.log(`Shouyin list benchmark — wrangler dev on ${base}, ${SESSIONS} sessions, ${CONCURRENCY} concurrent, node ${process.version}`);

  // ── seed: every create is one transition (created) and one index write ──
  let cpu0 = workerdCpuMs();
  let t0 = performance.now();
  const created = [];
  const createMs = [];
  await pool(Array.from({ length: SESSIONS }), CONCURRENCY, async (_, i) => {
    const t = performance.now();
    const s = await call('POST', '/v1/checkout/sessions', {
      amount: 100 + (i % 900),
      currency: 'CNY',
      description: `bench ${i}`,
      merchant_order_id: `b${run}_${i}`,
      expires_in: 7200,
    });
    createMs.push(performance.now() - t);
    created[i] = s;
  });
  let wall = performance.now() - t0;
  // The index writes run after the answer: let them finish inside the CPU window.
  await new Promise((r) => setTimeout(r, 3000));
  stats(
    'create a session',
    createMs,
    `  ${(SESSIONS / (wall / 1000)).toFixed(0)}/s, workerd CPU ${((workerdCpuMs() - cpu0) / SESSIONS).toFixed(2)} ms/session`,
  );

  // ── transitions: cancel (an event, its webhook to the demo shop, and the index write) ──
  const victims = created.slice(0, CANCELS);
  cpu0 = workerdCpuMs();
  t0 = performance.now();
  const cancelMs = [];
  await pool(victims, CONCURRENCY, async (s) => {
    const t = performance.now();
    await call('POST', `/v1/checkout/sessions/${s.id}/cancel`);
    cancelMs.push(performance.now() - t);
  });
  wall = performance.now() - t0;
  // And the webhooks.
  await new Promise((r) => setTimeout(r, 3000));
  stats(
    'cancel a session',
    cancelMs,
    `  ${(CANCELS / (wall / 1000)).toFixed(0)}/s, workerd CPU ${((workerdCpuMs() - cpu0) / CANCELS).toFixed(2)} ms/cancel (incl. webhook)`,
  );

  if (!values['seed-only']) {
    // ── the index holds every session: walk it all, 100 a page ──
    let seen = 0;
    let cursor = null;
    let deep = null;
    const walkMs = [];
    for (let guard = 0; guard < 10 * SESSIONS; guard++) {
      const t = performance.now();
      const page = await call('GET', `/v1/checkout/sessions?limit=100${cursor ? `&starting_after=${cursor}` : ''}`);
      walkMs.push(performance.now() - t);
      seen += page.data.length;
      if (seen === SESSIONS - 100) deep = page.next_cursor;
      if (!page.has_more) break;
      cursor = page.next_cursor;
    }
    if (seen !== SESSIONS) throw new Error(`the index lists ${seen} sessions, not ${SESSIONS}`);
    stats(`walk all ${SESSIONS} sessions, limit=100 (${walkMs.length} pages)`, walkMs, `  ${walkMs.reduce((a, b) => a + b, 0).toFixed(0)} ms in all`);

    await timeGets('first page, limit=20', '/v1/checkout/sessions?limit=20');
    await timeGets('first page, limit=100', '/v1/checkout/sessions?limit=100');
    await timeGets(`deep page (after item ${SESSIONS - 100}), limit=20`, `/v1/checkout/sessions?limit=20&starting_after=${deep}`);
    await timeGets('status=canceled, first page, limit=20', '/v1/checkout/sessions?status=canceled&limit=20');
    await timeGets('status=open, created[gte] window, limit=20', `/v1/checkout/sessions?status=open&created[gte]=${created[SESSIONS >> 1].created}&limit=20`);
    await timeGets('merchant_order_id lookup', `/v1/checkout/sessions?merchant_order_id=b${run}_${SESSIONS >> 1}`);
    await timeGets('retrieve one session (for comparison)', `/v1/checkout/sessions/${created[SESSIONS >> 1].id}`);

    // ── how long a transition takes to show: cancel, then ask the list until it says canceled ──
    const fresh = [];
    for (const s of created.slice(CANCELS, CANCELS + 50)) {
      await call('POST', `/v1/checkout/sessions/${s.id}/cancel`);
      const t = performance.now();
      for (;;) {
        const page = await call('GET', `/v1/checkout/sessions?merchant_order_id=${s.merchant_order_id}`);
        if (page.data[0]?.status === 'canceled') break;
      }
      fresh.push(performance.now() - t);
    }
    stats('cancel answered → the list shows it canceled', fresh);
  }
} finally {
  await stop();
}
