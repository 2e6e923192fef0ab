// Helpers for the UnionPay workerd integration tests: attempts through the real client and merchant
// APIs, the shopper's browser (form post → cashier → pay → return), the sandbox control surface, and
// notifies signed with the provider's own twin (signAsUnionpay) so every forged variant differs from a
// valid one by exactly one thing.

import { SELF } from 'cloudflare:test';
import type { AttemptResponse } from '../src/contract';
import { signAsUnionpay } from '../src/providers/unionpay/sign';
import { beijingCompact } from '../src/providers/unionpay/time';
import { encodeForm, parseForm, type Fields } from '../src/providers/unionpay/wire';
import { TEST, UNIONPAY_TEST } from './fixtures/config';
import { UNIONPAY_SANDBOX_SIGN_CERT, UNIONPAY_SANDBOX_SIGN_KEY } from './fixtures/unionpay-certs';
import { BASE, SK, api, client, type SessionJson } from './helpers';

export const SANDBOX_SIGNER = { sign_key: UNIONPAY_SANDBOX_SIGN_KEY, sign_cert: UNIONPAY_SANDBOX_SIGN_CERT };

/** A flow of the unionpay channel, started by the widget (client API) or the merchant's app (merchant API). */
export async function startUnionpay(session: SessionJson, flow: 'page' | 'h5' | 'qr' | 'app', via: 'client' | 'merchant' = 'client'): Promise<AttemptResponse> {
  const body = JSON.stringify({ channel: 'unionpay', flow });
  const res =
    via === 'client'
      ? await client(session, '/attempts', { method: 'POST', body })
      : await api(`/v1/checkout/sessions/${session.id}/attempts`, { method: 'POST', body });
  if (res.status !== 201) throw new Error(`start unionpay ${flow}: ${res.status} ${await res.text()}`);
  return (await res.json()) as AttemptResponse;
}

/** What the widget does with a form_post: the browser posts the signed fields; answers the cashier's ref. */
export async function postFrontForm(next: AttemptResponse['next_action']): Promise<string> {
  if (next.type !== 'form_post') throw new Error(`expected form_post, got ${next.type}`);
  const res = await SELF.fetch(next.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: encodeForm(next.fields),
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`frontTransReq: ${res.status} ${await res.text()}`);
  return new URL(res.headers.get('location')!, BASE).searchParams.get('ref')!;
}

/** The shopper pays on the cashier with the test card; answers the result page's return-form fields. */
export async function payAtCashier(ref: string): Promise<{ html: string; returnFields: Fields }> {
  const res = await SELF.fetch(`${BASE}/sandbox/unionpay/cashier/pay`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: encodeForm({ ref, accNo: '6216261000000000018', smsCode: '111111' }),
  });
  const html = await res.text();
  const unescape = (s: string) =>
    s
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const returnFields = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]));
  return { html, returnFields };
}

export async function sandboxControl<T = Record<string, unknown>>(path: string, body?: unknown, key: string = SK): Promise<{ status: number; json: T }> {
  const res = await SELF.fetch(`${BASE}/sandbox/unionpay/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

/** The fields of a successful consume notify for `orderId`, as UnionPay sends them (unsigned). */
export function consumeNotify(orderId: string, over: Fields = {}): Fields {
  const now = Date.now();
  return {
    accessType: '0',
    bizType: '000201',
    currencyCode: '156',
    encoding: 'UTF-8',
    merId: UNIONPAY_TEST.mer_id,
    orderId,
    queryId: `${beijingCompact(now).slice(2)}123456789`,
    respCode: '00',
    respMsg: '成功[0000000]',
    settleAmt: '8888',
    settleCurrencyCode: '156',
    settleDate: beijingCompact(now).slice(4, 8),
    signMethod: '01',
    traceNo: '525002',
    traceTime: beijingCompact(now).slice(4),
    txnAmt: '8888',
    txnSubType: '01',
    txnTime: beijingCompact(now),
    txnType: '01',
    version: '5.1.0',
    accNo: '621626*********0018',
    ...over,
  };
}

export interface NotifyBody {
  body: string;
  fields: Fields;
}

/** Signs as UnionPay (signPubKeyCert with CRLFs) and form-encodes, optionally with another signer. */
export async function signedNotify(fields: Fields, signer = SANDBOX_SIGNER): Promise<NotifyBody> {
  const signed = await signAsUnionpay(fields, signer);
  return { body: encodeForm(signed), fields: signed };
}

export function postNotify(body: string, merchant: string = TEST.merchant_id): Promise<Response> {
  return SELF.fetch(`${BASE}/notify/unionpay/${merchant}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body,
  });
}

/** Re-encodes a notify after a change to its fields (no re-signing): a tampered notify. */
export const tampered = (n: NotifyBody, edit: (f: Fields) => void): string => {
  const f = parseForm(n.body);
  edit(f);
  return encodeForm(f);
};
