// Credential health: every certificate a merchant's configuration holds, with the date it stops being
// valid. Certificate expiry is a common cause of sudden payment outages — a platform certificate that
// lapses makes every notify unverifiable — so the operator sees them in one list (GET
// /v1/admin/credentials, `shouyin credentials expiring`) and the merchant gets a
// `merchant.credentials_expiring` event 30, 7 and 1 days before (health-alerts.ts, docs/webhooks.md).
//
// What is listed, per channel:
//   wechat_pay (APIv3)  platform_certificates[i] — WeChat Pay platform certificates (平台证书), which
//                       each answer and notify is verified with the one its Wechatpay-Serial names
//                       (https://pay.weixin.qq.com/doc/v3/merchant/4013053249);
//   wechat_pay (APIv2)  the mTLS client certificate (apiclient_cert.pem) — held in a Workers mTLS
//                       binding the Worker cannot read, so listed with an unknown date
//                       (docs/wechat.md, the client certificate for APIv2 refunds);
//   alipay              app_cert, alipay_cert (each certificate in it) and alipay_root_cert (each
//                       certificate in the bundle) in certificate mode
//                       (https://opendocs.alipay.com/common/02kipl);
//   unionpay            root_cert and middle_cert, and the signing certificate of the .pfx, of which
//                       the configuration holds only the serial (sign_cert_id), so listed with an
//                       unknown date (https://open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=754&apiservId=448&version=V2.2);
//   apple               root_certificates[i] (Apple Root CA - G3, https://www.apple.com/certificateauthority/).
// Public keys (WeChat Pay public-key mode, Alipay public-key mode) carry no date and are not listed.
// Pure: no I/O; the caller gives the time.

import type { MerchantConfig } from '../config';
import { formatName, parseCertificate } from '../crypto/x509';
import { splitPemCertificates } from '../providers/alipay/certs';
import type { AlipayConfig } from '../providers/alipay/config';
import type { UnionpayConfig } from '../providers/unionpay/config';
import type { WechatPayV2Config } from '../providers/wechat-v2/config';
import type { WechatPayV3Config } from '../providers/wechat-v3/config';
import type { AppleConfig } from '../apple/config';

export const DAY_MS = 86_400_000;

export type CredentialChannel = 'wechat_pay' | 'alipay' | 'unionpay' | 'apple';

export interface CredentialInfo {
  channel: CredentialChannel;
  /** The configuration field that holds it, relative to the merchant: `providers.alipay.alipay_root_cert[1]`. */
  credential: string;
  /** The certificate's subject DN (`CN=…, O=…`), or null when the certificate itself is not in the configuration. */
  subject: string | null;
  /** Uppercase hex serial (UnionPay's signing certificate: its decimal certId, as configured). */
  serial: string;
  /** ISO 8601 time of notAfter, or null when the Worker cannot read the certificate (see `note`). */
  not_after: string | null;
  /** Why the date is unknown and where to look it up instead. */
  note?: string;
}

export interface CredentialStatus extends CredentialInfo {
  /** Whole days from `now` to not_after, rounded down (negative once expired); null when unknown. */
  days_left: number | null;
}

function certificateInfo(channel: CredentialChannel, credential: string, pem: string): CredentialInfo {
  const cert = parseCertificate(pem);
  return {
    channel,
    credential,
    subject: formatName(cert.subject),
    serial: cert.serialNumberHex,
    not_after: cert.notAfter.toISOString(),
  };
}

/** Each certificate of a PEM field; a bundle (several blocks) is numbered `field[i]`. */
function certificatesOf(channel: CredentialChannel, field: string, text: string): CredentialInfo[] {
  const blocks = splitPemCertificates(text);
  if (blocks.length === 1) return [certificateInfo(channel, field, blocks[0]!)];
  return blocks.map((pem, i) => certificateInfo(channel, `${field}[${i}]`, pem));
}

