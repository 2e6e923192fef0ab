// The WeChat Pay simulator's statements (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6,
// https://pay.weixin.qq.com/doc/v3/merchant/4012791887; wechatpay-go FAQ): APIv3 `GET /v3/bill/tradebill` (signed
// answer: hash_type, hash_value, download_url), `GET /v3/billdownload/file?token=` (the request is signed, the file is
// NOT — as WeChat does) and APIv2 `POST /pay/downloadbill` (the CSV, or FAIL XML). The bill is written from the ledger
// for the Beijing day (worker/src/providers/wechat-pay/bill-format.ts), after the discrepancy switch (`/_control/bills`, ../bills.ts).
// A day without movements answers NO_STATEMENT_EXIST (v3) / "No Bill Exist" (v2); a day the switch holds
// back answers STATEMENT_CREATING / "Bill Creating". Refunds are listed on their request day, PROCESSING
// when they had not succeeded by the time the bill is made (./bill-ledger.ts); 手续费 is 0.60% of each
// payment, returned on a refund. Unlike WeChat, the sandbox serves today's bill too, so tests can
// reconcile what they just paid.

import { Hono, type Context } from 'hono';
import { gzipSync } from 'fflate';
import { loadConfig } from '../config';
import { fromBase64, toBase64, utf8 } from '../../../worker/src/crypto/encoding';
import { publicKeyFromPrivate } from '../../../worker/src/crypto/rsa';
import { sha1Hex } from '../../../worker/src/bills/download';
import { WECHAT_SANDBOX_FEE_PERMILLE, writeWechatBill, type WechatBillLine } from '../../../worker/src/providers/wechat-pay/bill-format';
import { parseDate } from '../../../worker/src/bills/time';
import { parseAuthorization, verifyAuthorization } from '../../../worker/src/providers/wechat-v3/sign';
import { SIGN_TYPES, verifyInferred } from '../../../worker/src/providers/wechat-v2/sign';
import { MAX_XML_BYTES, buildXml, parseFlatXml } from '../../../worker/src/providers/wechat-v2/xml';
import { applyMutations, billControl, feeOf, notReady } from '../bills';
import { wechatLedger, type SandboxEnv } from '../types';
import { authenticate, type WechatVars } from './auth';
import { testWechatMerchant } from './merchants';

export const wechatBills = new Hono<SandboxEnv & { Variables: WechatVars }>();

/** The bill text for one merchant and day; null when it had no movement; 'not_ready' when the switch holds it back. */
async function billText(env: SandboxEnv['Bindings'], mchid: string, date: string): Promise<string | null | 'not_ready'> {
  const ledger = wechatLedger(env, mchid);
  const mutations = await ledger.billMutations(mchid);
  if (notReady(mutations, date, await ledger.clock())) return 'not_ready';
  const items = applyMutations(await ledger.billItems(mchid, date), mutations, date);
  if (items.length === 0) return null;
  const lines = items.map((i): WechatBillLine => {
    const fee = feeOf(i.amount, WECHAT_SANDBOX_FEE_PERMILLE);
    return {
      time: i.time,
      appid: i.extra.appid ?? '',
      mchid,
      transactionId: i.transactionId,
      outTradeNo: i.outTradeNo,
      openid: i.extra.openid ?? '',
      tradeType: i.extra.trade_type ?? 'NATIVE',
      state: i.kind === 'payment' ? 'SUCCESS' : 'REFUND',
      amount: i.kind === 'payment' ? i.amount : 0,
      ...(i.kind === 'refund'
        ? { refund: { refundId: i.refundId ?? '', outRefundNo: i.outRefundNo ?? '', amount: i.amount, status: i.inFlight ? 'PROCESSING' : 'SUCCESS' } }
        : {}),
      fee: i.kind === 'payment' ? fee : -fee,
      body: i.extra.body ?? '',
    };
  });
  return writeWechatBill(lines);
}

