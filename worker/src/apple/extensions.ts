// X.509 v3 extensions (RFC 5280 §4.1.2.9, §4.2) as the Apple chain check needs them: presence of
// Apple's marker OIDs, and whether the intermediate may issue certificates. crypto/x509.ts reads the
// fields every provider needs; extensions are read here from its tbsCertificate bytes.

import { Tag, children, decodeOid, expectTag, readTlv, value, type Tlv } from '../crypto/der';
import type { Certificate } from '../crypto/x509';

export interface Extension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content (the DER of the extension's own value). */
  value: Uint8Array;
}

export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_KEY_USAGE = '2.5.29.15';

/** Every extension of the certificate, in order; [] for a v1/v2 certificate. Throws TypeError on malformed DER. */
export function certificateExtensions(cert: Certificate): Extension[] {
  const der = cert.tbsCertificate;
  const fields = children(der, expectTag(readTlv(der, 0), Tag.SEQUENCE, 'tbsCertificate'));
  // extensions are [3] EXPLICIT, the last optional field of tbsCertificate.
  const wrapper = fields.find((t) => t.tag === 0xa3);
  if (!wrapper) return [];
  const [list] = children(der, wrapper);
  return children(der, expectTag(list, Tag.SEQUENCE, 'Extensions')).map((e) => {
    const parts = children(der, expectTag(e, Tag.SEQUENCE, 'Extension'));
    const oid = decodeOid(value(der, expectTag(parts[0], Tag.OID, 'extnID')));
    const critical = parts.length === 3 && parts[1]?.tag === 0x01 && value(der, parts[1])[0] !== 0;
    const octets = expectTag(parts[parts.length - 1], Tag.OCTET_STRING, 'extnValue');
    return { oid, critical, value: value(der, octets) };
  });
}

export function hasExtension(cert: Certificate, oid: string): boolean {
  return certificateExtensions(cert).some((e) => e.oid === oid);
}

/**
 * RFC 5280 §6.1.4 (k), (n): a certificate that issues others must say cA TRUE in basicConstraints,
 * and, when it has keyUsage, assert keyCertSign.
 */
export function mayIssueCertificates(cert: Certificate): boolean {
  const exts = certificateExtensions(cert);
  const bc = exts.find((e) => e.oid === OID_BASIC_CONSTRAINTS);
  if (!bc) return false;
  const seq = expectTag(readTlv(bc.value, 0), Tag.SEQUENCE, 'BasicConstraints');
  const first: Tlv | undefined = children(bc.value, seq)[0];
  const ca = first !== undefined && first.tag === 0x01 && value(bc.value, first)[0] !== 0;
  if (!ca) return false;
  const ku = exts.find((e) => e.oid === OID_KEY_USAGE);
  if (!ku) return true;
  const bits = value(ku.value, expectTag(readTlv(ku.value, 0), Tag.BIT_STRING, 'KeyUsage'));
  // bits[0] is the unused-bits count; keyCertSign is bit 5, i.e. 0x04 of the first content byte.
  return ((bits[1] ?? 0) & 0x04) !== 0;
}
