// Small helpers shared by scripts/start.mjs, scripts/test.mjs and the end-to-end setup.
// Node built-ins only: these run before `npm install` on a fresh clone.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a command from the repo root with inherited output; resolves with its exit code. */
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

/** `npm install` when node_modules is missing or lacks the pinned toolchain. */
export async function ensureDeps() {
  const needed = ['wrangler', 'vite', 'vitest', 'hono', 'lit', 'fast-xml-parser', 'playwright-core', 'typescript', 'axe-core', 'vue', 'qrcode-generator', 'fflate', 'papaparse'];
  if (needed.every((p) => existsSync(join(ROOT, 'node_modules', p, 'package.json')))) return 0;
  console.log('Installing dependencies (npm install)…');
  return run('npm', ['install', '--no-audit', '--no-fund']);
}

export function buildWidget() {
  return run('npx', ['vite', 'build', '-c', 'widget/vite.config.ts']);
}

/** Resolves whether `port` on `host` can be listened on right now. */
export function portFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A port the OS says is free at this moment. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
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
 * Starts `wrangler dev -c demo/wrangler.toml` and resolves once it prints "Ready on …".
 * `onLine(line, ready)` sees every output line (noise removed). Rejects if wrangler exits first or
 * is not ready within `timeoutMs`.
 */
export function startWrangler({ port, envFile, persistTo, inspectorPort, onLine = () => {}, timeoutMs = 90_000, extraEnv = {}, detached = true }) {
  // wrangler's own entry under this Node (not npx): one process fewer between a signal and workerd.
  const args = [
    `${ROOT}/node_modules/wrangler/bin/wrangler.js`, 'dev', '-c', 'demo/wrangler.toml',
    '--ip', '127.0.0.1', '--port', String(port),
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
  const output = [];
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
      clearTimeout(timer);
      if (!ready) reject(new Error(`wrangler dev exited (${signal ?? code}) before it was ready:\n${output.join('\n')}`));
    });
  });
  return { child, ready: readyPromise, output };
}

/** Stops a process started with `detached: true` and everything it spawned. */
export function stopTree(child, signal = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const done = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
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
      process.kill(-child.pid, signal);
    } catch {
      clearTimeout(done);
      resolve();
    }
  });
}
