// The simulated WeChat Pay APIv2 (https://pay.weixin.qq.com/wiki/doc/api/index.html): XML in, signed XML out, at the
// real paths under `/sandbox/wechatpay` (`/pay/unifiedorder`, `/pay/orderquery`, `/pay/closeorder`, `/pay/refundquery`,
// `/pay/micropay`, `/secapi/pay/refund`, `/secapi/pay/reverse`). Every request is screened for DOCTYPE/ENTITY before parsing, then checked in
// WeChat's order: well-formed XML → known mch_id (test merchants only) → sign (MD5 or HMAC-SHA256 by
// sign_type) → AppID bound to the merchant → the call's own fields. Communication-level failures are
// `return_code=FAIL` and unsigned; business failures are `result_code=FAIL` + `err_code`, signed
// (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).

import { Hono, type Context } from 'hono';
import { loadConfig } from '../config';
import { SIGN_TYPES, verifyInferred, type SignType } from '../../../worker/src/providers/wechat-v2/sign';
import { MAX_XML_BYTES, XmlError, parseFlatXml } from '../../../worker/src/providers/wechat-v2/xml';
import type { OrderError, RefundError } from '../ledger';
import { ledgerSettings, type LedgerSettings } from '../settings';
import { wechatLedger, type SandboxEnv } from '../types';
import { boundAppids, testWechatMerchant, type SandboxMerchant } from './merchants';
import { isSandboxOpenid } from './openid';
import { orderQueryFields, refundQueryFields, v2Answer, v2Fail, validateUnifiedOrder } from './v2model';
import { isWechatPaymentCode } from './model';
import { hangUp } from '../payment-codes';
import { foreignNotifyUrl } from '../common/notify-target';

export const v2Api = new Hono<SandboxEnv>();

interface V2Request {
  m: Record<string, string>;
  merchant: Extract<SandboxMerchant, { api: 'v2' }>;
  settings: LedgerSettings;
  signType: SignType;
  /** `…/sandbox/wechatpay`, for the H5 cashier link. */
  base: string;
}

type Result =
  | { ok: true; fields?: Record<string, string | null | undefined> }
  | { ok: false; err_code: string; err_code_des: string; fields?: Record<string, string> }
  /** The call never answers (a `hang` payment code): HANG_SECONDS × time_scale, then a bodiless 504. */
  | { hang: true };
const fail = (err_code: string, err_code_des: string, fields?: Record<string, string>): Result => ({
  ok: false,
  err_code,
  err_code_des,
  ...(fields ? { fields } : {}),
});

const xml = (body: string): Response => new Response(body, { status: 200, headers: { 'Content-Type': 'text/xml; charset=utf-8' } });

/** Runs `fn` for an authenticated APIv2 request and answers it as WeChat Pay does. */
function v2Route(fn: (r: V2Request) => Promise<Result>) {
  return async (c: Context<SandboxEnv>): Promise<Response> => {
    const settings = ledgerSettings(loadConfig(c.env));
    const raw = await c.req.text();
    if (raw.length > MAX_XML_BYTES) return xml(v2Fail('XML格式错误'));
    let m: Record<string, string>;
    try {
      m = parseFlatXml(raw);
    } catch (e) {
      return xml(v2Fail(e instanceof XmlError && e.code === 'unsafe_markup' ? 'XML格式错误：不支持DTD与实体声明' : 'XML格式错误'));
    }
    const found = m.mch_id ? testWechatMerchant(loadConfig(c.env), m.mch_id) : undefined;
    // The sandbox never serves a live merchant: to it, a live mch_id does not exist.
    if (!settings || !found || found.api !== 'v2') return xml(v2Fail('mch_id参数错误：商户号不存在'));
    if (!m.nonce_str || m.nonce_str.length > 32) return xml(v2Fail('nonce_str参数错误：须为32位以内的随机字符串'));
    if (m.sign_type !== undefined && !(SIGN_TYPES as readonly string[]).includes(m.sign_type)) return xml(v2Fail('sign_type参数错误'));
    // A failed signature is a communication-level FAIL, unsigned
    // (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3, "签名错误").
    if (!(await verifyInferred(m, found.cfg.apiv2_key))) return xml(v2Fail('签名错误'));
    const signType: SignType = m.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
    const answer = async (r: Result) =>
      'hang' in r ? hangUp(settings.time_scale) : xml(await v2Answer({ appid: m.appid ?? '', mch_id: found.mchid }, found.cfg.apiv2_key, signType, r));
    if (!m.appid || !boundAppids(found).includes(m.appid)) return answer(fail('APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配'));
    const u = new URL(c.req.url);
    const base = u.origin + u.pathname.replace(/\/(pay|secapi)\/.*$/, '');
    return answer(await fn({ m, merchant: found, settings, signType, base }));
  };
}

