// The simulated gateway: request checks and their respCodes
// (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448), signed raw answers, app tn, apply QR, front post →
// cashier, query by orderId + original txnTime, refunds.
import { afterEach, describe, expect, it } from 'vitest';
import { beijingCompact } from '../../../worker/src/providers/unionpay/time';
import { parseRawResponse } from '../../../worker/src/providers/unionpay/wire';
import { FORGER_KEY } from '../../../worker/test/fixtures/unionpay-certs';
import { TEST, UNIONPAY_TEST } from '../../../worker/test/fixtures/config';
import { BACK_URL, consumeFields, control, ledgerOf, orderNo, post, recordNotifies, sandboxFetch, unionpayConfig, verified, GATEWAY } from './testing';

const app = (id: string, over = {}) => consumeFields(id, { channelType: '08', frontUrl: '', ...over });
const qr = (id: string, over = {}) =>
  consumeFields(id, { txnSubType: '07', bizType: '000000', channelType: '08', frontUrl: '', payTimeout: '', orderDesc: '', ...over });
const query = (id: string, txnTime: string) => {
  const { version, encoding, signMethod, certId, accessType, merId } = consumeFields(id);
  return { version, encoding, signMethod, certId, accessType, merId, txnTime, txnType: '00', txnSubType: '00', bizType: '000000', orderId: id } as Record<
    string,
    string
  >;
};

let rec: ReturnType<typeof recordNotifies> | null = null;
afterEach(() => {
  rec?.restore();
  rec = null;
});

describe('request checks', () => {
  it('answers raw k=v& text, sorted, signed with signPubKeyCert (CRLF) that chains to the merchant’s root', async () => {
    const res = await post('appTransReq.do', app(orderNo()));
    expect(res.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    const text = await res.clone().text();
    expect(text).toMatch(/^accessType=0&bizType=000201&/);
    expect(text).toContain('signPubKeyCert=-----BEGIN CERTIFICATE-----\r\n');
    expect(text).not.toContain('%');
    const f = await verified(res);
    expect(f.respCode).toBe('00');
    expect(f.tn).toMatch(/^\d{21}$/);
  });

  it('13 when a field is missing', async () => {
    const f = await verified(await post('appTransReq.do', app(orderNo(), { txnAmt: '' })));
    expect(f).toMatchObject({ respCode: '13' });
    expect(f.respMsg).toContain('txnAmt');
    expect((await verified(await post('appTransReq.do', app(orderNo(), { certId: '' })))).respCode).toBe('13');
  });

  it('11 when the signature is wrong, a field changed after signing, or certId is not the decimal serial', async () => {
    expect((await verified(await post('appTransReq.do', app(orderNo()), { key: FORGER_KEY }))).respCode).toBe('11');
    expect((await verified(await post('appTransReq.do', app(orderNo()), { tamper: (f) => void (f.txnAmt = '1') }))).respCode).toBe('11');
    const hex = BigInt(UNIONPAY_TEST.sign_cert_id).toString(16).toUpperCase();
    const f = await verified(await post('appTransReq.do', app(orderNo(), { certId: hex })));
    expect(f).toMatchObject({ respCode: '11', respMsg: '[9100004]Signature verification failed' });
  });

  it('11 for a signature over UPPERCASE hex (the digest must be lowercase)', async () => {
    const { importRsaPrivateKey, rsaSign } = await import('../../../worker/src/crypto/rsa');
    const { digestHex } = await import('../../../worker/src/providers/unionpay/sign');
    const { encodeForm } = await import('../../../worker/src/providers/unionpay/wire');
    const fields = app(orderNo());
    const key = await importRsaPrivateKey(unionpayConfig().sign_key);
    // Deliberately the wrong rule, to show the gateway refuses it.
    const signature = await rsaSign(key, (await digestHex(fields)).toUpperCase());
    const res = await sandboxFetch(`${GATEWAY}/appTransReq.do`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: encodeForm({ ...fields, signature }),
    });
    expect((await verified(res)).respCode).toBe('11');
  });

  it('31 for a live merchant’s merId: the sandbox does not know it', async () => {
    const f = await verified(await post('appTransReq.do', app(orderNo(), { merId: UNIONPAY_TEST.live_mer_id })));
    expect(f.respCode).toBe('31');
  });

  it('10 for a txnTime far from now, and for a malformed body', async () => {
    expect((await verified(await post('appTransReq.do', app(orderNo(), { txnTime: '20200101120000' })))).respMsg).toContain('txnTime无效');
    const res = await sandboxFetch(`${GATEWAY}/queryTrans.do`, { method: 'POST', body: 'a=%E4%B8' });
    expect(parseRawResponse(await res.text()).respCode).toBe('10');
  });

  it('12 for the same orderId with other fields; the same fields again is a retry', async () => {
    const id = orderNo();
    const fields = app(id);
    const a = await verified(await post('appTransReq.do', fields));
    const b = await verified(await post('appTransReq.do', fields));
    expect(b.tn).toBe(a.tn);
    expect((await verified(await post('appTransReq.do', { ...fields, txnAmt: '1' }))).respCode).toBe('12');
  });
});

