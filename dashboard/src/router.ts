// The dashboard's state lives in its URL (docs/dashboard.md#pages): the page in the path, filters and
// the page cursor in the query, so a filtered list can be bookmarked and shared. Links are ordinary
// <a href> (keyboard, middle-click, copy link all work); the app intercepts plain clicks on them.

export type PageName = 'home' | 'payments' | 'payment' | 'anomalies' | 'reconciliation' | 'webhooks' | 'settings' | 'notfound';

export interface Route {
  page: PageName;
  /** The session id of a payment's page. */
  id?: string;
  query: URLSearchParams;
}

export const ROOT = '/dashboard/';

const PAGES: Record<string, PageName> = {
  '': 'home',
  payments: 'payments',
  anomalies: 'anomalies',
  reconciliation: 'reconciliation',
  webhooks: 'webhooks',
  settings: 'settings',
};

export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  if (!pathname.startsWith(ROOT)) return { page: 'notfound', query };
  const parts = pathname.slice(ROOT.length).split('/').filter(Boolean);
  if (parts.length === 2 && parts[0] === 'payments' && /^cs_[0-9A-Za-z]{1,64}$/.test(parts[1]!)) return { page: 'payment', id: parts[1]!, query };
  if (parts.length > 1) return { page: 'notfound', query };
  return { page: PAGES[parts[0] ?? ''] ?? 'notfound', query };
}

/** The URL of a page, with its query (empty values left out). */
export function href(page: Exclude<PageName, 'notfound'>, q: Record<string, string | undefined> = {}, id?: string): string {
  const path = page === 'home' ? ROOT : page === 'payment' ? `${ROOT}payments/${id ?? ''}` : `${ROOT}${page}`;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export const NAVIGATE = 'sy-navigate';

/** Goes to `url` inside the app: a new history entry, or replacing the current one (a filter typed). */
export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** For the app's click handler: the in-app URL a plain left click on a link goes to, or null. */
export function inAppTarget(e: MouseEvent): string | null {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return null;
  const a = (e.composedPath() as Element[]).find((n) => n instanceof HTMLAnchorElement) as HTMLAnchorElement | undefined;
  if (!a || a.target || a.hasAttribute('download')) return null;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(ROOT)) return null;
  return url.pathname + url.search;
}