const ORDER_ERRORS: Record<OrderError, Result> = {
  OUT_TRADE_NO_USED: fail('OUT_TRADE_NO_USED', '商户订单号重复'),
  ORDERPAID: fail('ORDERPAID', '该订单已支付'),
  ORDERCLOSED: fail('ORDERCLOSED', '该订单已关闭'),
};

v2Api.post('/pay/unifiedorder', (c) =>
  v2Route(async ({ m, merchant, base }) => {
    const v = validateUnifiedOrder(m);
    if (!v.ok) return v;
    if (!('input' in v)) return fail('PARAM_ERROR', '参数错误');
    const input = { ...v.input, mchid: merchant.mchid };
    // JSAPI: the openid must be the prepay appid's user (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1).
    if (input.openid !== null && !(await isSandboxOpenid(input.appid, input.openid))) return fail('PARAM_ERROR', 'appid和openid不匹配');
    const foreign = foreignNotifyUrl(loadConfig(c.env), merchant.merchant.id, input.notify_url);
    if (foreign) return fail('PARAM_ERROR', foreign);
    const r = await wechatLedger(c.env, merchant.mchid).createOrder(input);
    if (!r.ok) return ORDER_ERRORS[r.error];
    const o = r.order;
    return {
      ok: true,
      fields: {
        trade_type: o.trade_type,
        prepay_id: o.prepay_id,
        code_url: o.code_url,
        // Real mweb_url: https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=…&package=… (5 minutes).
        mweb_url: o.trade_type === 'MWEB' ? `${base}/h5?prepay_id=${o.prepay_id}&package=${o.created_at % 10_000_000_000}` : null,
      },
    };
  })(c),
);

v2Api.post('/pay/orderquery', (c) =>
  v2Route(async ({ m, merchant }) => {
    if (!m.out_trade_no && !m.transaction_id) return fail('LACK_PARAMS', '缺少参数out_trade_no或transaction_id');
    const o = await wechatLedger(c.env, merchant.mchid).orderRow(
      merchant.mchid,
      m.transaction_id ? { transaction_id: m.transaction_id } : { out_trade_no: m.out_trade_no as string },
    );
    return o ? { ok: true, fields: orderQueryFields(o) } : fail('ORDERNOTEXIST', '此交易订单号不存在');
  })(c),
);

v2Api.post('/pay/closeorder', (c) =>
  v2Route(async ({ m, merchant }) => {
    if (!m.out_trade_no) return fail('LACK_PARAMS', '缺少参数out_trade_no');
    const ledger = wechatLedger(c.env, merchant.mchid);
    const before = await ledger.orderRow(merchant.mchid, { out_trade_no: m.out_trade_no });
    if (!before) return fail('ORDERNOTEXIST', '订单不存在');
    if (before.state === 'CLOSED') return fail('ORDERCLOSED', '订单已关闭');
    const r = await ledger.close(merchant.mchid, m.out_trade_no);
    if (r === 'paid') return fail('ORDERPAID', '订单已支付');
    return { ok: true, fields: { result_msg: 'OK' } };
  })(c),
);

const REFUND_ERRORS: Record<RefundError, (remaining?: number) => Result> = {
  ORDER_NOT_FOUND: () => fail('ORDERNOTEXIST', '订单不存在'),
  REFUND_NO_REUSED: () => fail('INVALID_REQUEST', 'out_refund_no已用于另一笔退款'),
  NOT_PAID: () => fail('INVALID_REQUEST', '订单未支付，不能退款'),
  TOTAL_MISMATCH: () => fail('INVALID_REQUEST', 'total_fee与原订单金额不一致'),
  EXCEEDS_REMAINING: (n) => fail('INVALID_REQUEST', `退款金额大于可退金额（可退${n ?? 0}分）`),
};

