// The merchant's order number in each provider's field that comes back as is (WeChat Pay attach, Alipay
// passback_params, UnionPay reqReserved), through the simulators' notifies to paid.

import { SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BASE, SK, captureWebhooks, client, createSession, retrieve } from './helpers';

beforeEach(() => void captureWebhooks());
afterEach(() => vi.restoreAllMocks());

function control(sim: string, path: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`${BASE}/sandbox/${sim}/_control${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${SK}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const SIM = { wechat_pay: 'wechatpay', alipay: 'alipay', unionpay: 'unionpay' } as const;

async function payByQr(channel: keyof typeof SIM, moid: string) {
  const s = await createSession({ channels: [channel], merchant_order_id: moid });
  const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow: 'qr' }) });
  expect(res.status).toBe(201);
  const { attempt } = (await res.json()) as { attempt: { id: string } };
  const sim = SIM[channel];
  const before = await (await control(sim, `/orders/${attempt.id}`)).json();
  expect((await control(sim, `/orders/${attempt.id}/pay`, { notify: 'normal' })).status).toBe(200);
  await control(sim, '/flush', {});
  const after = (await (await control(sim, `/orders/${attempt.id}`)).json()) as { notifies: { body: string; deliveries: { status: number }[] }[] };
  expect((await retrieve(s.id)).status).toBe('paid');
  return { before: before as Record<string, Record<string, unknown>>, after };
}

describe("the merchant's order number at the provider", () => {
  it('WeChat Pay: attach, back in the notify, which is accepted', async () => {
    const moid = `ord-${Date.now().toString(36)}_w`;
    const { before, after } = await payByQr('wechat_pay', moid);
    expect(JSON.stringify(before)).toContain(`"attach":"${moid}"`);
    expect(after.notifies[0]!.deliveries.at(-1)!.status).toBeLessThan(300);
  });

  it('Alipay: passback_params, URL-encoded, back as is in the notify, which is accepted', async () => {
    const moid = `ord-${Date.now().toString(36)}_a`;
    const { before, after } = await payByQr('alipay', moid);
    expect(before.trade!.passback_params).toBe(encodeURIComponent(moid));
    const sent = new URLSearchParams(after.notifies[0]!.body);
    expect(sent.get('passback_params')).toBe(encodeURIComponent(moid));
    expect(after.notifies[0]!.deliveries.at(-1)!.status).toBeLessThan(300);
  });

  it('UnionPay: reqReserved, back in the notify, which is accepted', async () => {
    const moid = `ord-${Date.now().toString(36)}_u`;
    const { before, after } = await payByQr('unionpay', moid);
    expect(JSON.stringify(before)).toContain(`"req_reserved":"${moid}"`);
    expect(new URLSearchParams(after.notifies[0]!.body).get('reqReserved')).toBe(moid);
    expect(after.notifies[0]!.deliveries.at(-1)!.status).toBeLessThan(300);
  });
});