const token = (t: { m: string; d: string; z: 0 | 1 }): string =>
  toBase64(utf8(JSON.stringify(t)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
function untoken(s: string): { m: string; d: string; z: 0 | 1 } | null {
  try {
    const t = JSON.parse(new TextDecoder().decode(fromBase64(s.replaceAll('-', '+').replaceAll('_', '/')))) as { m?: unknown; d?: unknown; z?: unknown };
    return typeof t.m === 'string' && typeof t.d === 'string' && (t.z === 0 || t.z === 1) ? { m: t.m, d: t.d, z: t.z } : null;
  } catch {
    return null;
  }
}

// Step 1: a normal, signed APIv3 call.
wechatBills.get('/v3/bill/tradebill', authenticate, async (c) => {
  const date = parseDate(c.req.query('bill_date') ?? '');
  if (!date) return c.json({ code: 'PARAM_ERROR', message: 'bill_date 格式错误，须为 yyyy-MM-DD' }, 400);
  if ((c.req.query('bill_type') ?? 'ALL') !== 'ALL') return c.json({ code: 'PARAM_ERROR', message: '沙箱只提供 bill_type=ALL 的账单' }, 400);
  const tar = c.req.query('tar_type');
  if (tar !== undefined && tar !== 'GZIP') return c.json({ code: 'PARAM_ERROR', message: 'tar_type 只能为 GZIP' }, 400);
  const text = await billText(c.env, c.var.wechat.mchid, date);
  if (text === null) return c.json({ code: 'NO_STATEMENT_EXIST', message: '账单文件不存在' }, 400);
  if (text === 'not_ready') return c.json({ code: 'STATEMENT_CREATING', message: '账单生成中' }, 400);
  const u = new URL(c.req.url);
  const base = u.origin + u.pathname.replace(/\/v3\/bill\/tradebill$/, '');
  return c.json({
    hash_type: 'SHA1',
    // Over the original bill: a GZIP download is checked after decompressing.
    hash_value: await sha1Hex(utf8(text)),
    download_url: `${base}/v3/billdownload/file?token=${token({ m: c.var.wechat.mchid, d: date, z: tar ? 1 : 0 })}${tar ? '&tartype=gzip' : ''}`,
  });
});

// Step 2: signed request, unsigned file.
wechatBills.get('/v3/billdownload/file', async (c) => {
  const config = loadConfig(c.env);
  const header = c.req.header('Authorization') ?? '';
  const parsed = parseAuthorization(header);
  const found = parsed ? testWechatMerchant(config, parsed.mchid) : undefined;
  const fail = (status: 400 | 401 | 404, code: string, message: string) => c.json({ code, message }, status);
  if (!parsed || !found || found.api !== 'v3') return fail(401, 'SIGN_ERROR', '签名错误');
  if (parsed.serial_no.toUpperCase() !== found.cfg.merchant_serial.toUpperCase()) return fail(401, 'SIGN_ERROR', '签名错误');
  const u = new URL(c.req.url);
  const check = await verifyAuthorization(header, {
    method: 'GET',
    url: u.pathname + u.search,
    body: '',
    publicKey: await publicKeyFromPrivate(found.cfg.private_key),
    now: Date.now(),
  });
  if (!check.ok) return fail(401, 'SIGN_ERROR', '签名错误');
  const t = untoken(c.req.query('token') ?? '');
  if (!t || t.m !== found.mchid) return fail(400, 'INVALID_REQUEST', 'token 无效或已过期');
  const text = await billText(c.env, t.m, t.d);
  if (text === null) return fail(400, 'NO_STATEMENT_EXIST', '账单文件不存在');
  if (text === 'not_ready') return fail(400, 'STATEMENT_CREATING', '账单生成中');
  const bytes = t.z ? gzipSync(utf8(text)) : utf8(text);
  return new Response(bytes, { headers: { 'Content-Type': t.z ? 'application/octet-stream' : 'text/plain; charset=utf-8' } });
});

// APIv2: the signed XML request; the answer is the bill itself (unsigned) or FAIL XML.
wechatBills.post('/pay/downloadbill', async (c: Context<SandboxEnv>) => {
  const xml = (s: string) => new Response(s, { headers: { 'Content-Type': 'text/xml; charset=utf-8' } });
  const failXml = (msg: string, code?: string) => xml(buildXml({ return_code: 'FAIL', return_msg: msg, ...(code ? { error_code: code } : {}) }));
  const raw = await c.req.text();
  if (raw.length > MAX_XML_BYTES) return failXml('XML格式错误');
  let m: Record<string, string>;
  try {
    m = parseFlatXml(raw);
  } catch {
    return failXml('XML格式错误');
  }
  const found = m.mch_id ? testWechatMerchant(loadConfig(c.env), m.mch_id) : undefined;
  if (found?.api !== 'v2') return failXml('mch_id参数错误：商户号不存在');
  if (m.sign_type !== undefined && !(SIGN_TYPES as readonly string[]).includes(m.sign_type)) return failXml('sign_type参数错误');
  if (!(await verifyInferred(m, found.cfg.apiv2_key))) return failXml('签名错误');
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(m.bill_date ?? '');
  const date = d ? parseDate(`${d[1]}-${d[2]}-${d[3]}`) : null;
  if (!date) return failXml('invalid bill_date', '20001');
  if ((m.bill_type ?? 'ALL') !== 'ALL') return failXml('沙箱只提供 bill_type=ALL 的账单', '20001');
  const text = await billText(c.env, found.mchid, date);
  if (text === null) return failXml('No Bill Exist', '20002');
  if (text === 'not_ready') return failXml('Bill Creating');
  return new Response(text, { headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
});

// The discrepancy switch.
wechatBills.route(
  '/_control/bills',
  billControl((m) => {
    const w = m.providers.wechat_pay;
    return w ? (w.api_version === 'v2' ? w.mch_id : w.mchid) : null;
  }, wechatLedger),
);
