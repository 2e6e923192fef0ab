// Key selection for Wechatpay-Serial (https://pay.weixin.qq.com/doc/v3/merchant/4013053249,
// https://pay.weixin.qq.com/doc/v3/merchant/4013053420): the serial equal to wechatpay_public_key_id selects the WeChat
// Pay public key; any other serial must match a configured platform certificate (hex, case-insensitive). Both modes may
// be configured at once during a migration.

import type { WechatPayV3Config } from './config';
import { importRsaPublicKey, publicKeyFromCertificate } from '../../crypto/rsa';
import type { KeyResolver } from './sign';

export function keyResolverFromConfig(cfg: Pick<WechatPayV3Config, 'wechatpay_public_key_id' | 'wechatpay_public_key' | 'platform_certificates'>): KeyResolver {
  return async (serial) => {
    if (cfg.wechatpay_public_key_id !== undefined && cfg.wechatpay_public_key !== undefined && serial === cfg.wechatpay_public_key_id) {
      return importRsaPublicKey(cfg.wechatpay_public_key);
    }
    const wanted = serial.toUpperCase();
    const cert = cfg.platform_certificates?.find((c) => c.serial.toUpperCase() === wanted);
    return cert ? publicKeyFromCertificate(cert.certificate) : undefined;
  };
}

/** What we send as `Wechatpay-Serial`: the key we can verify with (public key mode preferred). */
export function preferredSerial(cfg: Pick<WechatPayV3Config, 'wechatpay_public_key_id' | 'platform_certificates'>): string | undefined {
  return cfg.wechatpay_public_key_id ?? cfg.platform_certificates?.[0]?.serial;
}
