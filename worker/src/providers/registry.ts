// The providers Shouyin knows, as data. Each folder exports one entry (./types.ts ProviderEntry):
// its channel, config parser, identity, flows, provider, statement format and optional capabilities.
// Everything below is generic over PROVIDERS: adding a provider is its folder and one line here.

import type { Channel, Flow } from '../contract';
import type { MerchantConfig } from '../config';
import { ConfigError, obj } from '../lib/config-fields';
import type { ChannelInfo, PaymentIdentity, PaymentProvider, ProviderEntry } from './types';
import { alipayEntry } from './alipay/entry';
import { unionpayEntry } from './unionpay/entry';
import { wechatV2Entry } from './wechat-v2/entry';
import { wechatV3Entry } from './wechat-v3/entry';

/** In the order merchant configs are parsed, channels are listed and statements downloaded. */
export const PROVIDERS = [wechatV3Entry, wechatV2Entry, alipayEntry, unionpayEntry] as const;

type AnyEntry = (typeof PROVIDERS)[number];
type ConfigOfEntry<E> = E extends ProviderEntry<infer Config, Channel> ? Config : never;
/** The parsed config of a channel: any of its providers' (WeChat Pay: APIv3 or APIv2). */
export type ChannelConfig<C extends Channel> = ConfigOfEntry<Extract<AnyEntry, { readonly channel: ChannelInfo<C> }>>;
/** `merchants[i].providers`: one config per configured channel. */
export type ProvidersConfig = { [C in Channel]?: ChannelConfig<C> };

const ENTRIES: readonly ProviderEntry[] = PROVIDERS;

/** Every channel some provider serves, in registry order. */
export const registeredChannels = (): Channel[] => [...new Set(ENTRIES.map((e) => e.channel.id))];

const entriesOf = (channel: Channel): ProviderEntry[] => ENTRIES.filter((e) => e.channel.id === channel);

/** What a channel's providers share (its name, flow order, payment codes). */
export function channelInfo(channel: Channel): ChannelInfo {
  const e = entriesOf(channel)[0];
  if (!e) throw new TypeError(`No provider serves the channel ${channel}.`);
  return e.channel;
}

/** The entry whose config this is: the only one of the channel, or the one its variant field names. */
function entryOfConfig(channel: Channel, config: unknown): ProviderEntry | undefined {
  return entriesOf(channel).find((e) => !e.variant || (config as Record<string, unknown>)[e.variant.field] === e.variant.value);
}

/**
 * `merchants[i].providers.<channel>` by the channel's provider. When several providers serve the
 * channel, their variant field picks one (absent: the default one).
 */
export function parseChannelConfig(channel: Channel, raw: unknown, path: string, livemode: boolean): unknown {
  const entries = entriesOf(channel);
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only) return only.parseConfig(raw, path, livemode);
  const o = obj(raw, path);
  const field = entries[0]?.variant?.field ?? '';
  const value = o[field] ?? entries.find((e) => e.variant?.default)?.variant?.value;
  const entry = entries.find((e) => e.variant?.value === value);
  if (!entry) throw new ConfigError(`${path}.${field}`, `must be ${entries.map((e) => e.variant?.describe).join(' or ')} (got ${JSON.stringify(value)}).`);
  return entry.parseConfig(o, path, livemode);
}

/** `merchants[i].providers`: each registered channel that is present, parsed by its provider. */
export function parseProviders(o: Record<string, unknown>, path: string, livemode: boolean): ProvidersConfig {
  const out: Partial<Record<Channel, unknown>> = {};
  for (const channel of registeredChannels()) {
    if (o[channel] !== undefined) out[channel] = parseChannelConfig(channel, o[channel], `${path}.${channel}`, livemode);
  }
  return out as ProvidersConfig;
}

export interface ResolvedProvider {
  entry: ProviderEntry;
  /** The provider, offering the flows this merchant's config allows. */
  provider: PaymentProvider<unknown>;
  config: unknown;
  /** The ids a verified payment must carry to belong to this merchant, and the rail (channel, provider) it comes through. */
  identity: PaymentIdentity;
}

function resolve(entry: ProviderEntry, config: unknown): ResolvedProvider {
  const flows: readonly Flow[] = entry.flows ? entry.flows(config) : entry.provider.flows;
  return { entry, provider: { ...entry.provider, flows }, config, identity: { ...entry.identity(config), channel: entry.channel.id, provider: entry.id } };
}

/** The merchant's provider for a channel, or null when the channel is not configured. */
export function resolveProvider(merchant: MerchantConfig, channel: Channel): ResolvedProvider | null {
  const config: unknown = merchant.providers[channel];
  if (config === undefined) return null;
  const entry = entryOfConfig(channel, config);
  return entry ? resolve(entry, config) : null;
}

/** The provider an attempt was made with, by its stored id (the merchant's config may have changed since). */
export function resolveProviderById(merchant: MerchantConfig, providerId: string): ResolvedProvider | null {
  const entry = ENTRIES.find((e) => e.id === providerId);
  if (!entry) return null;
  const r = resolveProvider(merchant, entry.channel.id);
  return r && r.entry.id === providerId ? r : null;
}

/** Every provider the merchant configured, in registry order. */
export function configuredProviders(merchant: MerchantConfig): ResolvedProvider[] {
  return registeredChannels().flatMap((c) => resolveProvider(merchant, c) ?? []);
}

/** The channels the merchant configured, in registry order. */
export function configuredChannels(merchant: MerchantConfig): Channel[] {
  return registeredChannels().filter((c) => merchant.providers[c] !== undefined);
}

/** The channel's product-QR capability, from whichever of its providers has one (for its name in messages). */
export function productQrOf(channel: Channel): NonNullable<ProviderEntry['productQr']> | undefined {
  return entriesOf(channel).find((e) => e.productQr)?.productQr;
}
