// Which payment flows make sense where the shopper is. Pure: the client routes pass the request's
// User-Agent, the session's public view lists, per channel, the usable flows in order of preference
// (the first is the widget's default). The decision table is in the README ("The widget").

import type { Channel, Flow } from '../contract';

/**
 * - `desktop`: a computer's browser. The phone in the shopper's hand scans a QR code.
 * - `mobile`: a phone or tablet browser outside the wallets. Wallet redirects (WeChat H5, Alipay wap,
 *   UnionPay mobile front page) open the wallet on the same device.
 * - `wechat`: WeChat's in-app browser on a phone. WeChat Pay runs in the page (JSAPI); WeChat blocks
 *   Alipay's pages and app links.
 * - `alipay`: Alipay's in-app browser. Alipay's wap cashier runs in the app; WeChat Pay cannot be
 *   reached from inside Alipay.
 */
export type Environment = 'desktop' | 'mobile' | 'wechat' | 'alipay';

export type EnvironmentNotice = 'open_in_browser';

// WeChat's desktop clients (Windows, macOS) also say MicroMessenger, plus WindowsWechat / MacWechat.
// Their built-in browser is a computer's: the shopper's phone is at hand to scan, a QR code works for
// every channel, and JSAPI there only shows a QR to scan with the phone anyway. So they are `desktop`,
// as is any MicroMessenger UA without a phone or tablet token.
const WECHAT_DESKTOP = /WindowsWechat|MacWechat/i;
// Every phone and tablet browser says one of these; iPadOS Safari asks for desktop sites by default
// (a Macintosh UA), which is served like a desktop: QR codes and the provider's web cashier both work.
const MOBILE = /Mobi|Android|iPhone|iPad|iPod|HarmonyOS|OpenHarmony|Windows Phone/i;

/** The shopper's environment from the request's User-Agent; unknown or missing → `desktop` (QR works everywhere). */
export function detectEnvironment(userAgent: string | undefined): Environment {
  const ua = userAgent ?? '';
  // Alipay's in-app browser: `AlipayClient/10.x` (and `AliApp(AP/…)`). Checked first: some Alipay
  // mini-program containers also carry other apps' tokens.
  if (/AlipayClient|AliApp\(AP/i.test(ua)) return 'alipay';
  const mobile = MOBILE.test(ua);
  if (/MicroMessenger/i.test(ua)) return mobile && !WECHAT_DESKTOP.test(ua) ? 'wechat' : 'desktop';
  return mobile ? 'mobile' : 'desktop';
}

/**
 * Preference order per environment and channel. `app` is never here: it hands a payload to the
 * merchant's native app, not a web page.
 *
 * - desktop: scan the QR with the phone; the provider's web cashier (Alipay PC page, UnionPay front
 *   page) as the alternative. H5/wap flows refuse or degrade on desktop browsers.
 * - mobile: the wallet redirect for this device first; the QR second (another phone, or a screenshot).
 * - wechat: JSAPI for WeChat Pay (H5 is refused inside WeChat, which says to use JSAPI); UnionPay's
 *   front page works in any browser.
 * - alipay: Alipay's wap cashier opens inside the app.
 */
const ORDER: Record<Environment, Record<Channel, readonly Flow[]>> = {
  desktop: { wechat_pay: ['qr'], alipay: ['qr', 'page'], unionpay: ['qr', 'page'] },
  mobile: { wechat_pay: ['h5', 'qr'], alipay: ['h5', 'qr'], unionpay: ['h5', 'page', 'qr'] },
  wechat: { wechat_pay: ['jsapi', 'qr'], alipay: [], unionpay: ['h5', 'page', 'qr'] },
  alipay: { wechat_pay: [], alipay: ['h5', 'qr'], unionpay: ['h5', 'page', 'qr'] },
};

/** Channels the environment's app blocks outright: the widget shows "open in your browser" instead. */
const BLOCKED: Partial<Record<Environment, Channel>> = { wechat: 'alipay', alipay: 'wechat_pay' };

/**
 * The flows of `channel` usable in `env`, best first, among those the provider implements. A channel
 * the environment's app blocks (Alipay inside WeChat, WeChat Pay inside Alipay) has no flows and the
 * notice `open_in_browser`, so the shopper learns how to get out rather than meeting a dead end.
 */
export function usableFlows(
  channel: Channel,
  providerFlows: readonly Flow[],
  env: Environment,
): { flows: Flow[]; notice?: EnvironmentNotice } {
  if (BLOCKED[env] === channel && providerFlows.length) return { flows: [], notice: 'open_in_browser' };
  return { flows: ORDER[env][channel].filter((f) => providerFlows.includes(f)) };
}
