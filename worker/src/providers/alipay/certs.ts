// Certificate mode (公钥证书, https://opendocs.alipay.com/common/02kipl). Requests carry `app_cert_sn` and
// `alipay_root_cert_sn`; answers carry `alipay_cert_sn`, naming the Alipay public-key certificate
// whose key signed them.
//   certSN = md5_hex(issuer DN + decimal serial), the DN's RDNs in reverse certificate order joined
//            as `CN=…,OU=…,O=…,C=…` (alipay-sdk antcertutil.getCertSN, gopay GetCertSN)
//   alipay_root_cert_sn = `_`-joined certSNs of the RSA-signed certificates of alipayRootCert.crt, in
//            file order; the SM2 and ECDSA roots in the bundle are skipped (antcertutil.getRootCertSN)

import { md5Hex } from '../../crypto/digest';
import { parseCertificate, type Certificate } from '../../crypto/x509';

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every `CERTIFICATE` PEM block in `text`, in order (a bundle such as alipayRootCert.crt holds several). */
export function splitPemCertificates(text: string): string[] {
  // Config values are often pasted with literal `\n` escapes instead of newlines; accept both.
  return text.replace(/\\n/g, '\n').match(CERT_BLOCK) ?? [];
}

/** The issuer DN as the SN rule writes it: `CN=…,OU=…,O=…,C=…` (RDNs reversed, no spaces). */
export function issuerDn(cert: Certificate): string {
  return [...cert.issuer]
    .reverse()
    .map((a) => `${a.name}=${a.value}`)
    .join(',');
}

export function certSnOf(cert: Certificate): Promise<string> {
  return md5Hex(issuerDn(cert) + cert.serialNumberDecimal);
}

/** The SN of a single certificate (app_cert_sn, alipay_cert_sn): the first PEM block of `pem`. */
export function certSn(pem: string): Promise<string> {
  return certSnOf(parseCertificate(pem));
}

/** RSA signature algorithm OIDs all start with 1.2.840.113549.1.1 (sha256WithRSA, sha1WithRSA, …). */
const RSA_SIGNED = '1.2.840.113549.1.1.';

/** alipay_root_cert_sn of a root bundle. Throws when the bundle holds no RSA-signed certificate. */
export async function rootCertSn(bundle: string): Promise<string> {
  const sns: string[] = [];
  for (const pem of splitPemCertificates(bundle)) {
    const cert = parseCertificate(pem);
    if (cert.signatureAlgorithm.startsWith(RSA_SIGNED)) sns.push(await certSnOf(cert));
  }
  if (sns.length === 0) throw new TypeError('The Alipay root certificate bundle holds no RSA-signed certificate (is it alipayRootCert.crt?).');
  return sns.join('_');
}
