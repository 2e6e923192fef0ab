// The sandbox Worker's view of SHOUYIN_CONFIG: the document the Shouyin Worker reads (merchants, parsed
// by its own parser), plus the `sandbox` section, which only the sandbox reads — its signing keys,
// `time_scale` and `notify_delay_seconds` — and the checks that each test merchant on a built-in
// simulator can verify what that simulator signs. Errors name the field, never a secret.

import { parseConfig, type ShouyinConfig } from '../../worker/src/config';
import { ConfigError, obj, onlyKeys, str, PRIVATE_KEY_PEM } from '../../worker/src/lib/config-fields';
import { checkAlipaySandbox, parseAlipaySandbox, type AlipaySandboxConfig } from './alipay/config';
import { checkUnionpaySandbox, parseUnionpaySandbox, type UnionpaySandboxConfig } from './unionpay/config';

export interface SandboxConfig {
  /** Multiplies every simulated provider delay (notify retry schedule). 1 = real time. */
  time_scale: number;
  /** Seconds between the shopper paying in the sandbox wallet and the first notify. */
  notify_delay_seconds: number;
  wechat_pay?: {
    /** The serial the simulator signs with: `PUB_KEY_ID_…` (public-key mode) or a platform cert serial. */
    serial: string;
    private_key: string;
  };
  /** The key the Alipay simulator signs with; test merchants on it configure its public half. */
  alipay?: AlipaySandboxConfig;
  /** The UnionPay simulator's signing key and certificate chain; test merchants on it trust its root and middle. */
  unionpay?: UnionpaySandboxConfig;
}

/** SHOUYIN_CONFIG as the sandbox reads it. */
export interface SandboxedConfig extends ShouyinConfig {
  sandbox: SandboxConfig;
}

function parseSandbox(v: unknown): SandboxConfig {
  const o = obj(v ?? {}, 'sandbox');
  onlyKeys(o, 'sandbox', ['time_scale', 'notify_delay_seconds', 'wechat_pay', 'alipay', 'unionpay']);
  const scale = o.time_scale ?? 1;
  if (typeof scale !== 'number' || !(scale > 0) || scale > 1) throw new ConfigError('sandbox.time_scale', 'must be a number in (0, 1].');
  const delay = o.notify_delay_seconds ?? 1;
  if (typeof delay !== 'number' || delay < 0 || delay > 60)
    throw new ConfigError('sandbox.notify_delay_seconds', 'must be a number of seconds between 0 and 60.');
  const out: SandboxConfig = { time_scale: scale, notify_delay_seconds: delay };
  if (o.wechat_pay !== undefined) {
    const w = obj(o.wechat_pay, 'sandbox.wechat_pay');
    onlyKeys(w, 'sandbox.wechat_pay', ['serial', 'private_key']);
    out.wechat_pay = {
      serial: str(w, 'serial', 'sandbox.wechat_pay', {
        pattern: /^(PUB_KEY_ID_[0-9A-Za-z]+|[0-9A-Fa-f]{8,64})$/,
        hint: 'must be a PUB_KEY_ID_… or a hex certificate serial',
      }),
      private_key: str(w, 'private_key', 'sandbox.wechat_pay', { secret: true, pattern: PRIVATE_KEY_PEM, hint: 'must be a PEM private key' }),
    };
  }
  if (o.alipay !== undefined) out.alipay = parseAlipaySandbox(o.alipay);
  if (o.unionpay !== undefined) out.unionpay = parseUnionpaySandbox(o.unionpay);
  return out;
}

export function parseSandboxedConfig(raw: string | undefined): SandboxedConfig {
  const config = parseConfig(raw);
  // parseConfig has read `raw` as a JSON object.
  const sandbox = parseSandbox((JSON.parse(raw as string) as Record<string, unknown>).sandbox);
  config.merchants.forEach((m, i) => {
    if (m.livemode) return;
    // The APIv3 simulator signs with its own key; the APIv2 one signs with each merchant's APIv2 key.
    if (m.providers.wechat_pay?.api_version === 'v3' && m.providers.wechat_pay.api_base === undefined && sandbox.wechat_pay === undefined) {
      throw new ConfigError(
        'sandbox.wechat_pay',
        `is missing: merchants[${i}] is a test merchant using the built-in WeChat Pay sandbox, which needs its signing key.`,
      );
    }
    if (m.providers.alipay) checkAlipaySandbox(m.providers.alipay, sandbox.alipay, i);
    if (m.providers.unionpay) checkUnionpaySandbox(m.providers.unionpay, m.livemode, sandbox.unionpay, i);
  });
  return { ...config, sandbox };
}

const cache = new Map<string, SandboxedConfig>();

/** Parsed once per isolate per distinct document. */
export function loadConfig(env: { SHOUYIN_CONFIG?: string }): SandboxedConfig {
  const raw = env.SHOUYIN_CONFIG ?? '';
  let c = cache.get(raw);
  if (!c) {
    c = parseSandboxedConfig(raw);
    cache.clear();
    cache.set(raw, c);
  }
  return c;
}
