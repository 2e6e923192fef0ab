// Test-only helpers for the Apple workerd tests (worker/test/apple-*.test.ts): the sandbox's control
// surface and the merchant API through the Worker (SELF), and — for the few cases that need another
// merchant configuration (sandbox-first receipts, a wrong shared secret) — the same app with a
// modified SHOUYIN_CONFIG: the Worker's app, and for `/sandbox/…` the sandbox's, each given that
// config. Outbound calls to our own origin still reach the running Workers over their bindings.

import { SELF, env } from 'cloudflare:test';
import { app } from '../../../worker/src/index';
import type { Env } from '../../../worker/src/env';
import type { Env as SandboxEnv } from '../env';
import { app as sandbox } from '../index';
import { TEST, testConfigObject } from '../../../worker/test/fixtures/config';

export const BASE = TEST.public_base_url;

export interface Answer<T = Record<string, any>> {
  status: number;
  json: T;
}

type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

const viaSelf: Fetcher = (url, init) => SELF.fetch(url, init);

/** The Worker with the test config after `change(doc)` (merchant 0 is `demo`). */
export function withConfig(change: (doc: { merchants: Record<string, any>[] }) => void): Fetcher {
  const doc = testConfigObject() as { merchants: Record<string, any>[] };
  change(doc);
  const e: Env & SandboxEnv = { ...(env as unknown as Env & SandboxEnv), SHOUYIN_CONFIG: JSON.stringify(doc) };
  return async (url, init) => (new URL(url).pathname.startsWith('/sandbox/') ? sandbox.request(url, init, e) : app.request(url, init, e));
}

async function call(fetcher: Fetcher, path: string, body: unknown, key: string | null): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetcher(`${BASE}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, any>) };
}

export const control = (path: string, body: unknown, o: { key?: string; via?: Fetcher } = {}) =>
  call(o.via ?? viaSelf, `/sandbox/apple/_control${path}`, body, o.key ?? TEST.secret_key);

async function minted(path: string, body: unknown, field: string, o: { key?: string; via?: Fetcher } = {}): Promise<string> {
  const a = await control(path, body, o);
  if (a.status !== 201) throw new Error(`mint ${path}: ${a.status} ${JSON.stringify(a.json)}`);
  return a.json[field] as string;
}

export const mintReceipt = (body: Record<string, unknown>, o?: { key?: string; via?: Fetcher }) => minted('/receipts', body, 'receipt_data', o);
export const mintTransaction = (body: Record<string, unknown>, o?: { key?: string; via?: Fetcher }) => minted('/transactions', body, 'signed_transaction', o);

export const verifyReceipt = (body: unknown, o: { key?: string | null; via?: Fetcher } = {}) =>
  call(o.via ?? viaSelf, '/v1/apple/receipts/verify', body, o.key === undefined ? TEST.secret_key : o.key);

export const verifyTransaction = (body: unknown, o: { key?: string | null; via?: Fetcher } = {}) =>
  call(o.via ?? viaSelf, '/v1/apple/transactions/verify', body, o.key === undefined ? TEST.secret_key : o.key);

/** A verifyReceipt simulator endpoint, called as Apple's would be. */
export const simulator = (environment: 'production' | 'sandbox', body: unknown) =>
  call(viaSelf, environment === 'production' ? '/sandbox/apple/verifyReceipt' : '/sandbox/apple/sandbox/verifyReceipt', body, null);

export const notify = (merchantId: string, body: unknown) => call(viaSelf, `/notify/apple/${merchantId}`, body, null);

/** The merchant's `apple.notification` events (newest first). */
export async function appleEvents(): Promise<Record<string, any>[]> {
  const res = await SELF.fetch(`${BASE}/v1/events?type=apple.notification&limit=100`, { headers: { authorization: `Bearer ${TEST.secret_key}` } });
  return ((await res.json()) as { data: Record<string, any>[] }).data;
}
