// docs/reliability.md (forged notifies): seeded mutants of one valid WeChat Pay v3 notify (bit flips, dropped headers,
// truncation, altered signature, timestamp, serial) must change nothing and never get the success ack.
// Replay a failure with VITE_FUZZ_SEED=<seed printed below> npx vitest run --project worker worker/test/fuzz-notify.test.ts

import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../src/session/durable-object';
import { createSession, sessionStub, startAttempt } from './helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';
import { postNotify, signedNotify, transaction, type SignedNotify } from './wechat-notify';

// The session here gets paid at the end: its webhook needs somewhere to go.
acceptWebhooks();

const COUNT = 10_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(n: SignedNotify, rnd: () => number): SignedNotify {
  const body = n.body;
  const headers = { ...n.headers };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  switch (Math.floor(rnd() * 6)) {
    case 0: {
      // One bit of one byte of the body (kept a string: the route reads text).
      const bytes = new TextEncoder().encode(body);
      const i = Math.floor(rnd() * bytes.length);
      bytes[i] = bytes[i]! ^ (1 << Math.floor(rnd() * 7));
      return { headers, body: new TextDecoder().decode(bytes) };
    }
    case 1:
      delete headers[pick(['Wechatpay-Signature', 'Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Serial'])];
      return { headers, body };
    case 2:
      return { headers, body: body.slice(0, Math.floor(rnd() * body.length)) };
    case 3: {
      const sig = headers['Wechatpay-Signature']!;
      // Not the last data character before the `==` padding: its low 4 bits carry no data, so some
      // changes there decode to the very same signature — the genuine notify, which is rightly accepted.
      const i = Math.floor(rnd() * (sig.length - 3));
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const ch = alphabet.replace(sig[i]!, '')[Math.floor(rnd() * 63)]!;
      headers['Wechatpay-Signature'] = sig.slice(0, i) + ch + sig.slice(i + 1);
      return { headers, body };
    }
    case 4:
      headers['Wechatpay-Timestamp'] = String(Number(headers['Wechatpay-Timestamp']) + pick([-1, 1, -299, 300, 86_400]));
      return { headers, body };
    default:
      headers['Wechatpay-Serial'] = pick(['PUB_KEY_ID_0000000000000000000000000000', 'D7CE59D1F522D701', '', 'WECHATPAY/SIGNTEST/x']);
      return { headers, body };
  }
}

describe('fuzzed notifies', () => {
  it(`${COUNT} seeded mutants of a valid notify: 0 state changes, 0 success acks`, async () => {
    const seed = Number((import.meta as { env?: Record<string, string> }).env?.VITE_FUZZ_SEED) || Date.now() % 1_000_000;
    // Every rejected notify is logged at info level by the route; keep the 10,000 of them out of the output.
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    console.log(`fuzz-notify seed ${seed}`);
    const rnd = mulberry32(seed);
    const s = await createSession();
    const { attempt } = await startAttempt(s);
    const valid = await signedNotify(transaction(attempt.id));
    const statuses = new Map<number, number>();
    for (let done = 0; done < COUNT; done += 100) {
      const batch = Array.from({ length: 100 }, () => mutate(valid, rnd));
      const answers = await Promise.all(batch.map((n) => postNotify(n).then(async (r) => (await r.arrayBuffer(), r.status))));
      for (const a of answers) statuses.set(a, (statuses.get(a) ?? 0) + 1);
    }
    console.log(`fuzz-notify answers ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()].every((code) => code >= 400)).toBe(true);
    const after = await runInDurableObject(sessionStub(s.id), (o: CheckoutSession) => ({
      status: o.store.session()?.status,
      events: o.store.events().length,
      anomalies: o.store.anomalies().length,
    }));
    expect(after).toEqual({ status: 'open', events: 0, anomalies: 0 });
    info.mockRestore();
    // The valid one still works afterwards.
    expect((await postNotify(valid)).status).toBe(204);
    await deliverNow(s.id);
  }, 120_000);
});
