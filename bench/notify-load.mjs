#!/usr/bin/env node
// Open-loop notify load against the local worker (`wrangler dev` of its own, loopback only, fresh keys).
// Notifies arrive on a fixed schedule (R a second, by the clock, whatever the worker answers), and each
// one's latency is counted from the moment it was due, so queueing in the worker shows in the figures.
// After each run every session that was acknowledged is read back: an acknowledgement for a session
// that is not `paid` is a FALSE ACK (the rail was told "stored" when nothing was), the one figure here
// that must be zero.
//
//   node bench/notify-load.mjs [--rate 50] [--duration 20] [--rails wechat_pay,alipay,unionpay]
//                              [--forged F] [--sessions K] [--timeout-ms 10000]
//   node bench/notify-load.mjs --sweep [--step-seconds 5] [--max-p99 1000]
//   node bench/notify-load.mjs --create R [--duration 10]
//
// --rails    notifies go round-robin over sessions paid on these rails (each rail signed as it signs:
//            bench/lib.mjs).
// --forged F also F/s WeChat Pay notifies with signatures no key made, on their own schedule: the
//            figures of the valid ones show what the flood costs them.
// --sweep    R = 25, 50, 100, 150, 200, 250, 300, then +50, for --step-seconds each, until p99 exceeds
//            --max-p99 ms or any notify fails: the knee.
// --create R session creates (POST /v1/checkout/sessions) at R a second instead of notifies.
//
// Sessions: one per notify while the budget lasts (a notify into a session not yet paid, the costly
// path). Every session is a Durable Object, and one workerd holds about 2,000 before SQLite runs out
// of memory maps, so a run makes at most --max-sessions (1,500); past that, notifies go again into the
// sessions already made and are duplicates (answered from the stored payment), which the output counts.
// Prints numbers; it is not a test and gates nothing.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { alipayNotify, api, forgedWechatNotify, isAck, pool, startBench, unionpayNotify, wechatNotify, workerdCpuMs } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    rails: { type: 'string', default: 'wechat_pay' },
    forged: { type: 'string', default: '0' },
    sessions: { type: 'string' },
    'max-sessions': { type: 'string', default: '1500' },
    sweep: { type: 'boolean', default: false },
    'step-seconds': { type: 'string', default: '5' },
    'max-p99': { type: 'string', default: '1000' },
    create: { type: 'string' },
    'timeout-ms': { type: 'string', default: '10000' },
  },
});
const RATE = Number(values.rate);
const DURATION = Number(values.duration);
const RAILS = values.rails.split(',').map((r) => r.trim());
const FORGED = Number(values.forged);
const MAX_SESSIONS = Number(values['max-sessions']);
const STEP = Number(values['step-seconds']);
const MAX_P99 = Number(values['max-p99']);
const TIMEOUT = Number(values['timeout-ms']);
for (const r of RAILS) if (!['wechat_pay', 'alipay', 'unionpay'].includes(r)) throw new Error(`--rails: unknown rail ${JSON.stringify(r)}`);
for (const [name, v] of /** @type {[string, number][]} */ ([
  ['rate', RATE],
  ['duration', DURATION],
  ['step-seconds', STEP],
])) {
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`);
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

console.log(`Shouyin open-loop notify load — load average before start: ${loadavg()}, node ${process.version}`);
const { base, secrets, child, stop, signalled } = await startBench();
const key = secrets.secret_key;
let made = 0;

/** Percentile of sorted `xs` (nearest rank). */
const q = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] : Number.NaN);
const ms = (x) => (Number.isNaN(x) ? '-' : x < 100 ? x.toFixed(1) : x.toFixed(0));

/** Retries while the merchant's attempt budget (burst 300, then 50/s: docs/merchant-api.md#limits) refills. */
async function withRetry(fn) {
  for (let tries = 0; ; tries++) {
    try {
      return await fn();
    } catch (e) {
      if (/** @type {any} */ (e).status !== 429 || tries > 60) throw e;
      await sleep(Math.max(200, /** @type {any} */ (e).retryAfter * 1000));
    }
  }
}

/** `n` open sessions, each with an attempt on one of RAILS (round-robin), ready for a notify. */
async function makeSessions(n) {
  if (made + n > MAX_SESSIONS) throw new Error(`${made + n} sessions would pass --max-sessions ${MAX_SESSIONS}`);
  made += n;
  const t0 = performance.now();
  const out = await pool(Array.from({ length: n }), 8, async (_, i) => {
    const rail = RAILS[i % RAILS.length];
    const amount = 100 + (i % 9000);
    const s = await api(
      base,
      '/v1/checkout/sessions',
      {
        amount,
        currency: 'CNY',
        description: `load ${i}`,
        merchant_order_id: `load_${Date.now()}_${i}_${Math.random().toString(36).slice(2, 8)}`,
        return_url: `${base}/demo/`,
      },
      key,
    );
    // UnionPay's front consume (page) builds a signed form and calls nobody; the other two place a QR order at the sandbox.
    const flow = rail === 'unionpay' ? 'page' : 'qr';
    const a = await withRetry(() => api(base, `/v1/client/sessions/${s.id}/attempts`, { channel: rail, flow }, s.client_secret));
    const txnTime = a.attempt?.next_action?.fields?.txnTime;
    return { id: s.id, rail, amount, attemptId: a.attempt.id, txnTime };
  });
  console.log(`  made ${n} sessions with attempts in ${((performance.now() - t0) / 1000).toFixed(1)} s (${made} in all)`);
  return out;
}

function signFor(s) {
  if (s.rail === 'wechat_pay') return wechatNotify(secrets, s.attemptId, s.amount);
  if (s.rail === 'alipay') return alipayNotify(secrets, s.attemptId, s.amount);
  return unionpayNotify(secrets, s.attemptId, s.amount, s.txnTime);
}

/**
 * Fires `events` (sorted by `at`, ms after the start) open loop: each is sent when its time comes, never
 * waiting for an answer. Resolves once every answer is in, with the start and the generator's worst lag.
 */
async function fireOpenLoop(events, send) {
  const pending = [];
  const t0 = performance.now() + 20;
  let lag = 0;
  let k = 0;
  while (k < events.length) {
    const now = performance.now() - t0;
    while (k < events.length && events[k].at <= now) {
      const ev = events[k++];
      lag = Math.max(lag, now - ev.at);
      pending.push(send(ev, t0 + ev.at));
    }
    if (k < events.length) await sleep(Math.max(0, Math.min(5, events[k].at - (performance.now() - t0))));
  }
  await Promise.all(pending);
  return { t0, lag };
}

/** One open-loop run of `rate`/s valid notifies (and `forged`/s forged ones) for `seconds`. */
async function notifyRun(label, rate, seconds, forged, sessionCount) {
  const n = Math.round(rate * seconds);
  const fresh = Math.min(n, sessionCount ?? n, MAX_SESSIONS - made);
  if (fresh < 1) throw new Error('no session budget left');
  const sessions = await makeSessions(fresh);
  // Signed before the clock starts: the generator's own RSA work stays out of the measured window.
  const events = Array.from({ length: n }, (_, i) => {
    const s = sessions[i % sessions.length];
    return { at: (i * 1000) / rate, s, notify: signFor(s), first: i < sessions.length, forged: false };
  });
  const nf = Math.round(forged * seconds);
  for (let j = 0; j < nf; j++) {
    const s = sessions[j % sessions.length];
    events.push({ at: (j * 1000) / forged, s, notify: forgedWechatNotify(secrets, s.attemptId, s.amount), first: false, forged: true });
  }
  events.sort((a, b) => a.at - b.at);
  /** @type {{ first: number[], dup: number[], forged: number[] }} */
  const lat = { first: [], dup: [], forged: [] };
  const errors = new Map();
  const acked = new Set();
  let forgedAcked = 0;
  let lastDone = 0;
  /** One answer body per kind of failure, to say who answered (Shouyin's own failure acks are 401/404/413/500). */
  const samples = new Map();
  const fail = (what, text = '') => {
    errors.set(what, (errors.get(what) ?? 0) + 1);
    if (!samples.has(what)) samples.set(what, text.replace(/\s+/g, ' ').slice(0, 160));
  };
  const la = loadavg();
  const cpu0 = workerdCpuMs(child);
  const { t0, lag } = await fireOpenLoop(events, async (ev, due) => {
    const rail = ev.forged ? 'wechat_pay' : ev.s.rail;
    try {
      const res = await fetch(`${base}/notify/${rail}/demo`, {
        method: 'POST',
        headers: ev.notify.headers,
        body: ev.notify.body,
        signal: AbortSignal.timeout(TIMEOUT),
      });
      const text = await res.text();
      const done = performance.now();
      lastDone = Math.max(lastDone, done);
      if (ev.forged) {
        lat.forged.push(done - due);
        if (isAck(rail, res.status, text)) forgedAcked++;
        else if (res.status !== 401) fail(`forged answered ${res.status}`, text);
        return;
      }
      if (isAck(rail, res.status, text)) {
        acked.add(ev.s.id);
        (ev.first ? lat.first : lat.dup).push(done - due);
      } else fail(`${rail} ${res.status}`, text);
    } catch (e) {
      lastDone = Math.max(lastDone, performance.now());
      fail(e instanceof Error && e.name === 'TimeoutError' ? `timeout ${TIMEOUT} ms` : `${rail} ${e instanceof Error ? e.message : e}`);
    }
  });
  const cpu = workerdCpuMs(child) - cpu0;
  // Read back: every acknowledged session must be paid.
  const status = await pool(sessions, 8, async (s) => (await api(base, `/v1/checkout/sessions/${s.id}`, undefined, key)).status);
  const paid = new Set(sessions.filter((_, i) => status[i] === 'paid').map((s) => s.id));
  const falseAcks = [...acked].filter((id) => !paid.has(id)).length + forgedAcked;
  const valid = [...lat.first, ...lat.dup].sort((a, b) => a - b);
  const errCount = [...errors.values()].reduce((a, b) => a + b, 0);
  const r = {
    label,
    rate,
    p50: q(valid, 0.5),
    p90: q(valid, 0.9),
    p99: q(valid, 0.99),
    max: valid.at(-1) ?? Number.NaN,
    errors: errCount,
    falseAcks,
  };
  const wall = (lastDone - t0) / 1000;
  console.log(
    `${label}: ${n} valid notifies at ${rate}/s for ${seconds} s${nf ? ` + ${nf} forged at ${forged}/s` : ''} — load average ${la}\n` +
      `  valid   p50 ${ms(r.p50)}  p90 ${ms(r.p90)}  p99 ${ms(r.p99)}  max ${ms(r.max)} ms  ` +
      `(of the acknowledged: ${lat.first.length} into an open session, ${lat.dup.length} duplicates)\n` +
      `  achieved ${(valid.length / wall).toFixed(1)}/s acknowledged (last answer ${wall.toFixed(1)} s after the first was due)  ` +
      `generator lag max ${ms(lag)} ms\n` +
      (nf
        ? `  forged  p50 ${ms(
            q(
              lat.forged.sort((a, b) => a - b),
              0.5,
            ),
          )}  p99 ${ms(q(lat.forged, 0.99))} ms\n`
        : '') +
      `  errors ${errCount}${errCount ? ` (${[...errors].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}  ` +
      `FALSE ACKS ${falseAcks} (acked sessions ${acked.size}, of them paid ${[...acked].filter((id) => paid.has(id)).length}; ` +
      `paid ${paid.size} of ${sessions.length}; forged acked ${forgedAcked})\n` +
      [...samples].map(([k, v]) => `  first answer of "${k}": ${JSON.stringify(v)}\n`).join('') +
      `  workerd CPU ${(cpu / (n + nf)).toFixed(2)} ms/notify (${(cpu / 1000).toFixed(1)} s over ${n + nf} notifies)`,
  );
  return r;
}

