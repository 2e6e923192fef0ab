// The sandbox WeChat wallet's page frame: what every simulated WeChat screen shares (the wallet, the
// Native mode-1 scan, the H5 cashier).

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

const CSS = `
*{box-sizing:border-box}body{margin:0;min-height:100vh;background:#ededed;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#191919;display:flex;justify-content:center;align-items:flex-start}
main{width:100%;max-width:420px;margin:0 auto;padding:24px 16px 32px}
.card{background:#fff;border-radius:12px;padding:28px 20px 24px;box-shadow:0 1px 3px rgba(0,0,0,.06);text-align:center}
.brand{display:flex;align-items:center;justify-content:center;gap:8px;font-weight:600;color:#07c160;margin:0 0 4px}
.logo{width:28px;height:28px;border-radius:50%;background:#07c160;color:#fff;display:inline-flex;align-items:center;justify-content:center;font-size:16px}
.badge{display:inline-block;font-size:12px;color:#b26a00;background:#fff4e0;border-radius:4px;padding:1px 6px;margin-bottom:16px}
.merchant{margin:8px 0 0;color:#555}
.amount{margin:4px 0 20px;font-size:40px;font-weight:600;letter-spacing:.5px}.amount small{font-size:24px;margin-right:2px}
dl{margin:0 0 20px;text-align:left;border-top:1px solid #f0f0f0}
dl div{display:flex;justify-content:space-between;gap:16px;padding:10px 0;border-bottom:1px solid #f0f0f0;font-size:14px}
dt{color:#888;flex:none}dd{margin:0;text-align:right;word-break:break-all}
form{margin:0}button,.link{display:block;width:100%;border:0;border-radius:8px;padding:13px 16px;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
.pay{background:#07c160;color:#fff;margin-bottom:12px}.pay:hover{background:#06ad56}
.cancel{background:#f2f2f2;color:#191919}.cancel:hover{background:#e6e6e6}
button:focus-visible,.link:focus-visible{outline:3px solid #1485ee;outline-offset:2px}
.icon{width:64px;height:64px;border-radius:50%;margin:8px auto 12px;display:flex;align-items:center;justify-content:center;font-size:34px;color:#fff}
.ok{background:#07c160}.warn{background:#fa9d3b}.bad{background:#b2b2b2}
h1{font-size:22px;margin:0 0 4px}.sub{color:#888;margin:0 0 20px;font-size:14px}
.link{background:#f2f2f2;color:#191919}
.note{margin:16px 0 0;font-size:12px;color:#999;text-align:center}
`;

/** `formAction`: where the page's forms (and the redirects after them) may go; the H5 cashier's end at the merchant. */
export function page(title: string, inner: string, status: number, attrs = '', formAction = "'self'"): Response {
  const html =
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body><main${attrs}><div class="card">` +
    `<p class="brand"><span class="logo" aria-hidden="true">✓</span>微信支付 WeChat Pay</p><span class="badge">沙箱 · Sandbox</span>${inner}</div>` +
    `<p class="note">Shouyin 沙箱钱包，不会产生真实扣款。<br>Shouyin sandbox wallet — no real money moves.</p></main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; base-uri 'none'`,
    },
  });
}
