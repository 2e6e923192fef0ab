// Small helpers shared by scripts/start.mjs, scripts/test.mjs and the end-to-end setup.
// Node built-ins only: these run before `npm install` on a fresh clone.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Runs a command from the repo root with inherited output; resolves with its exit code.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, cwd?: string }} [options]
 * @returns {Promise<number>}
 */
export function run(cmd, args, { env, cwd = ROOT } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', (e) => {
      console.error(`${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** `npm install` when node_modules is missing or lacks any package that package.json names. */
export async function ensureDeps() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const needed = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  if (needed.every((p) => existsSync(join(ROOT, 'node_modules', p, 'package.json')))) return 0;
  console.log('Installing dependencies (npm install)…');
  return run('npm', ['install', '--no-audit', '--no-fund']);
}

export function buildWidget() {
  return run('npx', ['vite', 'build', '-c', 'widget/vite.config.ts']);
}

/** The merchant dashboard, into widget/dist/dashboard/ (after the widget: its build empties widget/dist). */
export function buildDashboard() {
  return run('npx', ['vite', 'build', '-c', 'dashboard/vite.config.ts']);
}

/**
 * A one-time dashboard sign-in link for `merchant` from the admin API (POST
 * /v1/admin/merchants/:id/dashboard_links), sent with node:http: exactly the headers written here, none
 * that the admin API would take for a browser's (Origin, Sec-Fetch-Site).
 * @param {{ baseUrl: string, adminKey: string, merchant: string, ttlSeconds?: number }} options
 * @returns {Promise<{ url: string, expires_at: number }>}
 */
export function dashboardLink({ baseUrl, adminKey, merchant, ttlSeconds }) {
  const body = JSON.stringify(ttlSeconds ? { ttl_seconds: ttlSeconds } : {});
  const url = new URL(`/v1/admin/merchants/${encodeURIComponent(merchant)}/dashboard_links`, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          if (res.statusCode === 201) resolve(JSON.parse(text));
          else reject(new Error(`dashboard link: HTTP ${res.statusCode} ${text}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves whether `port` on `host` can be listened on right now. */
export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port the OS says is free at this moment.
 * @returns {Promise<number>}
 */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Environment for `wrangler dev` on a machine that may have no route to Cloudflare:
 * no metrics prompt or upload, and no attempt to download the `Request.cf` placeholder
 * (which otherwise logs a stack trace when offline).
 */
export const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

/** Lines of wrangler output that only say "Cloudflare is unreachable" and change nothing locally. */
export function isWranglerNoise(line) {
  return (
    /Unable to fetch the `?Request\.cf`? object/.test(line) ||
    /getaddrinfo (ENOTFOUND|EAI_AGAIN) .*cloudflare/.test(line) ||
    /^\s+at .*(GetAddrInfoReqWrap|node:dns|node:internal\/async_hooks)/.test(line) ||
    /update available \d/.test(line)
  );
}

/**
 * Just enough TOML for the wrangler configs here: top-level keys and [[array tables]] / [tables] of scalars and string arrays.
 * @param {string} text
 * @returns {Record<string, any>}
 */
export function parseToml(text) {
  const doc = {};
  let target = doc;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*#.*$/, '').trim();
    if (!line) continue;
    let m;
    if ((m = /^\[\[([\w.]+)\]\]$/.exec(line))) {
      const path = m[1].split('.');
      let o = doc;
      for (const k of path.slice(0, -1)) o = o[k] ??= {};
      (o[path.at(-1)] ??= []).push((target = {}));
    } else if ((m = /^\[([\w.]+)\]$/.exec(line))) {
      target = doc[m[1]] ??= {};
    } else if ((m = /^([\w-]+)\s*=\s*(.+)$/.exec(line))) {
      target[m[1]] = JSON.parse(m[2].replace(/\s+#.*$/, ''));
    }
  }
  return doc;
}

export const readToml = (file) => parseToml(readFileSync(join(ROOT, file), 'utf8'));

/** The demo Worker's name (demo/wrangler.toml) and the name its SANDBOX service binding asks for. */
export const DEMO_WORKER = 'shouyin-demo';
export const DEMO_SANDBOX_WORKER = 'shouyin-demo-sandbox';

/**
 * The sandbox Worker of the demo: sandbox/wrangler.toml with its bindings to the Shouyin Worker pointed at the demo
 * Worker instead of the deployed one, under the name the demo's SANDBOX binding asks for.
 */
export function demoSandboxConfig() {
  const doc = readToml('sandbox/wrangler.toml');
  return {
    ...doc,
    name: DEMO_SANDBOX_WORKER,
    main: resolve(ROOT, 'sandbox', doc.main),
    services: (doc.services ?? []).map((s) => (s.service === 'shouyin' ? { ...s, service: DEMO_WORKER } : s)),
  };
}

/**
 * Writes the demo's sandbox config where wrangler will give it `envFile`'s secrets: wrangler passes
 * --env-file to the first config of a multi-config `wrangler dev` only, and every other Worker reads
 * the `.dev.vars` beside its own config. So the config goes to a fresh folder with a `.dev.vars` link
 * to `envFile` (no copy of the secrets). Returns the config's path and a function that removes it.
 */
export function writeDemoSandboxConfig(envFile) {
  const dir = mkdtempSync(join(tmpdir(), 'shouyin-sandbox-'));
  writeFileSync(join(dir, 'wrangler.json'), `${JSON.stringify(demoSandboxConfig(), null, 2)}\n`);
  if (envFile) symlinkSync(resolve(envFile), join(dir, '.dev.vars'));
  return { path: join(dir, 'wrangler.json'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `wrangler dev -c demo/wrangler.toml` with the sandbox Worker beside it (one session, two
 * Workers, the service bindings between them resolved locally) and resolves once it prints "Ready on …".
 * `onLine(line, ready)` sees every output line (noise removed). Rejects if wrangler exits first or
 * is not ready within `timeoutMs`.
 * @param {{ port: number, envFile?: string, persistTo?: string, inspectorPort?: number,
 *   onLine?: (line: string, ready: boolean) => void, timeoutMs?: number, extraEnv?: Record<string, string>,
 *   detached?: boolean }} options
 */
export function startWrangler({ port, envFile, persistTo, inspectorPort, onLine = () => {}, timeoutMs = 90_000, extraEnv = {}, detached = true }) {
  // wrangler's own entry under this Node (not npx): one process fewer between a signal and workerd.
  const sandbox = writeDemoSandboxConfig(envFile);
  const args = [
    `${ROOT}/node_modules/wrangler/bin/wrangler.js`,
    'dev',
    '-c',
    'demo/wrangler.toml',
    '-c',
    sandbox.path,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--show-interactive-dev-session=false',
  ];
  if (envFile) args.push('--env-file', envFile);
  if (persistTo) args.push('--persist-to', persistTo);
  if (inspectorPort) args.push('--inspector-port', String(inspectorPort));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...WRANGLER_ENV, ...extraEnv },
    // Own process group (tests), so the whole tree (wrangler → workerd) can be stopped together.
    // `npm start` keeps it in the terminal's group instead, so Ctrl+C reaches wrangler directly.
    detached,
  });
  let ready = false;
  /** @type {string[]} */
  const output = [];
  /** @type {Promise<void>} */
  const readyPromise = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev was not ready within ${timeoutMs / 1000}s:\n${output.join('\n')}`)), timeoutMs);
    const feed = (stream) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).replace(/\r$/, '');
          buf = buf.slice(i + 1);
          if (isWranglerNoise(line)) continue;
          output.push(line);
          if (output.length > 400) output.shift();
          if (!ready && /Ready on https?:\/\//.test(line)) {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
          onLine(line, ready);
        }
      });
    };
    feed(child.stdout);
    feed(child.stderr);
    child.on('exit', (code, signal) => {
      sandbox.remove();
      clearTimeout(timer);
      if (!ready) reject(new Error(`wrangler dev exited (${signal ?? code}) before it was ready:\n${output.join('\n')}`));
    });
  });
  return { child, ready: readyPromise, output };
}

/**
 * Stops a process started with `detached: true` and everything it spawned.
 * @param {import('node:child_process').ChildProcess | undefined} child
 * @param {NodeJS.Signals} [signal]
 * @returns {Promise<void>}
 */
export function stopTree(child, signal = 'SIGTERM') {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const done = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve();
    }, 5000);
    child.once('exit', () => {
      clearTimeout(done);
      resolve();
    });
    try {
      process.kill(-pid, signal);
    } catch {
      clearTimeout(done);
      resolve();
    }
  });
}
