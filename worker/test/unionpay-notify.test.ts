// Forged and broken UnionPay notifies change nothing and never get `ok`: each case differs from a
// valid notify by one thing. A self-signed certificate, an altered signature and another merchant's
// URL are in the shared provider contract (worker/test/contract); these go deeper into the chain.

import { runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importRsaPrivateKey, rsaSign } from '../src/crypto/rsa';
import type { CheckoutSession } from '../src/session/durable-object';
import { crlfPem, digestHex } from '../src/providers/unionpay/sign';
import { encodeForm, parseForm } from '../src/providers/unionpay/wire';
import { TEST } from './fixtures/config';
import {
  EXPIRED_CERT,
  FORGER_KEY,
  OTHER_OWNER_CERT,
  UNDER_IMPOSTOR_CERT,
  UNIONPAY_SANDBOX_SIGN_CERT,
  UNIONPAY_SANDBOX_SIGN_KEY,
} from './fixtures/unionpay-certs';
import { createSession, retrieve, sessionStub } from './helpers';
import { consumeNotify, postNotify, signedNotify, startUnionpay, tampered, type NotifyBody } from './unionpay-helpers';

// The merchant's webhook endpoint is not on the network here: answer it in place.
const realFetch = globalThis.fetch;
beforeEach(() => {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    return req.url.startsWith(TEST.webhook_url) ? new Response('ok') : realFetch(req);
  });
});
afterEach(() => vi.restoreAllMocks());

async function openAttempt() {
  const s = await createSession();
  const { attempt } = await startUnionpay(s, 'app');
  return { s, attemptId: attempt.id };
}

async function unchanged(sessionId: string): Promise<void> {
  expect((await retrieve(sessionId)).status).toBe('open');
  const t = await runInDurableObject(sessionStub(sessionId), (o: CheckoutSession) => ({
    events: o.store.events().length,
    anomalies: o.store.anomalies().length,
  }));
  expect(t).toEqual({ events: 0, anomalies: 0 });
}

type Case = [string, (attemptId: string) => Promise<string>];

const cases: Case[] = [
  [
    'a certificate under a middle with the right name and another key',
    async (id) => (await signedNotify(consumeNotify(id), { sign_key: FORGER_KEY, sign_cert: UNDER_IMPOSTOR_CERT })).body,
  ],
  [
    'an expired certificate under the right middle',
    async (id) => (await signedNotify(consumeNotify(id), { sign_key: FORGER_KEY, sign_cert: EXPIRED_CERT })).body,
  ],
  [
    'a certificate of another owner under the right middle',
    async (id) => (await signedNotify(consumeNotify(id), { sign_key: FORGER_KEY, sign_cert: OTHER_OWNER_CERT })).body,
  ],
  [
    'the sandbox certificate with another key',
    async (id) => (await signedNotify(consumeNotify(id), { sign_key: FORGER_KEY, sign_cert: UNIONPAY_SANDBOX_SIGN_CERT })).body,
  ],
  ['one field changed after signing (txnAmt)', async (id) => tampered(await signedNotify(consumeNotify(id)), (f) => void (f.txnAmt = '1'))],
  ['one field added after signing (an empty reqReserved)', async (id) => tampered(await signedNotify(consumeNotify(id)), (f) => void (f.reqReserved = ''))],
  [
    'the CRLFs of signPubKeyCert normalised to LF',
    async (id) => tampered(await signedNotify(consumeNotify(id)), (f) => void (f.signPubKeyCert = f.signPubKeyCert!.replace(/\r\n/g, '\n'))),
  ],
  [
    'a signature over the UPPERCASE hex digest',
    async (id) => {
      const fields = { ...consumeNotify(id), signPubKeyCert: crlfPem(UNIONPAY_SANDBOX_SIGN_CERT) };
      // The wrong rule on purpose (signMethod 01 signs the lowercase hex): must not verify.
      const signature = await rsaSign(await importRsaPrivateKey(UNIONPAY_SANDBOX_SIGN_KEY), (await digestHex(fields)).toUpperCase());
      return encodeForm({ ...fields, signature });
    },
  ],
  ['no signPubKeyCert', async (id) => tampered(await signedNotify(consumeNotify(id)), (f) => void delete f.signPubKeyCert)],
  ['no signature', async (id) => tampered(await signedNotify(consumeNotify(id)), (f) => void delete f.signature)],
  ['signMethod 11 (secureKey) instead of 01', async (id) => (await signedNotify(consumeNotify(id, { signMethod: '11' }))).body],
  ['version 5.0.0', async (id) => (await signedNotify(consumeNotify(id, { version: '5.0.0' }))).body],
  ['a body that is not a form', async () => '{"respCode":"00"}%zz'],
];

describe('forged notifies change nothing and are not acknowledged', () => {
  it.each(cases)('%s', async (_name, make) => {
    const { s, attemptId } = await openAttempt();
    const res = await postNotify(await make(attemptId));
    expect(res.status).toBe(401);
    expect(await res.text()).not.toBe('ok');
    await unchanged(s.id);
  });

  it('a valid notify still works after all that (the control case)', async () => {
    const { s, attemptId } = await openAttempt();
    expect((await postNotify((await signedNotify(consumeNotify(attemptId))).body)).status).toBe(200);
    expect((await retrieve(s.id)).status).toBe('paid');
  });
});

describe('the test-environment owner is accepted in test mode only', () => {
  it('the sandbox’s own certificate (00040000:SIGN) to a LIVE merchant → refused as cert_owner', async () => {
    // The live merchant trusts the same root and middle, so only the owner rule can refuse it.
    const n: NotifyBody = await signedNotify(consumeNotify('ABCDEFGHIJKLMNOPQRSTUVWXA1', { merId: '898000000000001' }));
    const res = await postNotify(n.body, TEST.live_merchant_id);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('cert_owner');
  });

  it('the same notify to the TEST merchant verifies (then meets no such order: 404, not ok)', async () => {
    const n = await signedNotify(consumeNotify('ABCDEFGHIJKLMNOPQRSTUVWXA1'));
    const res = await postNotify(n.body);
    expect(res.status).toBe(404);
    expect(parseForm(n.body).signPubKeyCert).toMatch(/^-----BEGIN CERTIFICATE-----\r\n/);
  });
});
