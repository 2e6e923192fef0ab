import { afterEach, describe, expect, it, vi } from 'vitest';
import { BRIDGE_WAIT_MS, payWithBridge } from './wechat-bridge';

/** A window with just what the bridge code touches. */
function fakeWindow(answer?: string) {
  const target = new EventTarget();
  const calls: [string, Record<string, string>][] = [];
  const win = { document: target } as unknown as Window & { WeixinJSBridge?: unknown };
  const install = () => {
    win.WeixinJSBridge = {
      invoke: (api: string, params: Record<string, string>, cb: (r: { err_msg?: string }) => void) => {
        calls.push([api, params]);
        if (answer !== undefined) setTimeout(() => cb({ err_msg: answer }), 10);
      },
    };
  };
  return { win, calls, install, ready: () => (install(), target.dispatchEvent(new Event('WeixinJSBridgeReady'))) };
}

const params = { appId: 'wx1', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx2', signType: 'RSA', paySign: 's' };

afterEach(() => vi.useRealTimers());

describe('payWithBridge', () => {
  it('invokes getBrandWCPayRequest with the server’s parameters and reports ok', async () => {
    const w = fakeWindow('get_brand_wcpay_request:ok');
    w.install();
    await expect(payWithBridge(params, w.win)).resolves.toBe('ok');
    expect(w.calls).toEqual([['getBrandWCPayRequest', params]]);
  });

  it('waits for WeixinJSBridgeReady when the bridge is not there yet', async () => {
    vi.useFakeTimers();
    const w = fakeWindow('get_brand_wcpay_request:cancel');
    const p = payWithBridge(params, w.win);
    await vi.advanceTimersByTimeAsync(300);
    expect(w.calls).toHaveLength(0);
    w.ready();
    await vi.advanceTimersByTimeAsync(10);
    await expect(p).resolves.toBe('cancel');
    expect(w.calls).toHaveLength(1);
  });

  it('reports fail for a failure, an unknown answer, or no bridge at all', async () => {
    vi.useFakeTimers();
    for (const answer of ['get_brand_wcpay_request:fail', 'get_brand_wcpay_request:fail_invalid appid', 'weird']) {
      const w = fakeWindow(answer);
      w.install();
      const p = payWithBridge(params, w.win);
      await vi.advanceTimersByTimeAsync(10);
      await expect(p).resolves.toBe('fail');
    }
    const none = fakeWindow();
    const p = payWithBridge(params, none.win);
    await vi.advanceTimersByTimeAsync(BRIDGE_WAIT_MS);
    await expect(p).resolves.toBe('fail');
  });
});
