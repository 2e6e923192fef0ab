/**
 * Per-channel UI is configuration: a label (in the translations), a glyph here, a brand colour in
 * the stylesheet (`.glyph.<channel>`, a class rather than an inline style so strict CSPs pass).
 * Which flows a channel offers, and in which order, is the server's call (it knows the shopper's
 * environment, worker/src/session/environment.ts); the widget runs the first and offers the others.
 */
import type { Channel, Flow, PublicSessionView } from '../../worker/src/contract';

export const CHANNEL_GLYPH: Record<Channel, string> = { wechat_pay: '微', alipay: '支', unionpay: '银' };

/** Flows this widget can run: `app` hands a payload to a native app and is not for web pages. */
const RUNNABLE: readonly Flow[] = ['qr', 'page', 'h5', 'jsapi'];

export interface Offer {
  channel: Channel;
  /** Best first; empty when the channel carries a notice instead. */
  flows: Flow[];
  /** The shopper's app blocks this channel: show how to open the page in a browser. */
  notice?: 'open_in_browser';
}

/**
 * The channels the shopper may pick: listed by the server, known to the widget, in `only` (the
 * `channels` attribute: names separated by spaces or commas) when given, with a flow the widget can
 * run or a notice to show. The server's order is kept.
 */
export function offeredChannels(view: Pick<PublicSessionView, 'channels'>, only?: string | null): Offer[] {
  const want = only?.trim() ? only.split(/[\s,]+/) : undefined;
  const out: Offer[] = [];
  for (const { channel, flows, notice } of view.channels) {
    if (!Object.hasOwn(CHANNEL_GLYPH, channel) || (want && !want.includes(channel))) continue;
    const usable = flows.filter((f) => RUNNABLE.includes(f));
    if (usable.length) out.push({ channel, flows: usable });
    else if (notice === 'open_in_browser') out.push({ channel, flows: [], notice });
  }
  return out;
}
