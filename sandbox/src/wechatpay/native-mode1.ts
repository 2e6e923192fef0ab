// Scanning a Native mode-1 product link (`weixin://wxpay/bizpayurl?sign=…&appid=…&mch_id=…&product_id=…
// &time_stamp=…&nonce_str=…`, https://pay.weixin.qq.com/wiki/doc/api/native.php?chapter=6_4): WeChat checks the link's
// MD5 sign, then POSTs `appid, openid, mch_id, is_subscribe, nonce_str, product_id, sign` to the merchant's mode-1
// callback URL; the merchant answers with a signed prepay_id, and the shopper pays that order. The
// sandbox's callback URL for a test merchant is `{public_base_url}/wechat/native/{merchant id}`.

import type { Context } from 'hono';
import { loadConfig } from '../config';
import { randomAlnum } from '../../../worker/src/crypto/encoding';
import { sign, verifyInferred } from '../../../worker/src/providers/wechat-v2/sign';
import { buildXml, parseFlatXml } from '../../../worker/src/providers/wechat-v2/xml';
import { ledgerSettings } from '../settings';
import { wechatLedger, type SandboxEnv } from '../types';
import { boundAppids, testWechatMerchant } from './merchants';
import { post } from './notify';
import { USER_COOKIE, sandboxOpenid, userFromCookie } from './openid';
import { esc, page } from './page';

const problem = (title: string, sub: string, status = 400): Response =>
  page(title, `<div class="icon bad" aria-hidden="true">×</div><h1>${esc(title)}</h1><p class="sub">${esc(sub)}</p>`, status, ' data-result="mode1_error"');

export async function scanProductQr(c: Context<SandboxEnv>, link: string): Promise<Response> {
  const config = loadConfig(c.env);
  const settings = ledgerSettings(config);
  const q = Object.fromEntries(new URLSearchParams(link.slice(link.indexOf('?') + 1)));
  const m = q.mch_id ? testWechatMerchant(config, q.mch_id) : undefined;
  if (m?.api !== 'v2' || !settings) return problem('二维码无效', 'Unknown merchant: Native mode 1 needs an APIv2 test merchant.', 404);
  if (!q.appid || !boundAppids(m).includes(q.appid)) return problem('二维码无效', 'appid 与商户号不匹配');
  if (!(await verifyInferred({ ...q }, m.cfg.apiv2_key))) return problem('二维码无效', "签名错误: the link was not signed with the merchant's APIv2 key.");

  let user = userFromCookie(c.req.header('Cookie'));
  const setCookie = user ? null : (user = randomAlnum(24));
  const openid = await sandboxOpenid(q.appid, user);
  const callback: Record<string, string> = {
    appid: q.appid,
    openid,
    mch_id: m.mchid,
    is_subscribe: 'N',
    nonce_str: randomAlnum(32),
    product_id: q.product_id ?? '',
  };
  const body = buildXml({ ...callback, sign: await sign(callback, m.cfg.apiv2_key, 'MD5') });
  const url = `${config.public_base_url}/wechat/native/${m.merchant.id}`;
  let answer: Record<string, string>;
  try {
    const res = await post(settings, url, body, { 'Content-Type': 'text/xml; charset=utf-8', 'User-Agent': 'Mozilla/4.0' });
    answer = parseFlatXml(await res.text());
  } catch (e) {
    return problem('商户系统繁忙', `The merchant's mode-1 callback (${url}) gave no usable XML: ${(e as Error).message}`, 502);
  }
  if (answer.return_code !== 'SUCCESS') return problem('商户系统繁忙', answer.return_msg ?? 'return_code FAIL', 502);
  if (!(await verifyInferred(answer, m.cfg.apiv2_key))) return problem('商户系统繁忙', 'The callback answer failed its sign check.', 502);
  if (answer.result_code !== 'SUCCESS') return problem(answer.err_code_des || '商品不可购买', 'The merchant refused this product (result_code FAIL).', 200);
  const o = answer.prepay_id ? await wechatLedger(c.env, m.mchid).byPrepayId(answer.prepay_id) : null;
  if (!o || o.mchid !== m.mchid || o.trade_type !== 'NATIVE' || !o.code_url)
    return problem('商户系统繁忙', 'The callback answered with a prepay_id the sandbox does not know.', 502);
  // From here it is an ordinary order: the wallet page shows it, 确认支付 pays it.
  const headers = new Headers({ Location: `${new URL(c.req.url).pathname}?code_url=${encodeURIComponent(o.code_url)}`, 'Cache-Control': 'no-store' });
  if (setCookie) {
    const path = new URL(c.req.url).pathname.replace(/\/wallet\/?$/, '') || '/';
    headers.append('Set-Cookie', `${USER_COOKIE}=${setCookie}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=31536000`);
  }
  return new Response(null, { status: 303, headers });
}
