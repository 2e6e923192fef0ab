// The simulated UnionPay gateway (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448): appTransReq,
// backTransReq (apply QR, refund), queryTrans — signed raw answers — and frontTransReq, which a browser posts and which
// answers with the cashier. Thin: check (auth.ts) → validate (model.ts) → ledger RPC → answer.

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import type { SandboxEnv } from '../types';
import { answer, checkRequest, echo, failure } from './auth';
import { errorPage } from './cashier';
import { RESP, orderOutcome, consumeFields, refundFields, validateConsume, validateRefund } from './model';
import { testMerchantByMerId, unionpayLedger, unionpayLedgerSettings } from './settings';
import { foreignNotifyUrl } from '../common/notify-target';

export const unionpayGateway = new Hono<SandboxEnv>();

type Ctx = Context<SandboxEnv>;

const FRONT = '/gateway/api/frontTransReq.do';

/** `/sandbox/unionpay`, wherever the sandbox is mounted. */
export const sandboxBaseOf = (url: string, suffix: string): string => new URL(url).pathname.slice(0, -suffix.length);

/** Switched off without sandbox.unionpay: answered unsigned, since there is no key to sign with. */
const NOT_CONFIGURED = { respCode: '02', respMsg: '系统未开放[沙箱未配置 sandbox.unionpay]' };

async function checked(c: Ctx) {
  const config = loadConfig(c.env);
  const settings = unionpayLedgerSettings(config);
  // Bytes, decoded as UTF-8 (what .text() does): workerd warns that a form body "does not appear to be text".
  const body = new TextDecoder().decode(await c.req.arrayBuffer());
  const check = await checkRequest(config, body);
  if (!settings) return { settings, check: { ok: false as const, error: NOT_CONFIGURED, fields: check.fields } };
  // Notifies go only to the ordering merchant's own endpoint on the Shouyin Worker (common/notify-target.ts).
  const merchant = check.ok ? testMerchantByMerId(config, check.fields.merId ?? '') : undefined;
  const foreign = merchant ? foreignNotifyUrl(config, merchant.merchant.id, check.fields.backUrl) : null;
  if (foreign) return { settings, check: { ok: false as const, error: RESP.format(`backUrl: ${foreign}`), fields: check.fields } };
  return { settings, check };
}

unionpayGateway.post(FRONT, async (c) => {
  const { settings, check } = await checked(c);
  if (!settings) return errorPage(NOT_CONFIGURED.respCode, NOT_CONFIGURED.respMsg, 404);
  if (!check.ok) return errorPage(`${check.error.respCode}`, check.error.respMsg, 400);
  if (check.fields.txnType !== '01' || check.fields.txnSubType !== '01') return errorPage('32', '无此交易权限[前台只接受消费 txnType=01 txnSubType=01]', 400);
  const input = validateConsume(check.fields, 'front', Date.now());
  if (!input.ok) return errorPage(input.error.respCode, input.error.respMsg, 400);
  const r = await unionpayLedger(c.env, input.value.mer_id).consume(input.value);
  if (!r.ok) return errorPage(r.error.respCode, r.error.respMsg, 400);
  // Post → redirect → get: reloading the cashier never posts the order again.
  return c.redirect(`${sandboxBaseOf(c.req.url, FRONT)}/cashier?ref=${encodeURIComponent(r.order.ref)}`, 303);
});

unionpayGateway.post('/gateway/api/appTransReq.do', async (c) => {
  const { settings, check } = await checked(c);
  if (!check.ok || !settings) return failure(settings, check.fields, check.ok ? NOT_CONFIGURED : check.error);
  const f = check.fields;
  if (f.txnType !== '01' || f.txnSubType !== '01') return failure(settings, f, { respCode: '32', respMsg: '无此交易权限[控件只接受消费]' });
  const input = validateConsume(f, 'app', Date.now());
  if (!input.ok) return failure(settings, f, input.error);
  const r = await unionpayLedger(c.env, input.value.mer_id).consume(input.value);
  if (!r.ok) return failure(settings, f, r.error);
  if (r.order.state !== 'UNPAID') return failure(settings, f, RESP.duplicate);
  return answer(settings, { ...echo(f), ...RESP.ok, tn: r.order.ref });
});

unionpayGateway.post('/gateway/api/backTransReq.do', async (c) => {
  const { settings, check } = await checked(c);
  if (!check.ok || !settings) return failure(settings, check.fields, check.ok ? NOT_CONFIGURED : check.error);
  const f = check.fields;
  const ledger = unionpayLedger(c.env, f.merId as string);
  if (f.txnType === '01' && f.txnSubType === '07') {
    const input = validateConsume(f, 'qr', Date.now());
    if (!input.ok) return failure(settings, f, input.error);
    const r = await ledger.consume(input.value);
    if (!r.ok) return failure(settings, f, r.error);
    if (r.order.state !== 'UNPAID') return failure(settings, f, RESP.duplicate);
    return answer(settings, { ...echo(f), ...RESP.ok, qrCode: r.order.qr_code ?? '' });
  }
  if (f.txnType === '04') {
    const input = validateRefund(f, Date.now());
    if (!input.ok) return failure(settings, f, input.error);
    const r = await ledger.refund(settings, input.value);
    if (!r.ok) return failure(settings, f, r.error);
    // 00 = accepted; the result comes by notify or query
    // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=756&apiservId=448&version=V2.2).
    return answer(settings, {
      ...echo(f),
      ...RESP.ok,
      queryId: r.refund.query_id,
      origQryId: r.refund.orig_query_id,
      txnAmt: String(r.refund.txn_amt),
      ...(r.refund.req_reserved ? { reqReserved: r.refund.req_reserved } : {}),
    });
  }
  return failure(settings, f, { respCode: '32', respMsg: `无此交易权限[沙箱未模拟 txnType=${f.txnType} txnSubType=${f.txnSubType}]` });
});

unionpayGateway.post('/gateway/api/queryTrans.do', async (c) => {
  const { settings, check } = await checked(c);
  if (!check.ok || !settings) return failure(settings, check.fields, check.ok ? NOT_CONFIGURED : check.error);
  const f = check.fields;
  if (f.txnType !== '00' || f.txnSubType !== '00') return failure(settings, f, RESP.format('txnType'));
  if (!f.orderId) return failure(settings, f, RESP.missing('orderId'));
  // The query names the order by orderId AND its original txnTime
  // (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=757&apiservId=448&version=V2.2): not "now".
  const found = await unionpayLedger(c.env, f.merId as string).query(f.merId as string, f.orderId, f.txnTime as string);
  if (!found) return failure(settings, f, RESP.notFound);
  if (found.kind === 'order') {
    const o = found.order;
    const outcome = orderOutcome(o);
    return answer(settings, { ...consumeFields(o), ...RESP.ok, origRespCode: outcome.code, origRespMsg: outcome.msg });
  }
  const r = found.refund;
  const code = r.state === 'SUCCESS' ? '00' : '05';
  return answer(settings, {
    ...refundFields(r),
    ...RESP.ok,
    origRespCode: code,
    origRespMsg: code === '00' ? '成功[0000000]' : '交易已受理，请稍后查询交易结果',
  });
});

unionpayGateway.onError(async (e, c) => {
  console.error('sandbox unionpay', e);
  const settings = unionpayLedgerSettings(loadConfig(c.env));
  return answer(settings, { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', respCode: '06', respMsg: '系统繁忙，请稍后再试' });
});
