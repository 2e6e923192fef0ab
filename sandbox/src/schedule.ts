// Notify retry schedules of the simulated providers, before `sandbox.time_scale` is applied.

/**
 * WeChat Pay (v2 and v3) re-sends a notify that got no success answer after
 * 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h — 16 sends, 24h4m in all
 * (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_7, https://pay.weixin.qq.com/doc/v3/merchant/4012791861).
 */
export const WECHAT_RETRY_SECONDS: readonly number[] = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600];

/**
 * Delay (ms) before the next send after `sendsSoFar` failed sends, scaled; `null` once the
 * schedule is exhausted and the notify is given up.
 */
export function nextRetryDelayMs(sendsSoFar: number, timeScale: number, schedule: readonly number[] = WECHAT_RETRY_SECONDS): number | null {
  if (sendsSoFar < 1) return 0;
  const s = schedule[sendsSoFar - 1];
  return s === undefined ? null : Math.round(s * 1000 * timeScale);
}
