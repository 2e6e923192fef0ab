// Which payment flows make sense where the shopper is. Pure: the client routes pass the request's
// User-Agent, the session's public view lists, per channel, the usable flows in order of preference
// (the first is the widget's default). The environments are detected here; each channel's order per
// environment, and where its wallet is blocked, are the channel's own (its `ChannelInfo` in the
// provider registry). The decision table is in docs/widget.md.

import type { Channel, Flow } from '../contract';
import { channelInfo } from '../providers/registry';
import type { Environment } from '../providers/types';

export type { Environment } from '../providers/types';

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
 * The flows of `channel` usable in `env`, best first, among those the provider implements. A channel
 * the environment's app blocks (Alipay inside WeChat, WeChat Pay inside Alipay) has no flows and the
 * notice `open_in_browser`, so the shopper learns how to get out rather than meeting a dead end.
 */
export function usableFlows(channel: Channel, providerFlows: readonly Flow[], env: Environment): { flows: Flow[]; notice?: EnvironmentNotice } {
  const info = channelInfo(channel);
  if (info.blockedIn?.includes(env) && providerFlows.length) return { flows: [], notice: 'open_in_browser' };
  return { flows: info.flowOrder[env].filter((f) => providerFlows.includes(f)) };
}
