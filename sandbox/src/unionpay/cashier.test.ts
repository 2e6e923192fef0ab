// The shopper's cashier and the backUrl notify schedule
// (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2): test card + SMS code,
// pay → signed notify (5 sends at 0, 1, 2, 4 min × time_scale until HTTP 200) and the signed return to frontUrl.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeForm, parseForm } from '../../../worker/src/providers/unionpay/wire';
import { verifyUnionpayFields } from '../../../worker/src/providers/unionpay/sign';
import { TEST, UNIONPAY_TEST } from '../../../worker/test/fixtures/config';
import {
  BACK_URL,
  FRONT_URL,
  UNIONPAY,
  consumeFields,
  control,
  ledgerOf,
  orderNo,
  post,
  recordNotifies,
  sandboxFetch,
  unionpayConfig,
  waitFor,
} from './testing';
import { UNIONPAY_RETRY_SECONDS } from './outbox';

let rec: ReturnType<typeof recordNotifies> | null = null;
afterEach(() => {
  rec?.restore();
  rec = null;
});

async function frontOrder(): Promise<{ id: string; ref: string; cashier: string }> {
  const id = orderNo();
  const res = await post('frontTransReq.do', consumeFields(id));
  const location = res.headers.get('location')!;
  return { id, ref: new URL(location, TEST.public_base_url).searchParams.get('ref')!, cashier: `${TEST.public_base_url}${location}` };
}