/** Open-loop session creates at `rate`/s for `seconds`. */
async function createRun(rate, seconds) {
  const n = Math.round(rate * seconds);
  if (made + n > MAX_SESSIONS) throw new Error(`${n} creates would pass --max-sessions ${MAX_SESSIONS}`);
  made += n;
  const events = Array.from({ length: n }, (_, i) => ({ at: (i * 1000) / rate, i }));
  const lat = [];
  const errors = new Map();
  let lastDone = 0;
  const la = loadavg();
  const cpu0 = workerdCpuMs(child);
  const { t0, lag } = await fireOpenLoop(events, async (ev, due) => {
    try {
      const res = await fetch(`${base}/v1/checkout/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 100 + ev.i, currency: 'CNY', description: `create ${ev.i}`, merchant_order_id: `create_${Date.now()}_${ev.i}` }),
        signal: AbortSignal.timeout(TIMEOUT),
      });
      await res.arrayBuffer();
      lastDone = Math.max(lastDone, performance.now());
      if (res.ok) lat.push(performance.now() - due);
      else errors.set(`HTTP ${res.status}`, (errors.get(`HTTP ${res.status}`) ?? 0) + 1);
    } catch (e) {
      lastDone = Math.max(lastDone, performance.now());
      const what = e instanceof Error && e.name === 'TimeoutError' ? `timeout ${TIMEOUT} ms` : String(e);
      errors.set(what, (errors.get(what) ?? 0) + 1);
    }
  });
  const cpu = workerdCpuMs(child) - cpu0;
  lat.sort((a, b) => a - b);
  const errCount = [...errors.values()].reduce((a, b) => a + b, 0);
  console.log(
    `session creates: ${n} at ${rate}/s for ${seconds} s — load average ${la}\n` +
      `  p50 ${ms(q(lat, 0.5))}  p90 ${ms(q(lat, 0.9))}  p99 ${ms(q(lat, 0.99))}  max ${ms(lat.at(-1) ?? Number.NaN)} ms  ` +
      `achieved ${(lat.length / ((lastDone - t0) / 1000)).toFixed(1)}/s  generator lag max ${ms(lag)} ms\n` +
      `  errors ${errCount}${errCount ? ` (${[...errors].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}  ` +
      `workerd CPU ${(cpu / n).toFixed(2)} ms/create`,
  );
}

let exitCode = 0;
try {
  console.log(`wrangler dev on ${base}; rails ${RAILS.join(', ')}; answer timeout ${TIMEOUT} ms`);
  if (values.create !== undefined) {
    await createRun(Number(values.create), DURATION);
  } else if (values.sweep) {
    const rates = [25, 50, 100, 150, 200, 250, 300];
    const results = [];
    for (let i = 0; ; i++) {
      const rate = rates[i] ?? 300 + 50 * (i - rates.length + 1);
      if (made >= MAX_SESSIONS) {
        console.log(`session budget (${MAX_SESSIONS}) spent: the sweep stops here`);
        break;
      }
      const r = await notifyRun(`sweep ${rate}/s`, rate, STEP, FORGED, undefined);
      results.push(r);
      if (r.p99 > MAX_P99 || r.errors > 0 || r.falseAcks > 0) {
        console.log(`knee: at ${rate}/s ${r.errors ? `${r.errors} errors` : `p99 ${ms(r.p99)} ms > ${MAX_P99} ms`}`);
        break;
      }
    }
    console.log('— sweep —');
    for (const r of results)
      console.log(`  ${String(r.rate).padStart(4)}/s  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  max ${ms(r.max)} ms  errors ${r.errors}  false acks ${r.falseAcks}`);
  } else {
    const sessions = values.sessions === undefined ? undefined : Number(values.sessions);
    const r = await notifyRun(`rate ${RATE}/s`, RATE, DURATION, FORGED, sessions);
    if (r.falseAcks > 0) exitCode = 1;
  }
} catch (e) {
  // Requests cut off by Ctrl+C fail; the signal handler is already stopping wrangler and exits 130.
  if (!signalled()) throw e;
  await stop();
  process.exit(130);
} finally {
  await stop();
}
process.exitCode = exitCode;
