#!/usr/bin/env node
// What open checkout sessions that nobody watches cost: N sessions, each with a WeChat Pay QR handed
// out and then no traffic at all (the shopper left), against the local worker (`wrangler dev`, loopback
// only). Reports the CPU of this run's workerd process over the following minutes and the provider
// calls each abandoned session made before it expired, counted at the simulator. The schedule it
// measures is in worker/src/session/schedules.ts; why it is what it is: docs/reliability.md.
//
//   node bench/idle-sessions.mjs [--sessions 1200] [--expires 300] [--observe 240] [--concurrency 8]
//
// --expires is each session's expires_in (s): the run lasts until the last session has expired and its
// order was closed (about sessions/creation rate + expires + 30 s). CPU is sampled for --observe seconds
// after the last session was created, never past the first session's expiry. Prints numbers; it is not
// a test and gates nothing.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildConfig, devVarsText, generateSecrets } from '../scripts/dev-config.mjs';
import { ROOT, WRANGLER_ENV, buildWidget, demoSandboxConfig, freePort, isWranglerNoise, stopTree } from '../scripts/lib.mjs';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1200' },
    expires: { type: 'string', default: '300' },
    observe: { type: 'string', default: '240' },
    concurrency: { type: 'string', default: '8' },
  },
});
const SESSIONS = Number(values.sessions);
const EXPIRES_S = Number(values.expires);
const OBSERVE_S = Number(values.observe);
const CONCURRENCY = Number(values.concurrency);
if (!(SESSIONS > 0 && SESSIONS < 2000)) throw new Error('--sessions must be 1 to 1999 (each session is a Durable Object)');
if (!(Number.isInteger(EXPIRES_S) && EXPIRES_S >= 60 && EXPIRES_S <= 7200)) throw new Error('--expires must be whole seconds from 60 to 7200');

// The demo Worker serves the widget's build as static assets; wrangler refuses to start without it.
if (!existsSync(join(ROOT, 'widget', 'dist')) && (await buildWidget()) !== 0) throw new Error('the widget build failed');

const tmp = mkdtempSync(join(tmpdir(), 'shouyin-bench-'));
const port = await freePort();
const secrets = generateSecrets();
// No payment happens in this run; a slow notify schedule keeps the simulator quiet anyway.
const config = buildConfig(secrets, { port, timeScale: 1, notifyDelaySeconds: 60 });
const envFile = join(tmp, '.dev.vars');
writeFileSync(envFile, devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret }), { mode: 0o600 });

// The simulator Worker, wrapped to count the WeChat Pay API calls it answers, per order: the order
// query (GET …/out-trade-no/{no}) and close (POST …/out-trade-no/{no}/close). `/sandbox/_bench/calls`
// answers the counts. The wrapper lives in the run's temporary folder; the simulator is unchanged.
const sandboxSrc = join(ROOT, 'sandbox', 'src', 'index.ts');
writeFileSync(
  join(tmp, 'counting-sandbox.mjs'),
  `import sandbox from ${JSON.stringify(sandboxSrc)};
export { SandboxLedger, AlipaySandboxLedger, UnionpaySandboxLedger } from ${JSON.stringify(sandboxSrc)};
const orders = new Map();
const ORDER = /^\\/sandbox\\/wechatpay\\/v3\\/pay\\/transactions\\/out-trade-no\\/([0-9A-Za-z]+)(\\/close)?$/;
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/sandbox/_bench/calls') return Response.json(Object.fromEntries(orders));
    const m = ORDER.exec(url.pathname);
    if (m) {
      const o = orders.get(m[1]) ?? { queries: [], closes: [] };
      orders.set(m[1], o);
      if (request.method === 'GET' && !m[2]) o.queries.push(Date.now());
      if (request.method === 'POST' && m[2]) o.closes.push(Date.now());
    }
    return sandbox.fetch(request, env, ctx);
  },
};
`,
);
const sandboxConfig = join(tmp, 'sandbox.json');
writeFileSync(sandboxConfig, JSON.stringify({ ...demoSandboxConfig(), main: join(tmp, 'counting-sandbox.mjs') }, null, 2));
// wrangler gives --env-file to the first config only; the second reads the .dev.vars beside its own.

const child = spawn(
  process.execPath,
  [
    join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '-c',
    'demo/wrangler.toml',
    '-c',
    sandboxConfig,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--show-interactive-dev-session=false',
    '--env-file',
    envFile,
    '--persist-to',
    join(tmp, 'state'),
    '--inspector-port',
    String(await freePort()),
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...WRANGLER_ENV }, detached: true },
);
const ready = new Promise((resolve, reject) => {
  const log = [];
  let up = false;
  const timer = setTimeout(() => reject(new Error(`wrangler dev was not ready within 90 s:\n${log.join('\n')}`)), 90_000);
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      for (const line of String(chunk).split('\n')) {
        if (!line || isWranglerNoise(line)) continue;
        log.push(line);
        // After start-up, say when wrangler reloads or the runtime restarts: it would skew the figures.
        if (up && /reload|restart|detected changes|error/i.test(line)) console.log(`  wrangler: ${line.trim()}`);
        if (/Ready on https?:\/\//.test(line)) {
          up = true;
          clearTimeout(timer);
          resolve(undefined);
        }
      }
    });
  }
  child.on('exit', (code) => reject(new Error(`wrangler dev exited (${code}):\n${log.join('\n')}`)));
});
const base = `http://127.0.0.1:${port}`;

