// The session's addresses in a browser: the hosted checkout page (docs/hosted-checkout.md) and where a
// provider sends the shopper back after its cashier or wallet page (`/return/:id`).

import type { Locale } from '../contract';

/** The hosted checkout page's path; the page itself is worker/src/routes/hosted.ts. */
export const HOSTED_PATH = '/pay/';

/**
 * Set on client API requests that came through `/pay/v1/client/…`, the hosted page's API base
 * (worker/src/index.ts). It only decides where /return sends the shopper; anyone may set it.
 */
export const HOSTED_HEADER = 'x-shouyin-hosted';

/**
 * The hosted page for a session. The client secret rides in the fragment: browsers never send a
 * fragment to a server, neither in the request nor in a Referer.
 */
export function hostedPageUrl(publicBase: string, sessionId: string, clientSecret: string): string {
  return `${publicBase}${HOSTED_PATH}${sessionId}#${clientSecret}`;
}

/** A supported locale for a language tag or an Accept-Language list (the first supported entry), else undefined. */
export function localeOf(tags: string | null | undefined): Locale | undefined {
  for (const tag of (tags ?? '').split(',')) {
    const l = tag.split(';')[0]!.trim().toLowerCase();
    if (/^zh-(tw|hk|mo|hant)/.test(l)) return 'zh-TW';
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return undefined;
}

/**
 * `/return/:id` as given to a provider: it carries the shopper's language (the widget's, sent as
 * Accept-Language) and, for the hosted page, that the shopper comes back there.
 */
export function providerReturnUrl(publicBase: string, sessionId: string, client: { locale?: string; hosted?: boolean }): string {
  const q = new URLSearchParams();
  const locale = localeOf(client.locale);
  if (locale) q.set('locale', locale);
  if (client.hosted) q.set('via', 'hosted');
  const query = q.toString();
  return `${publicBase}/return/${sessionId}${query ? `?${query}` : ''}`;
}