// The real endpoint refuses calls without the merchant's client certificate (mTLS); the sandbox
// cannot see one, so it does not check (docs/wechat.md says how the live one is set up).
v2Api.post('/secapi/pay/refund', (c) =>
  v2Route(async ({ m, merchant, settings }) => {
    if (!m.out_trade_no && !m.transaction_id) return fail('LACK_PARAMS', '缺少参数out_trade_no或transaction_id');
    for (const k of ['out_refund_no', 'total_fee', 'refund_fee']) if (!m[k]) return fail('LACK_PARAMS', `缺少参数${k}`);
    if (!/^[0-9A-Za-z_\-|*@]{1,64}$/.test(m.out_refund_no as string)) return fail('PARAM_ERROR', 'out_refund_no参数格式错误');
    if (!/^[1-9][0-9]{0,14}$/.test(m.total_fee as string) || !/^[1-9][0-9]{0,14}$/.test(m.refund_fee as string))
      return fail('PARAM_ERROR', 'total_fee和refund_fee须为正整数（单位：分）');
    if (m.notify_url) {
      try {
        const u = new URL(m.notify_url);
        if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.search !== '') return fail('PARAM_ERROR', 'notify_url须为不带参数的http(s)地址');
      } catch {
        return fail('PARAM_ERROR', 'notify_url须为不带参数的http(s)地址');
      }
    }
    const foreign = foreignNotifyUrl(loadConfig(c.env), merchant.merchant.id, m.notify_url);
    if (foreign) return fail('PARAM_ERROR', foreign);
    const r = await wechatLedger(c.env, merchant.mchid).refund(settings, merchant.mchid, {
      api: 'v2',
      ...(m.out_trade_no ? { out_trade_no: m.out_trade_no } : { transaction_id: m.transaction_id as string }),
      out_refund_no: m.out_refund_no as string,
      reason: m.refund_desc || null,
      notify_url: m.notify_url || null,
      refund: Number(m.refund_fee),
      total: Number(m.total_fee),
    });
    if (!r.ok) return REFUND_ERRORS[r.error](r.remaining);
    const f = r.refund;
    return {
      ok: true,
      fields: {
        transaction_id: f.transaction_id,
        out_trade_no: f.out_trade_no,
        out_refund_no: f.out_refund_no,
        refund_id: f.refund_id,
        refund_fee: String(f.amount),
        settlement_refund_fee: String(f.amount),
        total_fee: String(f.total),
        cash_fee: String(f.total),
        cash_refund_fee: String(f.amount),
      },
    };
  })(c),
);

v2Api.post('/pay/refundquery', (c) =>
  v2Route(async ({ m, merchant }) => {
    const by = m.out_refund_no
      ? { out_refund_no: m.out_refund_no }
      : m.out_trade_no
        ? { out_trade_no: m.out_trade_no }
        : m.transaction_id
          ? { transaction_id: m.transaction_id }
          : null;
    if (!by) return fail('LACK_PARAMS', '缺少参数out_refund_no、out_trade_no或transaction_id');
    const r = await wechatLedger(c.env, merchant.mchid).refundsOf(merchant.mchid, by);
    return r ? { ok: true, fields: refundQueryFields(r.order, r.refunds) } : fail('REFUNDNOTEXIST', '退款订单查询失败');
  })(c),
);

