import { describe, expect, it } from 'vitest';
import type { CheckoutSession } from '../src/index.js';
import { apiError, client, page } from './fake-fetch.js';

const s = (n: number) => ({ id: `cs_${String(n).padStart(24, '0')}`, object: 'checkout.session', status: 'paid' }) as CheckoutSession;

describe('lists', () => {
  it('walks every page with for await, passing each next_cursor as starting_after and keeping the filters', async () => {
    const { shouyin, sent } = client([page([s(5), s(4)], 'c2'), page([s(3), s(2)], 'c1'), page([s(1)], null)]);
    const ids: string[] = [];
    for await (const session of shouyin.checkoutSessions.list({ status: 'paid', channel: 'alipay', limit: 2 })) ids.push(session.id);
    expect(ids).toEqual([s(5).id, s(4).id, s(3).id, s(2).id, s(1).id]);
    expect(sent.map((r) => r.path)).toEqual([
      '/v1/checkout/sessions?status=paid&channel=alipay&limit=2',
      '/v1/checkout/sessions?status=paid&channel=alipay&limit=2&starting_after=c2',
      '/v1/checkout/sessions?status=paid&channel=alipay&limit=2&starting_after=c1',
    ]);
    expect(sent.every((r) => r.method === 'GET' && r.headers['idempotency-key'] === undefined)).toBe(true);
  });

  it('fetches nothing until used, and no further page after a break', async () => {
    const { shouyin, sent } = client([page([s(5), s(4)], 'c2'), page([s(3)], null)]);
    const list = shouyin.checkoutSessions.list({ status: 'paid' });
    expect(sent).toHaveLength(0);
    for await (const session of list) {
      if (session.id === s(4).id) break;
    }
    expect(sent).toHaveLength(1);
  });

  it('.page() fetches one page, from starting_after when given', async () => {
    const { shouyin, sent } = client([page([s(3)], 'c1')]);
    const p = await shouyin.checkoutSessions.list({ starting_after: 'c2', limit: 1 }).page();
    expect(p).toEqual({ object: 'list', data: [s(3)], has_more: true, next_cursor: 'c1' });
    expect(sent.map((r) => r.path)).toEqual(['/v1/checkout/sessions?limit=1&starting_after=c2']);
  });

  it('.pages() yields page by page; .toArray({max}) stops fetching once it has max', async () => {
    const { shouyin, sent } = client([page([s(5), s(4)], 'c2'), page([s(3), s(2)], null), page([s(5), s(4)], 'c2'), page([s(3), s(2)], 'c0')]);
    const sizes: number[] = [];
    for await (const p of shouyin.refunds.list({ session: 'cs_x' }).pages()) sizes.push(p.data.length);
    expect(sizes).toEqual([2, 2]);
    const three = await shouyin.refunds.list().toArray({ max: 3 });
    expect(three.map((r) => r.id)).toEqual([s(5).id, s(4).id, s(3).id]);
    expect(sent).toHaveLength(4);
    expect(sent[0]!.path).toBe('/v1/refunds?session=cs_x');
    await expect(shouyin.refunds.list().toArray({ max: 0 })).rejects.toThrow(/max/);
  });

  it('sends created[gte] / created[lt] as Unix seconds, from numbers or Dates', async () => {
    const { shouyin, sent } = client([page([], null), page([], null)]);
    await shouyin.checkoutSessions.list({ created: { gte: new Date('2026-11-28T00:00:00+08:00'), lt: 1764345600 }, merchant_order_id: 'order-1001' }).page();
    expect(sent[0]!.query.get('created[gte]')).toBe('1795795200');
    expect(sent[0]!.query.get('created[lt]')).toBe('1764345600');
    expect(sent[0]!.query.get('merchant_order_id')).toBe('order-1001');
    await shouyin.refunds.list({ status: 'failed', created: { gte: 1 } }).page();
    expect(sent[1]!.path).toBe('/v1/refunds?status=failed&created%5Bgte%5D=1');
  });

  it('stops on a cursor that comes back twice instead of looping forever', async () => {
    const { shouyin } = client([page([s(2)], 'c1'), page([s(1)], 'c1')]);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of shouyin.checkoutSessions.list()) seen.push(e.id);
      })(),
    ).rejects.toThrow(/cursor c1 twice/);
    expect(seen).toHaveLength(2);
  });

  it('throws a failed page’s error to the loop (after its retries)', async () => {
    const { shouyin, sent } = client([page([s(2)], 'c1'), apiError(400, 'invalid_request_error', 'parameter_invalid', 'starting_after')]);
    const it = shouyin.events.list({ type: 'checkout.session.paid' })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await expect(it.next()).rejects.toMatchObject({ name: 'InvalidRequestError', param: 'starting_after' });
    expect(sent[0]!.path).toBe('/v1/events?type=checkout.session.paid');
  });
});