/** The pids of this run's workerd processes: descendants of the wrangler we started, by name. */
function workerdPids() {
  const parent = new Map();
  const name = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      parent.set(Number(pid), Number(rest[1]));
      name.set(Number(pid), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    } catch {
      // a process that ended meanwhile
    }
  }
  const ours = (pid) => {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) if (p === child.pid) return true;
    return false;
  };
  return [...name].filter(([pid, n]) => n.startsWith('workerd') && ours(pid)).map(([pid]) => pid);
}

/** utime + stime of this run's workerd processes, in ms (clock ticks are 100 Hz on Linux). */
function workerdCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // ended
    }
  }
  return ticks * 10;
}

async function post(path, body, auth) {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    // `wrangler dev` answers 503 when its runtime restarted under the request (a loaded machine): try
    // again. A session created twice leaves one without an attempt, which costs nothing to watch.
    if (res.status === 503 && attempt < 4) {
      console.log(`  ${path}: 503, again (${text.slice(0, 80)})`);
      continue;
    }
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }
}

async function pool(n, count, fn) {
  const out = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < count) {
        const k = i++;
        out[k] = await fn(k);
      }
    }),
  );
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

try {
  await ready;
  const pids = workerdPids();
  if (pids.length === 0) throw new Error('no workerd process under this wrangler dev');
  console.log(`Shouyin idle-session benchmark — wrangler dev on ${base} (workerd pid ${pids.join(', ')}), node ${process.version}`);
  console.log(`${SESSIONS} sessions, expires_in ${EXPIRES_S} s, each with a WeChat Pay QR and no traffic; load average ${load()}`);
  const t0 = performance.now();
  const sessions = await pool(CONCURRENCY, SESSIONS, async (i) => {
    const s = await post(
      '/v1/checkout/sessions',
      { amount: 100 + i, currency: 'CNY', description: `idle ${i}`, merchant_order_id: `idle_${i}_${Date.now()}`, expires_in: EXPIRES_S },
      secrets.secret_key,
    );
    const a = await post(`/v1/client/sessions/${s.id}/attempts`, { channel: 'wechat_pay', flow: 'qr' }, s.client_secret);
    return { order: a.attempt.id, expiresAt: s.expires_at * 1000 };
  });
  const created = performance.now();
  console.log(`created in ${((created - t0) / 1000).toFixed(1)} s`);

  // CPU while every session is open: from the last creation to --observe s later (or the first expiry).
  const firstExpiry = Math.min(...sessions.map((s) => s.expiresAt));
  const window = Math.max(0, Math.min(OBSERVE_S * 1000, firstExpiry - Date.now() - 5_000));
  const step = 30_000;
  let cpuPrev = workerdCpuMs(pids);
  const cpuStart = cpuPrev;
  const wStart = performance.now();
  for (let elapsed = 0; elapsed < window; ) {
    const d = Math.min(step, window - elapsed);
    await sleep(d);
    elapsed += d;
    const cpu = workerdCpuMs(pids);
    console.log(
      `  +${String(Math.round(elapsed / 1000)).padStart(4)} s  workerd CPU ${((100 * (cpu - cpuPrev)) / d).toFixed(1).padStart(5)} % of one core  (load ${load()})`,
    );
    cpuPrev = cpu;
  }
  const wall = performance.now() - wStart;
  const cpuAvg = (100 * (workerdCpuMs(pids) - cpuStart)) / wall;

  // Then until every session has expired and its order was closed.
  const lastExpiry = Math.max(...sessions.map((s) => s.expiresAt));
  const rest = lastExpiry + 30_000 - Date.now();
  if (rest > 0) {
    console.log(`waiting ${Math.round(rest / 1000)} s for the last session to expire and close…`);
    await sleep(rest);
  }
  const calls = await (await fetch(`${base}/sandbox/_bench/calls`)).json();
  let before = 0;
  let closes = 0;
  let closed = 0;
  let max = 0;
  for (const s of sessions) {
    const c = calls[s.order] ?? { queries: [], closes: [] };
    // A query after the close is part of it (the close of a paid order asks); none happen here.
    const firstClose = c.closes[0] ?? Number.POSITIVE_INFINITY;
    const q = c.queries.filter((t) => t < firstClose).length;
    before += q;
    max = Math.max(max, q);
    closes += c.closes.length;
    if (c.closes.length > 0) closed++;
  }
  console.log(
    `workerd CPU over ${(wall / 1000).toFixed(0)} s with all ${SESSIONS} sessions open: ${cpuAvg.toFixed(1)} % of one core (${(cpuAvg / SESSIONS).toFixed(4)} % per session)`,
  );
  console.log(
    `provider calls per abandoned session before expiry (order queries, close excluded): ${(before / SESSIONS).toFixed(2)} on average, ${max} at most; ` +
      `closes: ${closes} for ${closed}/${SESSIONS} sessions; load average at the end ${load()}`,
  );
} finally {
  await stopTree(child);
  rmSync(tmp, { recursive: true, force: true });
}
