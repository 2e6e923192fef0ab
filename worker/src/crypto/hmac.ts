// HMAC-SHA256 (WeChat Pay v2 `sign_type=HMAC-SHA256`, webhook signing).

import { buf, utf8 } from './encoding';

export async function hmacSha256(key: Uint8Array | string, data: string | Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey('raw', buf(typeof key === 'string' ? utf8(key) : key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buf(typeof data === 'string' ? utf8(data) : data)));
}
