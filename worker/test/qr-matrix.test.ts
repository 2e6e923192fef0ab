// `next_action.display_qr.qr`: the QR matrix the Worker encodes with the `qrcode` package for the
// widget to draw, checked against an independent decoder (jsQR) on every channel's QR flow.

import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import type { AttemptResponse, Channel, NextAction, QrMatrix, StatusView } from '../src/contract';
import { qrModules } from '../src/lib/qr';
import { client, createSession } from './helpers';

/** The matrix rasterised with a 4-module quiet zone, 4 px a module, and read back by jsQR. */
function decode(m: QrMatrix): string | undefined {
  const rows = qrModules(m);
  const scale = 4;
  const w = (m.size + 8) * scale;
  const px = new Uint8ClampedArray(w * w * 4).fill(255);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const mx = Math.floor(x / scale) - 4;
      const my = Math.floor(y / scale) - 4;
      if (rows[my]?.[mx]) px.fill(0, (y * w + x) * 4, (y * w + x) * 4 + 3);
    }
  }
  return jsQR(px, w, w)?.data;
}

type Qr = Extract<NextAction, { type: 'display_qr' }>;

describe('display_qr carries the QR matrix (inside workerd)', () => {
  for (const channel of ['wechat_pay', 'alipay', 'unionpay'] as Channel[]) {
    it(`${channel}: the matrix decodes to the provider's payload, in the attempt and in later views`, async () => {
      const s = await createSession({ channels: [channel] });
      const res = await client(s, '/attempts', { method: 'POST', body: JSON.stringify({ channel, flow: 'qr' }) });
      expect(res.status).toBe(201);
      const { next_action } = (await res.json()) as AttemptResponse;
      expect(next_action.type).toBe('display_qr');
      const na = next_action as Qr;
      expect(na.qr).toMatchObject({ size: expect.any(Number), bits: expect.stringMatching(/^[A-Za-z0-9+/]+={0,2}$/) });
      expect((na.qr!.size - 17) % 4).toBe(0);
      expect(decode(na.qr!)).toBe(na.data);
      // The widget reloading the page, and the status views, get the same matrix.
      const view = (await (await client(s, '')).json()) as { active_attempt: { next_action: Qr } };
      expect(view.active_attempt.next_action.qr).toEqual(na.qr);
      const status = (await (await client(s, '/status')).json()) as StatusView;
      expect((status.active_attempt!.next_action as Qr).qr).toEqual(na.qr);
    });
  }
});

describe('qrMatrix', () => {
  it('picks the smallest version at level M (a short wallet URL is version 1–4)', async () => {
    const { qrMatrix } = await import('../src/lib/qr');
    expect(qrMatrix('https://qr.alipay.com/bax01234').size).toBeLessThanOrEqual(33);
    expect(qrMatrix('x').size).toBe(21);
    expect(decode(qrMatrix('支付 UTF-8 ✓'))).toBe('支付 UTF-8 ✓');
  });
});
