import { describe, expect, it } from 'vitest';
import type { PublicChannel } from '../../worker/src/contract';
import { offeredChannels } from './channels';

describe('offeredChannels', () => {
  const channels = [
    { channel: 'alipay', flows: ['qr', 'page'] },
    { channel: 'unionpay', flows: ['app'] },
    { channel: 'wechat_pay', flows: ['h5', 'jsapi', 'app', 'qr'] },
    { channel: 'paypal', flows: ['qr'] },
  ] as unknown as PublicChannel[];

  it('keeps the server’s channel and flow order, dropping flows it cannot run and unknown channels', () => {
    expect(offeredChannels({ channels })).toEqual([
      { channel: 'alipay', flows: ['qr', 'page'] },
      { channel: 'wechat_pay', flows: ['h5', 'jsapi', 'qr'] },
    ]);
    expect(offeredChannels({ channels: [] })).toEqual([]);
  });

  it('keeps a blocked channel with its notice, so the shopper is told how to reach it', () => {
    const inWechat = [
      { channel: 'wechat_pay', flows: ['jsapi', 'qr'] },
      { channel: 'alipay', flows: [], notice: 'open_in_browser' },
      { channel: 'unionpay', flows: [] },
    ] as PublicChannel[];
    expect(offeredChannels({ channels: inWechat })).toEqual([
      { channel: 'wechat_pay', flows: ['jsapi', 'qr'] },
      { channel: 'alipay', flows: [], notice: 'open_in_browser' },
    ]);
  });

  it('narrows to the channels attribute (spaces or commas), never adding any', () => {
    expect(offeredChannels({ channels }, 'wechat_pay').map((o) => o.channel)).toEqual(['wechat_pay']);
    expect(offeredChannels({ channels }, ' alipay, wechat_pay ').map((o) => o.channel)).toEqual(['alipay', 'wechat_pay']);
    expect(offeredChannels({ channels }, 'unionpay paypal')).toEqual([]);
    expect(offeredChannels({ channels }, '').map((o) => o.channel)).toEqual(['alipay', 'wechat_pay']);
    expect(offeredChannels({ channels }, null)).toHaveLength(2);
  });
});
