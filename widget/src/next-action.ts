/**
 * Navigation next actions. Both leave the page, so both target the top-level window: a provider's
 * cashier page refuses to run inside a merchant's iframe.
 */

/** Only http(s) URLs from the server are followed or linked; anything else is refused. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** `redirect`: send the top window to `url` (falls back to this window if the top is off limits). */
export function redirectTop(url: string): boolean {
  const href = safeUrl(url);
  if (!href) return false;
  try {
    (window.top ?? window).location.href = href;
  } catch {
    // Cross-origin iframe without allow-top-navigation: navigating ourselves beats doing nothing.
    window.location.href = href;
  }
  return true;
}

/** `form_post`: build a hidden form in the page (not in our shadow root) and submit it to `_top`. */
export function formPostTop(url: string, fields: Record<string, string>): boolean {
  const action = safeUrl(url);
  if (!action) return false;
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = action;
  form.target = '_top';
  form.acceptCharset = 'UTF-8';
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
  return true;
}
