// The simulators sign every test merchant's notifies with the same key (sandbox.wechat_pay,
// sandbox.alipay, sandbox.unionpay), as a real provider signs all its merchants' with one. So one
// test merchant, placing an order with another merchant's attempt id as its order number and that
// merchant's Shouyin notify endpoint as its notify URL, could make the sandbox sign a payment for the
// other merchant's attempt (which that merchant would record as an anomaly). A notify URL on the
// Shouyin Worker's own origin must therefore be the ordering merchant's own `/notify/…/{its id}`.

import type { SandboxedConfig } from '../config';

/** Why `url` is not a notify URL merchant `merchantId` may give the sandbox, or null when it may. */
export function foreignNotifyUrl(config: SandboxedConfig, merchantId: string, url: string | null | undefined): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.origin !== new URL(config.public_base_url).origin || !u.pathname.startsWith('/notify/')) return null;
  const m = /^\/notify\/[^/]+\/([^/]+)$/.exec(u.pathname);
  if (m && decodeURIComponent(m[1] as string) === merchantId) return null;
  return `notify_url ${u.pathname} is not this merchant's own notify endpoint (/notify/<channel>/${merchantId})`;
}
