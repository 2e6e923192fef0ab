// docs/reliability.md (forged notifies): seeded mutants — bit flips, bytes that are not UTF-8, truncations, swapped values, duplicated keys,
// reordered fields — of one valid WeChat Pay APIv2 (XML), Alipay (form) and UnionPay (form) notify. A mutant may be
// acknowledged with success only if every signed field is byte-identical to the genuine notify's (reordering a form's
// or an XML's fields does not change what is signed); every other one gets the rail's fail answer, never a 500.
// fuzz-notify.test.ts does the same for WeChat Pay APIv3.
// Replay a failure with VITE_FUZZ_SEED=<seed printed below> npx vitest run --project worker worker/test/fuzz-notify-rails.test.ts

import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { parseFlatXml } from '../src/providers/wechat-v2/xml';
import type { CheckoutSession } from '../src/session/durable-object';
import { alipayNotifyFields, postAlipayNotify, signedAlipayBody } from './alipay-notify';
import { TEST } from './fixtures/config';
import { api, client, createSession, sessionStub, type SessionJson } from './helpers';
import { consumeNotify, postNotify as postUnionpayNotify, signedNotify as signedUnionpayNotify, startUnionpay } from './unionpay-helpers';
import { acceptWebhooks, deliverNow } from './merchant-endpoint';
import { V2, createSessionAs, postV2Notify, startAttemptAs, v2NotifyXml, v2Payment } from './wechat-v2';

const COUNT = 300;
const BATCH = 25;

// Sessions paid here send their webhooks to the test merchants' endpoint.
acceptWebhooks();

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

const SEED = Number((import.meta as { env?: Record<string, string> }).env?.VITE_FUZZ_SEED) || Date.now() % 1_000_000;

type Fields = Record<string, string>;