describe('apply QR code (01/07 on backTransReq)', () => {
  it('answers a qrCode, and the sandbox QR page opens its cashier', async () => {
    const f = await verified(await post('backTransReq.do', qr(orderNo())));
    expect(f.respCode).toBe('00');
    expect(f.qrCode).toMatch(/^https:\/\/qr\.95516\.com\/00010000\/01\d{20}$/);
    const page = await sandboxFetch(`${TEST.public_base_url}/sandbox/unionpay/qr?code=${encodeURIComponent(f.qrCode!)}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('确认付款 Pay');
  });

  it('a QR past its payTimeout can no longer be paid: its page says so, pay is refused, query answers 01', async () => {
    const id = orderNo();
    const fields = qr(id, { payTimeout: beijingCompact(Date.now() + 2 * 60_000) });
    const f = await verified(await post('backTransReq.do', fields));
    expect(f.respCode).toBe('00');
    const wallet = `${TEST.public_base_url}/sandbox/unionpay/qr?code=${encodeURIComponent(f.qrCode!)}`;
    expect(await (await sandboxFetch(wallet)).text()).toContain('确认付款 Pay');
    await control('/clock', { advance_seconds: 3 * 60 });
    try {
      expect(await (await sandboxFetch(wallet)).text()).toContain('data-result="failed"');
      expect(await control(`/orders/${id}/pay`, { notify: 'drop' })).toMatchObject({ status: 400, json: { result: 'failed' } });
      expect((await verified(await post('queryTrans.do', query(id, fields.txnTime!)))).origRespCode).toBe('01');
    } finally {
      await control('/clock', { reset: true });
    }
  });

  it('refuses a QR consume with the gateway bizType (32)', async () => {
    expect((await verified(await post('backTransReq.do', qr(orderNo(), { bizType: '000201' })))).respCode).toBe('32');
  });
});

describe('frontTransReq (the browser posts the signed form)', () => {
  it('redirects to the cashier; errors are pages, not k=v answers', async () => {
    const res = await post('frontTransReq.do', consumeFields(orderNo()));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/sandbox\/unionpay\/cashier\?ref=\d{21}$/);
    const bad = await post('frontTransReq.do', consumeFields(orderNo()), { key: FORGER_KEY });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('[9100004]Signature verification failed');
  });

  it('refuses a backUrl with a query string (it would break notify verification)', async () => {
    const res = await post('frontTransReq.do', consumeFields(orderNo(), { backUrl: `${BACK_URL}?x=1` }));
    expect(res.status).toBe(400);
  });
});

describe('queryTrans (orderId + the ORIGINAL txnTime)', () => {
  it('34 for an unknown order and for the right orderId with another txnTime', async () => {
    const id = orderNo();
    const fields = app(id);
    await post('appTransReq.do', fields);
    expect((await verified(await post('queryTrans.do', query(orderNo(), fields.txnTime!)))).respCode).toBe('34');
    expect((await verified(await post('queryTrans.do', query(id, '20990101000000')))).respCode).toBe('34');
  });

  it('origRespCode 05 while unpaid, 00 once paid (with queryId, settle fields), 01 after payTimeout', async () => {
    const id = orderNo();
    const fields = app(id);
    await post('appTransReq.do', fields);
    expect(await verified(await post('queryTrans.do', query(id, fields.txnTime!)))).toMatchObject({ respCode: '00', origRespCode: '05', orderId: id });
    rec = recordNotifies();
    expect((await control(`/orders/${id}/pay`, { notify: 'drop' })).status).toBe(200);
    const paid = await verified(await post('queryTrans.do', query(id, fields.txnTime!)));
    expect(paid).toMatchObject({ respCode: '00', origRespCode: '00', txnAmt: '8888', settleAmt: '8888', merId: UNIONPAY_TEST.mer_id });
    expect(paid.queryId).toMatch(/^\d{21}$/);
    const other = orderNo();
    const f2 = app(other);
    await post('appTransReq.do', f2);
    await control(`/orders/${other}/expire`, {});
    expect((await verified(await post('queryTrans.do', query(other, f2.txnTime!)))).origRespCode).toBe('01');
  });
  it('the control clock moves the simulator past payTimeout (and back)', async () => {
    const id = orderNo();
    const fields = app(id);
    await post('appTransReq.do', fields);
    const moved = await control<{ now: string }>('/clock', { advance_seconds: 16 * 60 });
    expect(Date.parse(moved.json.now) - Date.now()).toBeGreaterThan(15 * 60_000);
    expect((await verified(await post('queryTrans.do', query(id, fields.txnTime!)))).origRespCode).toBe('01');
    const back = await control<{ now: string }>('/clock', { reset: true });
    expect(Math.abs(Date.parse(back.json.now) - Date.now())).toBeLessThan(5_000);
    expect((await control('/clock', { advance_seconds: -1 })).status).toBe(400);
  });
});

describe('refunds (04 on backTransReq)', () => {
  const refund = (id: string, origQryId: string, amount: string) =>
    consumeFields(id, {
      txnType: '04',
      txnSubType: '00',
      bizType: '000201',
      channelType: '07',
      origQryId,
      txnAmt: amount,
      frontUrl: '',
      payTimeout: '',
      orderDesc: '',
      reqReserved: 'attemptX',
    });

  async function paidOrder(): Promise<{ id: string; queryId: string }> {
    const id = orderNo();
    const f = app(id);
    await post('appTransReq.do', f);
    await control(`/orders/${id}/pay`, { notify: 'drop' });
    return { id, queryId: (await ledgerOf(id)).order.query_id as string };
  }

  it('accepts a partial refund (00 = accepted), settles it, notifies backUrl, and refuses more than remains (36)', async () => {
    rec = recordNotifies();
    const { id, queryId } = await paidOrder();
    const r1 = refund(orderNo(), queryId, '3000');
    const a = await verified(await post('backTransReq.do', r1));
    expect(a).toMatchObject({ respCode: '00', origQryId: queryId, reqReserved: 'attemptX' });
    expect((await verified(await post('backTransReq.do', refund(orderNo(), queryId, '6000')))).respCode).toBe('36');
    // The refund's own query: 05 until it settles (5 s × time_scale), then 00.
    expect(['05', '00']).toContain((await verified(await post('queryTrans.do', query(r1.orderId!, r1.txnTime!)))).origRespCode);
    // The ledger's own alarm may be mid-send when /flush runs; flush until the refund notify arrived.
    for (let i = 0; i < 100 && !rec.received.some((r) => r.fields.txnType === '04'); i++) {
      await control('/flush', {});
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await verified(await post('queryTrans.do', query(r1.orderId!, r1.txnTime!)))).origRespCode).toBe('00');
    const notify = rec.received.find((r) => r.fields.txnType === '04');
    expect(notify?.fields).toMatchObject({ orderId: r1.orderId, origQryId: queryId, respCode: '00', reqReserved: 'attemptX' });
    expect((await ledgerOf(id)).refunds).toHaveLength(1);
  });

  it('35 for an unpaid or unknown original, 12 for a reused refund orderId', async () => {
    rec = recordNotifies();
    expect((await verified(await post('backTransReq.do', refund(orderNo(), '999999999999999999999', '1')))).respCode).toBe('35');
    const { queryId } = await paidOrder();
    const r = refund(orderNo(), queryId, '100');
    await post('backTransReq.do', r);
    expect((await verified(await post('backTransReq.do', r))).respCode).toBe('12');
  });
});

describe('the sandbox never serves a live merchant', () => {
  it('refuses the control surface with a live key', async () => {
    expect((await control('/orders/x', undefined, TEST.live_secret_key)).status).toBe(404);
  });
});
