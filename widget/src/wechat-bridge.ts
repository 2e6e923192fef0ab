/**
 * WeChat Pay JSAPI inside WeChat's browser: `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` with
 * the parameters the server signed. The bridge appears a moment after the page loads, announced by
 * the `WeixinJSBridgeReady` event. Its answer is only a reason to ask the server: "ok" is not proof
 * of payment (WeChat's own docs say to wait for the notify or query the order).
 */

export type BridgeResult = 'ok' | 'cancel' | 'fail';

interface Bridge {
  invoke(api: string, params: Record<string, string>, cb: (r: { err_msg?: string }) => void): void;
}

/** How long to wait for the bridge before deciding this is not WeChat's browser after all. */
export const BRIDGE_WAIT_MS = 5000;

export function payWithBridge(params: Record<string, string>, win: Window = window): Promise<BridgeResult> {
  return new Promise((resolve) => {
    const go = () => {
      const bridge = (win as unknown as { WeixinJSBridge?: Bridge }).WeixinJSBridge;
      if (!bridge) return resolve('fail');
      // err_msg is "get_brand_wcpay_request:ok", ":cancel" or ":fail" (":fail…" with details on some versions).
      bridge.invoke('getBrandWCPayRequest', params, (r) => {
        const m = /:(ok|cancel)$/.exec(r?.err_msg ?? '');
        resolve(m ? (m[1] as BridgeResult) : 'fail');
      });
    };
    if ((win as unknown as { WeixinJSBridge?: Bridge }).WeixinJSBridge) return go();
    win.document.addEventListener('WeixinJSBridgeReady', go, { once: true });
    setTimeout(() => {
      win.document.removeEventListener('WeixinJSBridgeReady', go);
      resolve('fail');
    }, BRIDGE_WAIT_MS);
  });
}
