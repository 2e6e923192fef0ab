// Hashes over UTF-8 text or raw bytes.

import { buf, toHex, utf8 } from './encoding';

export type Data = string | Uint8Array;

function bytes(data: Data): Uint8Array<ArrayBuffer> {
  return buf(typeof data === 'string' ? utf8(data) : data);
}

async function digest(alg: string, data: Data): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest(alg, bytes(data)));
}

export function sha256(data: Data): Promise<Uint8Array<ArrayBuffer>> {
  return digest('SHA-256', data);
}

export async function sha256Hex(data: Data): Promise<string> {
  return toHex(await sha256(data));
}

export function sha1(data: Data): Promise<Uint8Array<ArrayBuffer>> {
  return digest('SHA-1', data);
}

/**
 * Lowercase hex MD5. WeChat Pay v2 signs with MD5; standard WebCrypto has none, but workerd's
 * crypto.subtle.digest accepts 'MD5' as a documented extension
 * (https://developers.cloudflare.com/workers/runtime-apis/web-crypto/), so this only runs in workerd.
 */
export async function md5Hex(data: Data): Promise<string> {
  return toHex(await digest('MD5', data));
}
