// The package as a merchant installs it: `tsc -p packages/sdk` output laid out as
// node_modules/@shouyin/sdk, imported by name from plain Node (no bundler, no TypeScript loader), and
// its .d.ts type-checked by a strict Node project without DOM types.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const PKG = join(ROOT, 'packages/sdk');
const TSC = join(ROOT, 'node_modules/.bin/tsc');

let dir: string;
let dist: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shouyin-sdk-'));
  const installed = join(dir, 'node_modules/@shouyin/sdk');
  dist = join(installed, 'dist');
  mkdirSync(installed, { recursive: true });
  copyFileSync(join(PKG, 'package.json'), join(installed, 'package.json'));
  const build = spawnSync(TSC, ['-p', join(PKG, 'tsconfig.json'), '--outDir', dist], { encoding: 'utf8' });
  expect(build.stdout + build.stderr).toBe('');
  expect(build.status).toBe(0);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the built package', () => {
  it('emits ES modules with .d.ts types and imports nothing but its own files', () => {
    const files = readdirSync(dist);
    expect(files).toContain('index.js');
    expect(files).toContain('index.d.ts');
    expect(files.some((f) => f.includes('test'))).toBe(false);
    for (const f of files.filter((x) => x.endsWith('.js'))) {
      const src = readFileSync(join(dist, f), 'utf8');
      for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g))
        expect(m[1], `${f} imports ${m[1]}`).toMatch(/^\.\/[\w-]+\.js$/);
      expect(src).not.toMatch(/\brequire\(|import\(/);
    }
  });

  it('runs in plain Node, imported by its package name', () => {
    writeFileSync(
      join(dir, 'run.mjs'),
      `import { Shouyin, signWebhook, verifyWebhook, ConflictError } from '@shouyin/sdk';
const sent = [];
const answers = [
  new Response(JSON.stringify({ error: { type: 'api_error', code: 'internal_error', message: 'try again' } }), { status: 500 }),
  new Response(JSON.stringify({ id: 'cs_1', object: 'checkout.session' }), { status: 201 }),
  new Response(JSON.stringify({ error: { type: 'conflict_error', code: 'session_not_open', message: 'no' } }), { status: 409 }),
];
const fetch = async (url, init) => { sent.push({ url, key: init.headers['idempotency-key'] }); return answers.shift(); };
const shouyin = new Shouyin({ apiKey: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', baseUrl: 'https://pay.example.test', fetch, retryBaseDelayMs: 1 });
const session = await shouyin.checkoutSessions.create({ amount: 1, currency: 'CNY', description: 'x', merchant_order_id: 'o1' });
const conflict = await shouyin.checkoutSessions.cancel('cs_1').catch((e) => e);
const body = JSON.stringify({ id: 'evt_1', type: 'checkout.session.paid', created: 1, livemode: false, data: { object: session } });
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const event = await verifyWebhook(body, await signWebhook({ id: 'evt_1', payload: body, secret }), secret);
console.log(JSON.stringify({ session: session.id, keys: sent.map((s) => s.key), conflict: conflict instanceof ConflictError && conflict.code, event: event.type }));
`,
    );
    const run = spawnSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { session: string; keys: string[]; conflict: string; event: string };
    expect(out.session).toBe('cs_1');
    expect(out.keys).toHaveLength(3);
    expect(out.keys[0]).toBe(out.keys[1]);
    expect(out.keys[2]).not.toBe(out.keys[0]);
    expect(out.conflict).toBe('session_not_open');
    expect(out.event).toBe('checkout.session.paid');
  });

  it('type-checks in a strict Node project (nodenext, no DOM lib) that narrows events by type', () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { Shouyin, verifyWebhook, ConflictError, type ShouyinEvent } from '@shouyin/sdk';
export async function handle(raw: string, headers: Record<string, string | string[] | undefined>): Promise<number> {
  const event: ShouyinEvent = await verifyWebhook(raw, headers, process.env.SHOUYIN_WEBHOOK_SECRET ?? '');
  if (event.type === 'checkout.session.paid') return event.data.object.amount;
  if (event.type === 'refund.succeeded') return -event.data.object.amount;
  return 0;
}
export async function paidSessions(shouyin: Shouyin): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of shouyin.checkoutSessions.list({ status: 'paid', created: { gte: new Date() } })) ids.push(s.merchant_order_id);
  const page = await shouyin.refunds.list({ limit: 10 }).page();
  try {
    await shouyin.checkoutSessions.cancel(ids[0] ?? 'cs_x', { idempotencyKey: 'cancel-1', signal: AbortSignal.timeout(1000) });
  } catch (e) {
    if (e instanceof ConflictError) return [e.code, String(page.has_more)];
  }
  return ids;
}
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          strict: true,
          noEmit: true,
        },
        files: ['consumer.ts'],
      }),
    );
    const check = spawnSync(TSC, ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 60_000);
});
