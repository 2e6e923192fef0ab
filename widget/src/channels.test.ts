import { describe, expect, it } from 'vitest';
import type { PublicChannel } from '../../worker/src/contract';
import { chooseFlow, offeredChannels } from './channels';

describe('channels', () => {
  it('chooses the desktop QR flow when the server lists it', () => {
    expect(chooseFlow(['h5', 'qr'])).toBe('qr');
    expect(chooseFlow(['h5', 'jsapi'])).toBeUndefined();
  });

  it('offers only listed channels with a usable flow, in the server’s order', () => {
    const channels = [
      { channel: 'alipay', flows: ['page', 'qr'] },
      { channel: 'unionpay', flows: ['app'] },
      { channel: 'wechat_pay', flows: ['qr', 'jsapi'] },
      { channel: 'paypal', flows: ['qr'] },
    ] as unknown as PublicChannel[];
    expect(offeredChannels({ channels })).toEqual([
      { channel: 'alipay', flow: 'qr' },
      { channel: 'wechat_pay', flow: 'qr' },
    ]);
    expect(offeredChannels({ channels: [] })).toEqual([]);
  });
});
