import { describe, expect, it } from 'vitest';
import { ShouyinError } from '../lib/errors';
import { decodeCursor, encodeCursor, filterKey, pageOf } from './cursor';

const refusal = async (p: Promise<unknown>) => {
  const e = await p.catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ShouyinError);
  return { code: (e as ShouyinError).code, param: (e as ShouyinError).param };
};

describe('list cursors', () => {
  const at = { created: 1764352000123, id: 'cs_0123456789ABCDEFGHIJabcd' };

  it('round-trips a position for the same merchant, list and filters (in any order)', async () => {
    const f = filterKey({ status: 'paid', channel: 'alipay', merchant_order_id: undefined });
    const c = await encodeCursor('demo', 'checkout_sessions', f, at);
    expect(c).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-f]{24}$/);
    expect(await decodeCursor('demo', 'checkout_sessions', filterKey({ channel: 'alipay', status: 'paid' }), c)).toEqual(at);
  });

  it('refuses it for another merchant, list or filters, and when edited', async () => {
    const f = filterKey({});
    const c = await encodeCursor('demo', 'checkout_sessions', f, at);
    const invalid = { code: 'invalid_cursor', param: 'starting_after' };
    expect(await refusal(decodeCursor('other', 'checkout_sessions', f, c))).toEqual(invalid);
    expect(await refusal(decodeCursor('demo', 'refunds', f, c))).toEqual(invalid);
    expect(await refusal(decodeCursor('demo', 'checkout_sessions', filterKey({ status: 'open' }), c))).toEqual(invalid);
    const [payload, tag] = c.split('.');
    const other = await encodeCursor('demo', 'checkout_sessions', f, { ...at, created: at.created - 1 });
    expect(await refusal(decodeCursor('demo', 'checkout_sessions', f, `${other.split('.')[0]}.${tag}`))).toEqual(invalid);
    expect(await refusal(decodeCursor('demo', 'checkout_sessions', f, `${payload}.${'0'.repeat(24)}`))).toEqual(invalid);
    for (const junk of ['', 'abc', `${payload}`, `${payload}.${tag}x`, '1764352000123_cs_x']) {
      expect(await refusal(decodeCursor('demo', 'checkout_sessions', f, junk))).toEqual(invalid);
    }
  });

  it('makes a page: limit items, has_more and the last item as the cursor', async () => {
    const rows = [3, 2, 1].map((n) => ({ id: `cs_${n}`, created: n, item: { n } }));
    const page = await pageOf(rows, 2, 'demo', 'checkout_sessions', filterKey({}));
    expect(page).toMatchObject({ object: 'list', data: [{ n: 3 }, { n: 2 }], has_more: true });
    expect(await decodeCursor('demo', 'checkout_sessions', filterKey({}), page.next_cursor!)).toEqual({ created: 2, id: 'cs_2' });
    expect(await pageOf(rows.slice(0, 2), 2, 'demo', 'checkout_sessions', filterKey({}))).toMatchObject({ has_more: false, next_cursor: null });
  });
});