function wechat(cfg: WechatPayV3Config | WechatPayV2Config): CredentialInfo[] {
  if (cfg.api_version === 'v2') {
    if (cfg.mtls_certificate === undefined) return [];
    return [
      {
        channel: 'wechat_pay',
        credential: 'providers.wechat_pay.mtls_certificate',
        subject: null,
        serial: cfg.mtls_certificate,
        not_after: null,
        note: `The client certificate is in the Workers mTLS binding ${cfg.mtls_certificate}, which the Worker cannot read: \`npx wrangler mtls-certificate list\` shows its expiry.`,
      },
    ];
  }
  return (cfg.platform_certificates ?? []).map((c, i) => certificateInfo('wechat_pay', `providers.wechat_pay.platform_certificates[${i}]`, c.certificate));
}

function alipay(cfg: AlipayConfig): CredentialInfo[] {
  const out: CredentialInfo[] = [];
  if (cfg.app_cert !== undefined) out.push(...certificatesOf('alipay', 'providers.alipay.app_cert', cfg.app_cert));
  if (cfg.alipay_cert !== undefined) out.push(...certificatesOf('alipay', 'providers.alipay.alipay_cert', cfg.alipay_cert));
  if (cfg.alipay_root_cert !== undefined) out.push(...certificatesOf('alipay', 'providers.alipay.alipay_root_cert', cfg.alipay_root_cert));
  return out;
}

function unionpay(cfg: UnionpayConfig): CredentialInfo[] {
  return [
    {
      channel: 'unionpay',
      credential: 'providers.unionpay.sign_cert_id',
      subject: null,
      serial: cfg.sign_cert_id,
      not_after: null,
      note: 'Only the serial of the .pfx signing certificate is configured: `openssl pkcs12 -in <file>.pfx -nokeys | openssl x509 -noout -enddate` shows its expiry.',
    },
    certificateInfo('unionpay', 'providers.unionpay.middle_cert', cfg.middle_cert),
    certificateInfo('unionpay', 'providers.unionpay.root_cert', cfg.root_cert),
  ];
}

function apple(cfg: AppleConfig): CredentialInfo[] {
  return (cfg.root_certificates ?? []).map((pem, i) => certificateInfo('apple', `apple.root_certificates[${i}]`, pem));
}

/** Every certificate of one merchant, in configuration order. The configuration was validated, so every PEM parses. */
export function merchantCredentials(merchant: MerchantConfig): CredentialInfo[] {
  const p = merchant.providers;
  return [
    ...(p.wechat_pay ? wechat(p.wechat_pay) : []),
    ...(p.alipay ? alipay(p.alipay) : []),
    ...(p.unionpay ? unionpay(p.unionpay) : []),
    ...(merchant.apple ? apple(merchant.apple) : []),
  ];
}

/** Whole days left at `now` (floor: 23 hours left is 0 days). */
export function daysLeft(notAfter: string, now: number): number {
  return Math.floor((Date.parse(notAfter) - now) / DAY_MS);
}

export function withDaysLeft(c: CredentialInfo, now: number): CredentialStatus {
  return { ...c, days_left: c.not_after === null ? null : daysLeft(c.not_after, now) };
}

/** Known dates that fall within `days` of `now`, already-expired ones included; soonest first. */
export function expiringWithin(credentials: CredentialInfo[], now: number, days: number): CredentialStatus[] {
  return credentials
    .filter((c) => c.not_after !== null && Date.parse(c.not_after) <= now + days * DAY_MS)
    .map((c) => withDaysLeft(c, now))
    .sort((a, b) => Date.parse(a.not_after!) - Date.parse(b.not_after!));
}

/** The warning thresholds, in days before notAfter: an event is sent once for each one crossed. */
export const EXPIRY_THRESHOLDS = [30, 7, 1] as const;
export type ExpiryThreshold = (typeof EXPIRY_THRESHOLDS)[number];

/**
 * The tightest threshold a certificate has crossed at `now` (1 when it has a day or less left, or has
 * expired), or null when it is more than 30 days away or its date is unknown. A check that missed a
 * day still warns at the tightest crossed threshold rather than sending every one it skipped.
 */
export function crossedThreshold(c: CredentialInfo, now: number): ExpiryThreshold | null {
  if (c.not_after === null) return null;
  const left = Date.parse(c.not_after) - now;
  let hit: ExpiryThreshold | null = null;
  for (const t of EXPIRY_THRESHOLDS) if (left <= t * DAY_MS) hit = t;
  return hit;
}