// 付款码支付 (https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_10&index=1): the code's third digit decides what
// the simulated shopper does (../payment-codes.ts).
v2Api.post('/pay/micropay', (c) =>
  v2Route(async ({ m, merchant, settings }) => {
    for (const k of ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'auth_code']) if (!m[k]) return fail('LACK_PARAMS', `缺少参数${k}`);
    if ([...(m.body as string)].length > 128) return fail('PARAM_ERROR', 'body参数格式错误：长度超过128');
    if (!/^[0-9A-Za-z_\-|*@]{1,32}$/.test(m.out_trade_no as string)) return fail('PARAM_ERROR', 'out_trade_no参数格式错误');
    if (!/^[1-9][0-9]{0,14}$/.test(m.total_fee as string)) return fail('PARAM_ERROR', 'total_fee须为正整数（单位：分）');
    if (m.fee_type && m.fee_type !== 'CNY') return fail('PARAM_ERROR', 'fee_type参数格式错误：仅支持CNY');
    // "用户刷卡条形码规则：18位纯数字，以10、11、12、13、14、15开头".
    if (!isWechatPaymentCode(m.auth_code as string)) return fail('AUTH_CODE_INVALID', '付款码无效，请重新扫码');
    const r = await wechatLedger(c.env, merchant.mchid).micropay(
      settings,
      {
        api: 'v2',
        trade_type: 'MICROPAY',
        appid: m.appid as string,
        mchid: merchant.mchid,
        description: m.body as string,
        out_trade_no: m.out_trade_no as string,
        notify_url: '',
        total: Number(m.total_fee),
        currency: 'CNY',
        time_expire: null,
        attach: m.attach || null,
        openid: null,
        client_ip: m.spbill_create_ip as string,
        sign_type: m.sign_type || 'MD5',
        product_id: null,
      },
      m.auth_code as string,
    );
    if (!r.ok)
      return r.error === 'AUTH_CODE_USED' ? fail('AUTH_CODE_INVALID', '付款码已使用，请用户刷新付款码后重新扫码') : fail('OUT_TRADE_NO_USED', '商户订单号重复');
    switch (r.behavior) {
      case 'hang':
        return { hang: true };
      case 'decline':
        return fail('NOTENOUGH', '用户的零钱余额不足，请用户换卡支付');
      default: {
        const o = r.order;
        if (o.state !== 'SUCCESS' && o.state !== 'REFUND') return fail('USERPAYING', '需要用户输入支付密码');
        const { trade_state: _s, trade_state_desc: _d, ...paid } = orderQueryFields(o);
        return { ok: true, fields: paid };
      }
    }
  })(c),
);

// 撤销订单 (https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=9_11&index=3): closes an unpaid payment-code order,
// refunds a paid one; recall=Y asks for another call. Like refunds, the real endpoint needs the merchant's client
// certificate (mTLS); the sandbox cannot see one.
v2Api.post('/secapi/pay/reverse', (c) =>
  v2Route(async ({ m, merchant }) => {
    if (!m.out_trade_no && !m.transaction_id) return fail('LACK_PARAMS', '缺少参数out_trade_no或transaction_id');
    const ledger = wechatLedger(c.env, merchant.mchid);
    const o = await ledger.orderRow(merchant.mchid, m.transaction_id ? { transaction_id: m.transaction_id } : { out_trade_no: m.out_trade_no as string });
    if (!o) return fail('ORDERNOTEXIST', '订单不存在', { recall: 'N' });
    const r = await ledger.reverse(merchant.mchid, o.out_trade_no);
    if (r.ok) return { ok: true, fields: { recall: 'N' } };
    switch (r.error) {
      case 'SYSTEMERROR':
        return fail('SYSTEMERROR', '系统超时，请立即调用被扫订单结果查询API，查询当前订单的不同状态，决定下一步的操作', { recall: 'Y' });
      case 'REVERSE_EXPIRE':
        return fail('REVERSE_EXPIRE', '订单已过撤销期限，请使用申请退款API', { recall: 'N' });
      case 'NOT_MICROPAY':
        return fail('INVALID_REQUEST', '只有付款码支付的订单可以撤销', { recall: 'N' });
      default:
        return fail('ORDERNOTEXIST', '订单不存在', { recall: 'N' });
    }
  })(c),
);

v2Api.all('/pay/*', () => xml(v2Fail('沙箱未实现此接口')));
v2Api.all('/secapi/*', () => xml(v2Fail('沙箱未实现此接口')));

v2Api.onError((e) => {
  console.error('sandbox wechatpay v2', e);
  return xml(v2Fail('系统错误'));
});