const submit = (path: string, fields: Record<string, string>) =>
  sandboxFetch(`${UNIONPAY}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: encodeForm(fields) });

const chain = () => ({ rootCert: unionpayConfig().root_cert, middleCert: unionpayConfig().middle_cert, now: Date.now(), testMode: true });

describe('the cashier', () => {
  it('shows the merchant, item and amount, with labelled card and SMS fields and Pay / Cancel', async () => {
    const { cashier } = await frontOrder();
    const html = await (await sandboxFetch(cashier)).text();
    expect(html).toContain('Demo Shop 演示商店');
    expect(html).toContain('测试商品 Test item');
    expect(html).toContain('¥</small>88.88');
    expect(html).toMatch(/<label for="accNo">卡号 Card number<\/label>/);
    expect(html).toMatch(/<label for="smsCode">短信验证码 SMS code<\/label>/);
    expect(html).toContain('>确认付款 Pay</button>');
    expect(html).toContain('>取消 Cancel</button>');
  });

  it('refuses a card that is not a test card, and a wrong SMS code, without paying', async () => {
    const { id, ref } = await frontOrder();
    const a = await submit('/cashier/pay', { ref, accNo: '6222000000000000', smsCode: '111111' });
    expect(a.status).toBe(400);
    expect(await a.text()).toContain('卡号无效');
    const b = await submit('/cashier/pay', { ref, accNo: '6216261000000000018', smsCode: '000000' });
    expect(await b.text()).toContain('短信验证码错误');
    expect((await ledgerOf(id)).order.state).toBe('UNPAID');
  });

  it('pays: the result page posts the signed notify fields back to frontUrl, and backUrl is notified', async () => {
    rec = recordNotifies();
    const { id, ref } = await frontOrder();
    const res = await submit('/cashier/pay', { ref, accNo: '6216 2610 0000 0000 018', smsCode: '111111' });
    const html = await res.text();
    expect(html).toContain('data-result="paid"');
    expect(html).toContain(`action="${FRONT_URL}"`);
    expect(html).toContain('返回商户 Return to merchant');
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self' https://merchant.test");
    const inputs = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1]!,
      m[2]!
        .replace(/&#39;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    ]);
    const back = Object.fromEntries(inputs);
    await verifyUnionpayFields(back, chain());
    expect(back).toMatchObject({ orderId: id, respCode: '00', txnAmt: '8888', merId: UNIONPAY_TEST.mer_id });
    expect(back.accNo).toBe('621626*********0018');
    const got = await waitFor(
      async () => rec!.received.filter((r) => r.url === BACK_URL && r.fields.orderId === id),
      (l) => l.length > 0,
    );
    expect(got[0]!.fields).toEqual(back);
    await verifyUnionpayFields(got[0]!.fields, chain());
    // Reloading the cashier now shows "already paid", with the same return.
    expect(await (await sandboxFetch(`${UNIONPAY}/cashier?ref=${ref}`)).text()).toContain('data-result="already_paid"');
  });

  it('cancel leaves the order unpaid and notifies nothing', async () => {
    rec = recordNotifies();
    const { id, ref } = await frontOrder();
    const html = await (await submit('/cashier/cancel', { ref })).text();
    expect(html).toContain('data-result="canceled"');
    expect(html).toContain(`href="${FRONT_URL}"`);
    expect((await ledgerOf(id)).order.state).toBe('UNPAID');
    expect(rec.received).toHaveLength(0);
  });

  it('an order past payTimeout cannot be paid', async () => {
    const { id, ref } = await frontOrder();
    await control(`/orders/${id}/expire`, {});
    expect(await (await submit('/cashier/pay', { ref, accNo: '6216261000000000018', smsCode: '111111' })).text()).toContain('data-result="failed"');
  });
});

describe('backUrl notifies', () => {
  async function paidApp(notify: object = { notify: 'normal' }): Promise<string> {
    const id = orderNo();
    await post('appTransReq.do', consumeFields(id, { channelType: '08', frontUrl: '' }));
    expect((await control(`/orders/${id}/pay`, notify)).status).toBe(200);
    return id;
  }

  it('sends 5 times in all — right away, then 0, 1, 2, 4 min later (× time_scale) — while unanswered', async () => {
    expect(UNIONPAY_RETRY_SECONDS).toEqual([0, 60, 120, 240]);
    rec = recordNotifies(() => 500);
    const id = await paidApp();
    const view = await waitFor(
      () => ledgerOf(id),
      (v) => v.notifies[0]?.state === 'exhausted',
      8000,
    );
    const sends = view.notifies[0]!.deliveries.map((d) => Date.parse(d.at));
    expect(sends).toHaveLength(5);
    expect(view.notifies[0]!.scheduled_sends).toBe(5);
    // time_scale 0.001 in the test config: the gaps are at least 0, 60, 120 and 240 ms.
    const gaps = sends.slice(1).map((t, i) => t - sends[i]!);
    [0, 60, 120, 240].forEach((min, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(min - 2));
    // Every send is the same signed body.
    const bodies = new Set(rec.received.filter((r) => r.fields.orderId === id).map((r) => r.body));
    expect(bodies.size).toBe(1);
  });

  it('stops at the first HTTP 200 (or 302); a 204 does not count', async () => {
    rec = recordNotifies((_u, nth) => (nth < 2 ? 204 : 200));
    const id = await paidApp();
    const v = await waitFor(
      () => ledgerOf(id),
      (x) => x.notifies[0]?.state === 'delivered',
      8000,
    );
    expect(v.notifies[0]!.deliveries.map((d) => d.status)).toEqual([204, 204, 200]);
    rec.restore();
    rec = recordNotifies(() => 302);
    const id2 = await paidApp();
    expect(
      (
        await waitFor(
          () => ledgerOf(id2),
          (x) => x.notifies[0]?.state === 'delivered',
          8000,
        )
      ).notifies[0]!.deliveries,
    ).toHaveLength(1);
  });

  it('drop never notifies; notify re-sends on demand; duplicate sends copies at once', async () => {
    rec = recordNotifies();
    const dropped = await paidApp({ notify: 'drop' });
    expect((await ledgerOf(dropped)).notifies).toHaveLength(0);
    const sent = await control<{ answers: { status: number }[] }>(`/orders/${dropped}/notify`, {});
    expect(sent.json.answers).toEqual([{ status: 200, error: null }]);
    const dup = await paidApp({ notify: 'duplicate', copies: 3 });
    await control('/flush', {});
    expect(rec.received.filter((r) => r.fields.orderId === dup)).toHaveLength(3);
    expect(parseForm(rec.received.find((r) => r.fields.orderId === dup)!.body).signPubKeyCert).toContain('\r\n');
  });
});
