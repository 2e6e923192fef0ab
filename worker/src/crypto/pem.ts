// PEM ↔ DER. Keys and certificates arrive as PEM text in SHOUYIN_CONFIG; WebCrypto wants DER bytes.

import { fromBase64, toBase64 } from './encoding';

export interface PemBlock {
  /** e.g. `PRIVATE KEY`, `RSA PRIVATE KEY`, `PUBLIC KEY`, `CERTIFICATE`. */
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** The first PEM block in `text`. Throws when there is none or its base64 is invalid. */
export function pemDecode(text: string): PemBlock {
  // Config values are often pasted with literal `\n` escapes instead of newlines; accept both.
  const m = BLOCK.exec(text.replace(/\\n/g, '\n'));
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new TypeError('No PEM block found: expected -----BEGIN …----- / -----END …----- lines.');
  }
  return { label: m[1], der: fromBase64(m[2]) };
}

/** DER bytes of the first PEM block; when `label` is given, it must match. */
export function pemToDer(text: string, label?: string): Uint8Array<ArrayBuffer> {
  const block = pemDecode(text);
  if (label !== undefined && block.label !== label) {
    throw new TypeError(`Expected a PEM "${label}" block, got "${block.label}".`);
  }
  return block.der;
}

export function derToPem(der: Uint8Array, label: string): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
