// End-to-end setup: one `wrangler dev` of the demo on a free port, with a fresh test config and its own
// state directory, so the run touches neither the person's .dev.vars nor their local data.
// Plain Node (not TypeScript) because it spawns processes and the repo type-checks against the
// Workers runtime types, not Node's.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, devVarsText, generateSecrets } from '../../scripts/dev-config.mjs';
import { ROOT, buildDashboard, buildWidget, freePort, startWrangler, stopTree } from '../../scripts/lib.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default async function setup(project) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}. Install it: apt-get install -y chromium fonts-noto-cjk (npm test does this).`);
  }
  if (!existsSync(join(ROOT, 'widget/dist/shouyin.js'))) {
    if ((await buildWidget()) !== 0) throw new Error('The widget build failed.');
  }
  // After the widget: its build empties widget/dist, the dashboard's output folder's parent.
  if (!existsSync(join(ROOT, 'widget/dist/dashboard/index.html'))) {
    if ((await buildDashboard()) !== 0) throw new Error('The dashboard build failed.');
  }

  const tmp = mkdtempSync(join(tmpdir(), 'shouyin-e2e-'));
  const port = await freePort();
  const secrets = generateSecrets();
  // Fast sandbox: the first notify 0.2 s after the shopper pays, retries on a compressed schedule.
  const config = buildConfig(secrets, { port, timeScale: 0.01, notifyDelaySeconds: 0.2 });
  const envFile = join(tmp, '.dev.vars');
  writeFileSync(
    envFile,
    devVarsText(config, { secretKey: secrets.secret_key, webhookSecret: secrets.webhook_secret, adminKey: secrets.admin_key, masterKey: secrets.master_key }),
    {
      mode: 0o600,
    },
  );

  const log = [];
  const started = Date.now();
  const { child, ready } = startWrangler({
    port,
    envFile,
    persistTo: join(tmp, 'state'),
    inspectorPort: await freePort(),
    onLine: (line) => {
      log.push(line);
      if (process.env.E2E_VERBOSE) console.log(`[wrangler] ${line}`);
    },
  });
  try {
    await ready;
  } catch (e) {
    await stopTree(child);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  console.log(`e2e: wrangler dev ready on http://127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const outDir = join(ROOT, 'test-output/e2e');
  mkdirSync(outDir, { recursive: true });
  project.provide('baseUrl', `http://127.0.0.1:${port}`);
  project.provide('secretKey', secrets.secret_key);
  project.provide('adminKey', secrets.admin_key);
  project.provide('outDir', outDir);
  project.provide('chromiumPath', CHROMIUM);

  return async () => {
    await stopTree(child);
    // Keep the worker's log next to the screenshots: the first place to look when a step fails.
    writeFileSync(join(outDir, 'wrangler.log'), `${log.join('\n')}\n`);
    rmSync(tmp, { recursive: true, force: true });
  };
}
