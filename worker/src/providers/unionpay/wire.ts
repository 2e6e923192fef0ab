// UnionPay ACP wire formats (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448,
// https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2):
// - requests and notifies are application/x-www-form-urlencoded (charset = the `encoding` field);
// - synchronous answers are raw `k=v&k=v` text, NOT URL-encoded, whose values may hold `{…}` / `[…]`
//   with `&` and `=` inside (respMsg=成功[0000000], reqReserved={a=1&b=2}). A naive split('&') breaks
//   them, so the parser tracks bracket nesting like the official SDKUtil.parseQString.

export type Fields = Record<string, string>;

export class WireError extends Error {
  override readonly name = 'WireError';
}

const OPENERS: Record<string, string> = { '{': '}', '[': ']' };

/**
 * A raw synchronous answer → fields. Values are kept byte for byte (no decoding, no trimming): the
 * signature is over exactly these characters, CRLFs inside signPubKeyCert included.
 *
 * Differences from the official parseQString, both stricter: nesting is counted (the SDK closes a
 * value at the first matching bracket even when another one opened inside it), and a repeated key
 * is refused instead of silently keeping the last one.
 */
export function parseRawResponse(text: string): Fields {
  // The official convertResultStringToMap strips one outer {…} wrapper.
  const body = text.length >= 2 && text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
  const out: Fields = {};
  let key: string | null = null;
  let buf = '';
  const stack: string[] = [];
  const put = (): void => {
    const k = key ?? buf;
    const v = key === null ? '' : buf;
    if (key === null && buf === '') return; // empty segment, e.g. a trailing '&'
    if (k === '') throw new WireError('A field without a name in the response.');
    if (Object.hasOwn(out, k)) throw new WireError(`The field ${JSON.stringify(k)} appears twice in the response.`);
    out[k] = v;
  };
  for (const ch of body) {
    if (key === null) {
      if (ch === '=') {
        key = buf;
        buf = '';
      } else if (ch === '&') {
        put();
        buf = '';
      } else {
        buf += ch;
      }
      continue;
    }
    const closer = OPENERS[ch];
    if (closer !== undefined) stack.push(closer);
    else if (stack.length > 0 && ch === stack[stack.length - 1]) stack.pop();
    if (ch === '&' && stack.length === 0) {
      put();
      key = null;
      buf = '';
    } else {
      buf += ch;
    }
  }
  put();
  return out;
}

/** The raw `k=v&…` text of fields, in the given order (the sandbox's answers; sorted by the caller). */
export function formatRawResponse(fields: Fields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new WireError('The form body has a malformed %-escape or is not UTF-8.');
  }
}

/**
 * An application/x-www-form-urlencoded body (a backUrl notify, a frontTransReq post) → fields,
 * decoded exactly once as UTF-8
 * (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2: double decoding turns `+`
 * and `%` in values into something else). Strict: malformed escapes and repeated names are refused rather than guessed
 * at.
 */
export function parseForm(body: string): Fields {
  const out: Fields = {};
  if (body === '') return out;
  for (const part of body.split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const k = decodeComponent(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : decodeComponent(part.slice(i + 1));
    if (k === '') throw new WireError('A form field without a name.');
    if (Object.hasOwn(out, k)) throw new WireError(`The form field ${JSON.stringify(k)} appears twice.`);
    out[k] = v;
  }
  return out;
}

/** Fields → application/x-www-form-urlencoded (UTF-8), as browsers and the official SDK send them. */
export function encodeForm(fields: Fields): string {
  return new URLSearchParams(Object.entries(fields)).toString();
}