interface Rail {
  name: string;
  /** A session, its secret key, and the genuine notify's body. */
  make(): Promise<{ session: SessionJson; key: string; body: string }>;
  /** The body split into its fields as written (`k=v` pairs, or `<k>v</k>` elements), and how to join them back. */
  split(body: string): { parts: string[]; join: (parts: string[]) => string; value: (part: string) => [head: string, text: string, tail: string] };
  /** The fields a receiver would act on, as decoded from the bytes; null when they do not decode to one clean map. */
  decode(bytes: Uint8Array): Fields | null;
  /** Fields the signature does not cover. */
  unsigned: string[];
  post(body: BodyInit): Promise<Response>;
  isFail(status: number, text: string): boolean;
  isSuccess(status: number, text: string): boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function text(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A form decoded independently of Shouyin's parsers; a key twice with two values is no clean map. */
function decodeForm(bytes: Uint8Array): Fields | null {
  const s = text(bytes);
  if (s === null) return null;
  const out: Fields = {};
  for (const part of s.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(part.slice(0, eq).replaceAll('+', ' '));
      v = decodeURIComponent(part.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      return null;
    }
    if (Object.hasOwn(out, k) && out[k] !== v) return null;
    out[k] = v;
  }
  return out;
}

const splitForm = (body: string) => ({
  parts: body.split('&'),
  join: (parts: string[]) => parts.join('&'),
  value: (part: string): [string, string, string] => {
    const eq = part.indexOf('=');
    return [part.slice(0, eq + 1), part.slice(eq + 1), ''];
  },
});

async function attemptOf(s: SessionJson, channel: string, flow: string): Promise<string> {
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow }) });
  if (res.status !== 201) throw new Error(`attempt: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attempt: { id: string } }).attempt.id;
}

const RAILS: Rail[] = [
  {
    name: 'WeChat Pay APIv2 (XML)',
    async make() {
      const session = await createSessionAs(V2.key);
      const { attempt } = await startAttemptAs(session, 'qr');
      // attach with markup characters, so one value goes through CDATA too, and a U+FFFD (see 'invalid UTF-8').
      return { session, key: V2.key, body: await v2NotifyXml({ ...v2Payment(attempt.id), attach: 'A&B <1> \uFFFD' }) };
    },
    split(body) {
      const inner = body.slice('<xml>'.length, -'</xml>'.length);
      const parts = inner.match(/<(\w+)>[\s\S]*?<\/\1>/g) ?? [];
      return {
        parts,
        join: (ps) => `<xml>${ps.join('')}</xml>`,
        value: (part): [string, string, string] => {
          const open = part.indexOf('>') + 1;
          const close = part.lastIndexOf('</');
          return [part.slice(0, open), part.slice(open, close), part.slice(close)];
        },
      };
    },
    decode(bytes) {
      const s = text(bytes);
      if (s === null) return null;
      try {
        return parseFlatXml(s);
      } catch {
        return null;
      }
    },
    unsigned: ['sign'],
    post: (body) => postV2Notify(body as string),
    isFail: (status, t) => status >= 400 && status < 500 && parseFlatXml(t).return_code === 'FAIL',
    isSuccess: (status, t) => status === 200 && parseFlatXml(t).return_code === 'SUCCESS',
  },
  {
    name: 'Alipay (form)',
    async make() {
      const session = await createSession();
      const id = await attemptOf(session, 'alipay', 'qr');
      return { session, key: TEST.secret_key, body: await signedAlipayBody(alipayNotifyFields(id, { subject: '测试商品 \uFFFD' })) };
    },
    split: splitForm,
    decode: decodeForm,
    // rsaCheckV1 leaves out sign and sign_type (https://opendocs.alipay.com/common/02mse7).
    unsigned: ['sign', 'sign_type'],
    post: (body) => postAlipayNotify(body as string),
    isFail: (status, t) => status >= 400 && status < 500 && t === 'fail',
    isSuccess: (status, t) => status === 200 && t === 'success',
  },
  {
    name: 'UnionPay (form)',
    async make() {
      const session = await createSession();
      const { attempt } = await startUnionpay(session, 'app');
      return { session, key: TEST.secret_key, body: (await signedUnionpayNotify(consumeNotify(attempt.id, { respMsg: '成功 \uFFFD' }))).body };
    },
    split: splitForm,
    decode: decodeForm,
    unsigned: ['signature'],
    post: (body) => postUnionpayNotify(body as string),
    isFail: (status, t) => status >= 400 && status < 500 && t.startsWith('fail'),
    isSuccess: (status, t) => status === 200 && t === 'ok',
  },
];

const KINDS = ['bit flip', 'invalid UTF-8', 'truncation', 'swapped values', 'duplicated key', 'duplicated key, other value', 'reordered fields'] as const;
type Kind = (typeof KINDS)[number];

function mutate(rail: Rail, body: string, rnd: () => number): { kind: Kind; bytes: Uint8Array } {
  const kind = KINDS[Math.floor(rnd() * KINDS.length)]!;
  const enc = new TextEncoder();
  const at = (n: number): number => Math.floor(rnd() * n);
  const { parts, join, value } = rail.split(body);
  switch (kind) {
    case 'bit flip': {
      const bytes = enc.encode(body);
      const i = at(bytes.length);
      bytes[i] = bytes[i]! ^ (1 << at(8));
      return { kind, bytes };
    }
    case 'invalid UTF-8': {
      // The signed U+FFFD (raw, or percent-encoded in a form) sent as one byte that is not UTF-8: a loose
      // decoder turns it back into the very U+FFFD that was signed.
      const bytes = enc.encode(body);
      const needle = enc.encode(body.includes('%EF%BF%BD') ? '%EF%BF%BD' : '\uFFFD');
      let i = 0;
      while (!needle.every((b, j) => bytes[i + j] === b)) i++;
      const bad = [0xff, 0xfe, 0xc0, 0x80, 0xf8][at(5)]!;
      return { kind, bytes: new Uint8Array([...bytes.subarray(0, i), bad, ...bytes.subarray(i + needle.length)]) };
    }
    case 'truncation':
      return { kind, bytes: enc.encode(body).slice(0, at(enc.encode(body).length)) };
    case 'swapped values': {
      const i = at(parts.length);
      const j = at(parts.length);
      const [hi, ti, ci] = value(parts[i]!);
      const [hj, tj, cj] = value(parts[j]!);
      const out = [...parts];
      out[i] = hi + tj + ci;
      out[j] = hj + ti + cj;
      return { kind, bytes: enc.encode(join(out)) };
    }
    case 'duplicated key':
    case 'duplicated key, other value': {
      const i = at(parts.length);
      const out = [...parts];
      let dup = parts[i]!;
      if (kind === 'duplicated key, other value') {
        const [head, t, tail] = value(dup);
        dup = `${head}${t}9${tail}`;
      }
      out.splice(at(out.length + 1), 0, dup);
      return { kind, bytes: enc.encode(join(out)) };
    }
    default: {
      const out = [...parts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = at(i + 1);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return { kind, bytes: enc.encode(join(out)) };
    }
  }
}

/** Every signed field the same, byte for byte (empty fields are signed by none of these rails). */
function sameSigned(rail: Rail, a: Fields, b: Fields | null): boolean {
  if (b === null) return false;
  const signed = (f: Fields) =>
    Object.entries(f)
      .filter(([k, v]) => v !== '' && !rail.unsigned.includes(k))
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify(signed(a)) === JSON.stringify(signed(b));
}

async function statusOf(s: SessionJson, key: string): Promise<string> {
  return ((await (await api(`/v1/checkout/sessions/${s.id}`, { key })).json()) as SessionJson).status;
}

describe('fuzzed notifies on the XML and form rails', () => {
  it.each(RAILS.map((r, i) => [r.name, r, i] as const))(
    `%s: ${COUNT} seeded mutants, success only when every signed field is unchanged`,
    async (_name, rail, index) => {
      const seed = SEED + index;
      console.log(`fuzz-notify-rails seed ${SEED} (${rail.name}: ${seed})`);
      // Every refused notify is logged by the route; keep the hundreds of them out of the output.
      const quiet = [vi.spyOn(console, 'info').mockImplementation(() => {}), vi.spyOn(console, 'warn').mockImplementation(() => {})];
      const rnd = mulberry32(seed);
      const { session, key, body } = await rail.make();
      const genuine = rail.decode(new TextEncoder().encode(body));
      expect(genuine).not.toBeNull();
      const tally: Record<string, number> = {};
      let acceptedEquivalent = 0;
      for (let done = 0; done < COUNT; done += BATCH) {
        const batch = Array.from({ length: BATCH }, (_, k) => ({ n: done + k, ...mutate(rail, body, rnd) }));
        const answers = await Promise.all(
          batch.map(async (m) => {
            const res = await rail.post(m.bytes as Uint8Array<ArrayBuffer>);
            return { ...m, status: res.status, text: await res.text() };
          }),
        );
        for (const a of answers) {
          const where = `seed ${seed}, mutant #${a.n} (${a.kind}): ${a.status} ${a.text.slice(0, 120)}`;
          const equivalent = sameSigned(rail, genuine!, rail.decode(a.bytes));
          const success = rail.isSuccess(a.status, a.text);
          if (success) {
            expect(equivalent, `accepted although a signed field changed — ${where}`).toBe(true);
            acceptedEquivalent++;
          } else {
            expect(rail.isFail(a.status, a.text), `not the rail's fail answer — ${where}`).toBe(true);
          }
          const label = `${a.kind}:${a.status}`;
          tally[label] = (tally[label] ?? 0) + 1;
        }
      }
      for (const q of quiet) q.mockRestore();
      console.log(`fuzz-notify-rails ${rail.name}: ${JSON.stringify(tally)}`);
      const after = await runInDurableObject(sessionStub(session.id), (o: CheckoutSession) => ({
        anomalies: o.store.anomalies().length,
        payments: o.store.events().filter((e) => e.type === 'checkout.session.paid').length,
      }));
      expect(after.anomalies, `seed ${seed}`).toBe(0);
      expect(await statusOf(session, key), `seed ${seed}`).toBe(acceptedEquivalent > 0 ? 'paid' : 'open');
      // The genuine notify still works (or is acknowledged again, when an equivalent mutant already paid).
      const res = await rail.post(body);
      expect(rail.isSuccess(res.status, await res.text()), `seed ${seed}`).toBe(true);
      expect(await statusOf(session, key)).toBe('paid');
      expect(after.payments).toBeLessThanOrEqual(1);
      await deliverNow(session.id);
    },
    60_000,
  );
});
