/**
 * Per-channel UI is configuration: a label (in the translations), a glyph here, a brand colour in
 * the stylesheet (`.glyph.<channel>`, a class rather than an inline style so strict CSPs pass).
 * One QR view serves every channel.
 */
import type { Channel, Flow, PublicSessionView } from '../../worker/src/contract';

export const CHANNEL_GLYPH: Record<Channel, string> = { wechat_pay: '微', alipay: '支', unionpay: '银' };

/** The flow the widget starts for a channel here. Desktop QR only for now. */
export function chooseFlow(flows: readonly Flow[]): Flow | undefined {
  return flows.includes('qr') ? 'qr' : undefined;
}

/** The channels the shopper may pick: listed by the server, known to the widget, with a usable flow. */
export function offeredChannels(view: Pick<PublicSessionView, 'channels'>): { channel: Channel; flow: Flow }[] {
  const out: { channel: Channel; flow: Flow }[] = [];
  for (const c of view.channels) {
    const flow = chooseFlow(c.flows);
    if (flow && Object.hasOwn(CHANNEL_GLYPH, c.channel)) out.push({ channel: c.channel, flow });
  }
  return out;
}
