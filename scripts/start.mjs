#!/usr/bin/env node
// `npm start`: the whole thing on localhost, in test mode, with no account anywhere.
//   1. npm install (only when node_modules is missing)
//   2. build the widget (widget/dist/shouyin.js) and the merchant dashboard (widget/dist/dashboard/)
//   3. generate .dev.vars with fresh test keys (kept on later runs; the URLs it generated follow PORT)
//   4. wrangler dev: Shouyin + the demo shop (demo/wrangler.toml) and the provider sandbox Worker
//      (sandbox/wrangler.toml) beside it, in one session (scripts/lib.mjs)
//   5. print the dashboard's URL and a one-time sign-in link for the demo merchant (admin API)
//
// PORT=8788 npm start picks another port. Everything wrangler logs after start-up is passed through,
// minus its complaints about not reaching Cloudflare (nothing here needs Cloudflare).

import { join, relative } from 'node:path';
import { describeChanges, ensureDevVars } from './dev-config.mjs';
import { ROOT, buildDashboard, buildWidget, dashboardLink, ensureDeps, portFree, startWrangler } from './lib.mjs';

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a port number (got ${JSON.stringify(process.env.PORT)}).`);
  process.exit(2);
}

function fail(message, code = 1) {
  console.error(`\n✘ ${message}`);
  process.exit(code);
}

if ((await ensureDeps()) !== 0) fail('npm install failed; see above.');

console.log('Building the widget…');
if ((await buildWidget()) !== 0) fail('The widget build failed; see above.');
console.log('Building the dashboard…');
if ((await buildDashboard()) !== 0) fail('The dashboard build failed; see above.');

const devVarsPath = join(ROOT, '.dev.vars');
let dev;
try {
  dev = ensureDevVars(devVarsPath, { port });
} catch (e) {
  fail(/** @type {Error} */ (e).message);
}
const shown = relative(process.cwd(), devVarsPath) || '.dev.vars';
for (const line of describeChanges(dev, shown)) console.log(line);

if (!(await portFree(port))) fail(`Port ${port} is already in use. Stop the other server or run: PORT=${port + 1} npm start`);

const url = `http://127.0.0.1:${port}`;
let linking = true;
// Start-up chatter (banner, binding table) is held back and shown only if start-up fails.
const { child, ready } = startWrangler({
  port,
  // Root .dev.vars, given explicitly: wrangler would otherwise look beside demo/wrangler.toml.
  envFile: devVarsPath,
  detached: false,
  onLine: (line, isReady) => {
    // The request log line of the sign-in link this script asks for itself (below) is not news.
    if (linking && /POST \/v1\/admin\/merchants\/[^/ ]+\/dashboard_links /.test(line)) return;
    if (isReady && !/Ready on https?:\/\//.test(line)) console.log(line);
  },
});

// Ctrl+C reaches wrangler too (same process group); wait for it to finish, then leave.
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

try {
  await ready;
} catch (e) {
  console.error(/** @type {Error} */ (e).message);
  child.removeAllListeners('exit');
  if (child.exitCode === null) child.kill('SIGTERM');
  fail('wrangler dev did not start; its output is above.');
}

console.log(`\nShouyin demo: ${url}  (shop, checkout, sandbox wallet — test mode, no account needed)`);
try {
  // The link is made like an operator makes one (docs/dashboard.md): with the admin key from .dev.vars.
  const link = await dashboardLink({ baseUrl: url, adminKey: dev.adminKey, merchant: dev.config.merchants[0]?.id ?? 'demo' });
  console.log(`Dashboard:    ${url}/dashboard/`);
  console.log(`Sign in:      ${link.url}  (one-time link, valid until ${new Date(link.expires_at * 1000).toLocaleTimeString()})\n`);
} catch (e) {
  console.warn(`Dashboard:    ${url}/dashboard/ (no sign-in link: ${/** @type {Error} */ (e).message})\n`);
}
// wrangler may print the link request's log line a moment after the answer arrived.
setTimeout(() => {
  linking = false;
}, 1000).unref();
