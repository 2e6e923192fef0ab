// The contract suite's one way into the built-in simulators: their HTTP control surfaces
// (`/sandbox/<provider>/_control/…`), through the Worker's own fetch handler, as the test merchant
// whose secret key is given. Nothing here imports simulator code, so the simulators can move (or be
// replaced by a real provider's test environment) without the suite changing.

import { SELF } from 'cloudflare:test';
import { BASE } from '../helpers';

export type Simulator = 'wechatpay' | 'alipay' | 'unionpay';

/** One call on a simulator's control surface; answers the status and the parsed JSON body. */
export async function control<T = Record<string, unknown>>(sim: Simulator, key: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await SELF.fetch(`${BASE}/sandbox/${sim}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    throw new Error(`${sim} control ${path}: ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, json };
}

/** Like `control`, but anything other than 200 is an error naming the call. */
export async function controlOk<T = Record<string, unknown>>(sim: Simulator, key: string, path: string, body?: unknown): Promise<T> {
  const r = await control<T>(sim, key, path, body);
  if (r.status !== 200) throw new Error(`${sim} control ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** The shopper opens a wallet or cashier link the attempt handed out (e.g. scans Alipay's QR). */
export async function openWalletLink(url: string): Promise<void> {
  const res = await SELF.fetch(url);
  if (res.status !== 200) throw new Error(`opening ${url}: ${res.status}`);
  await res.arrayBuffer();
}
