// The sign-in page a one-time link opens (docs/dashboard.md#sign-in). Opening the link signs nobody in:
// mail scanners and chat previews fetch links, and would use them up. The page shows whose dashboard it
// is and a button; the button's POST (same origin, checked) uses the link. No script runs on it.

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** No scripts at all; the page's own inline style; the form posts only to this origin; never framed. */
export const SIGN_IN_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
  body { margin: 0; background: #f4f5f7; color: #1d2330; }
  main { max-width: 28rem; margin: 12vh auto; background: #fff; border-radius: 12px; padding: 2rem; box-shadow: 0 1px 3px #0002; }
  h1 { font-size: 1.25rem; margin: 0 0 1rem; }
  p { line-height: 1.6; }
  .mode { display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-size: .85rem; background: #fff3cd; color: #5c4400; }
  .mode.live { background: #d9f2e3; color: #0b5130; }
  button { font: inherit; font-size: 1rem; padding: .7rem 1.2rem; border: 0; border-radius: 8px; background: #1f5fd6; color: #fff; cursor: pointer; width: 100%; }
  button:focus-visible { outline: 3px solid #0b3a91; outline-offset: 2px; }
  .muted { color: #4a5365; font-size: .9rem; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

export function signInPage(token: string, merchantName: string, livemode: boolean, email: string | null): string {
  const mode = livemode ? '<span class="mode live">正式 · Live</span>' : '<span class="mode">测试 · Test mode</span>';
  return page(
    '登录收银台 · Sign in to the Shouyin dashboard',
    `<h1>登录收银台 · Sign in</h1>
<p><strong>${esc(merchantName)}</strong> ${mode}</p>
${email ? `<p class="muted">${esc(email)}</p>` : ''}
<form method="post" action="/dashboard/signin">
<input type="hidden" name="token" value="${esc(token)}">
<button type="submit">登录 · Sign in</button>
</form>
<p class="muted">此链接只能使用一次。· This link works once.</p>`,
  );
}

export type LinkProblem = 'unknown' | 'used' | 'expired' | 'cross_site';

const PROBLEMS: Record<LinkProblem, string> = {
  unknown: '此登录链接无效。· This sign-in link is not valid.',
  used: '此登录链接已被使用。· This sign-in link has already been used.',
  expired: '此登录链接已过期。· This sign-in link has expired.',
  cross_site: '登录须在本站点上确认。· Sign-in must be confirmed on this site.',
};

export function linkProblemPage(problem: LinkProblem): string {
  return page(
    '无法登录 · Cannot sign in',
    `<h1>无法登录 · Cannot sign in</h1>
<p>${PROBLEMS[problem]}</p>
<p class="muted">请向运营方索取新的登录链接。· Ask your Shouyin operator for a new sign-in link.</p>`,
  );
}
