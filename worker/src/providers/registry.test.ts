// The registry is data: these check that the entries agree with their providers and with each other,
// and that the generic lookups find what the old per-channel code found.

import { describe, expect, it } from 'vitest';
import { TEST, WECHAT_TEST, testConfig } from '../../test/fixtures/config';
import { parseConfig } from '../config';
import { CHANNELS, FLOWS } from '../contract';
import type { ConfigError } from '../lib/config-fields';
import {
  PROVIDERS,
  channelInfo,
  configuredChannels,
  configuredProviders,
  parseChannelConfig,
  registeredChannels,
  resolveProvider,
  resolveProviderById,
} from './registry';

const config = parseConfig(testConfig());
const merchant = (id: string) => config.merchants.find((m) => m.id === id)!;

describe('the provider registry', () => {
  it('serves every channel of the wire contract, each entry naming its own provider', () => {
    expect(registeredChannels()).toEqual([...CHANNELS]);
    for (const e of PROVIDERS) {
      expect(e.id).toBe(e.provider.id);
      expect(e.channel.id).toBe(e.provider.channel);
    }
    expect(new Set(PROVIDERS.map((e) => e.id)).size).toBe(PROVIDERS.length);
  });

  it('lets providers share a channel only through one ChannelInfo and a variant field with one default', () => {
    for (const channel of registeredChannels()) {
      const entries = PROVIDERS.filter((e) => e.channel.id === channel);
      for (const e of entries) expect(e.channel).toBe(channelInfo(channel));
      if (entries.length < 2) continue;
      const variants = entries.map((e) => ('variant' in e ? e.variant : undefined));
      expect(new Set(variants.map((v) => v?.field)).size).toBe(1);
      expect(new Set(variants.map((v) => v?.value)).size).toBe(entries.length);
      expect(variants.filter((v) => v?.default)).toHaveLength(1);
    }
  });

  it('gives every provider that downloads statements the format it reads, and no other', () => {
    for (const e of PROVIDERS) expect('bill' in e && e.bill !== undefined, e.id).toBe(e.provider.downloadStatement !== undefined);
  });

  it('orders, per environment, only flows a provider of the channel implements, and never app or barcode', () => {
    for (const channel of registeredChannels()) {
      const implemented = new Set(PROVIDERS.filter((e) => e.channel.id === channel).flatMap((e) => [...e.provider.flows]));
      for (const flows of Object.values(channelInfo(channel).flowOrder)) {
        for (const f of flows) {
          expect(FLOWS).toContain(f);
          expect(implemented.has(f), `${channel} ${f}`).toBe(true);
          expect(['app', 'barcode']).not.toContain(f);
        }
      }
    }
  });

  it('picks the WeChat Pay provider by api_version, APIv3 when it is absent, and names the choices otherwise', () => {
    const doc = JSON.parse(testConfig()) as { merchants: { id: string; providers: Record<string, Record<string, unknown>> }[] };
    const v3 = doc.merchants.find((m) => m.id === TEST.merchant_id)!.providers.wechat_pay!;
    const { api_version: _, ...bare } = v3;
    expect(parseChannelConfig('wechat_pay', bare, 'p', false)).toMatchObject({ api_version: 'v3' });
    const v2 = doc.merchants.find((m) => m.id === WECHAT_TEST.v2_merchant_id)!.providers.wechat_pay!;
    expect(parseChannelConfig('wechat_pay', v2, 'p', false)).toMatchObject({ api_version: 'v2', mch_id: v2.mch_id });
    let e: ConfigError | undefined;
    try {
      parseChannelConfig('wechat_pay', { ...v3, api_version: 'v1' }, 'p', false);
    } catch (err) {
      e = err as ConfigError;
    }
    expect(e?.param).toBe('p.api_version');
    expect(e?.message).toBe('SHOUYIN_CONFIG p.api_version must be "v3" (JSON, RSA) or "v2" (XML, MD5 / HMAC-SHA256) (got "v1").');
  });

  it("resolves a merchant's providers by channel and by the id stored with an attempt", () => {
    const v2 = merchant(WECHAT_TEST.v2_merchant_id);
    expect(resolveProvider(v2, 'wechat_pay')?.provider.id).toBe('wechat-v2');
    expect(resolveProviderById(v2, 'wechat-v2')?.identity).toEqual({
      appId: WECHAT_TEST.v2_appid,
      providerMerchantId: WECHAT_TEST.v2_mch_id,
      channel: 'wechat_pay',
      provider: 'wechat-v2',
    });
    // An attempt made with APIv3 before the merchant moved to APIv2 finds no provider, rather than the wrong one.
    expect(resolveProviderById(v2, 'wechat-v3')).toBeNull();
    expect(resolveProviderById(v2, 'no-such-provider')).toBeNull();
    const demo = merchant(TEST.merchant_id);
    expect(configuredChannels(demo)).toEqual(configuredProviders(demo).map((r) => r.provider.channel));
    expect(configuredProviders(demo).map((r) => r.provider.id)).toContain('wechat-v3');
  });

  it('offers JSAPI only to a WeChat Pay merchant with an official account', () => {
    expect(resolveProvider(merchant(TEST.merchant_id), 'wechat_pay')?.provider.flows).not.toContain('jsapi');
    expect(resolveProvider(merchant(WECHAT_TEST.v3oauth_merchant_id), 'wechat_pay')?.provider.flows).toContain('jsapi');
  });
});
