// Strict validation of `POST /v1/checkout/sessions` (README, "Merchant API"). Every error names the field.

import { CHANNELS, type Channel } from '../contract';
import type { MerchantConfig } from '../config';
import { invalid } from '../lib/errors';
import { configuredChannels } from '../providers/registry';

export interface CreateSessionParams {
  amount: number;
  currency: 'CNY';
  description: string;
  merchant_order_id: string;
  channels: Channel[];
  expires_in: number;
  return_url: string | null;
  /** Where the shopper goes back to without paying (the hosted page's back link, the widget's end states). */
  cancel_url: string | null;
  metadata: Record<string, string>;
}

const FIELDS = ['amount', 'currency', 'description', 'merchant_order_id', 'channels', 'expires_in', 'return_url', 'cancel_url', 'metadata'];
/** ¥100,000,000.00: Alipay's ceiling, and far above WeChat's per-order limits. */
export const MAX_AMOUNT = 10_000_000_000;

export function validateCreateSession(body: Record<string, unknown>, merchant: MerchantConfig): CreateSessionParams {
  for (const k of Object.keys(body)) {
    if (!FIELDS.includes(k)) throw invalid(k, `Received unknown parameter: ${k}.`, 'parameter_unknown');
  }

  const amount = body.amount;
  if (amount === undefined) throw invalid('amount', 'Missing required param: amount (integer, in fen).', 'parameter_missing');
  if (typeof amount !== 'number' || !Number.isInteger(amount)) {
    throw invalid('amount', 'amount must be an integer number of fen (¥88.88 is 8888); floats and strings are refused.');
  }
  if (amount < 1 || amount > MAX_AMOUNT) throw invalid('amount', `amount must be between 1 and ${MAX_AMOUNT} fen.`);

  if (body.currency === undefined) throw invalid('currency', 'Missing required param: currency ("CNY").', 'parameter_missing');
  if (body.currency !== 'CNY') throw invalid('currency', `currency must be "CNY"; these channels settle in renminbi (got ${JSON.stringify(body.currency)}).`);

  const description = body.description;
  if (description === undefined) throw invalid('description', 'Missing required param: description.', 'parameter_missing');
  if (typeof description !== 'string' || description.trim() === '') throw invalid('description', 'description must be a non-empty string.');
  // WeChat Pay's description is at most 127 characters.
  if ([...description].length > 127) throw invalid('description', 'description must be at most 127 characters.');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses
  if (/[\u0000-\u001f\u007f]/.test(description)) throw invalid('description', 'description must not contain control characters.');

  const moid = body.merchant_order_id;
  if (moid === undefined) throw invalid('merchant_order_id', 'Missing required param: merchant_order_id.', 'parameter_missing');
  if (typeof moid !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(moid)) {
    throw invalid('merchant_order_id', 'merchant_order_id must be 1–32 characters of letters, digits, _ or -.');
  }

  const available = configuredChannels(merchant);
  let channels: Channel[] = available;
  if (body.channels !== undefined) {
    if (!Array.isArray(body.channels) || body.channels.length === 0) {
      throw invalid('channels', `channels must be a non-empty array of ${CHANNELS.map((c) => `"${c}"`).join(', ')}.`);
    }
    channels = body.channels.map((ch, i) => {
      if (typeof ch !== 'string' || !(CHANNELS as readonly string[]).includes(ch)) {
        throw invalid(`channels[${i}]`, `channels[${i}] must be one of ${CHANNELS.join(', ')}.`);
      }
      if (!available.includes(ch as Channel)) {
        throw invalid(`channels[${i}]`, `The channel '${ch}' is not configured for this merchant (configured: ${available.join(', ')}).`);
      }
      return ch as Channel;
    });
    if (new Set(channels).size !== channels.length) throw invalid('channels', 'channels must not repeat a channel.');
  }

  let expiresIn = 900;
  if (body.expires_in !== undefined) {
    const e = body.expires_in;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 60 || e > 7200) {
      throw invalid('expires_in', 'expires_in must be an integer number of seconds between 60 and 7200.');
    }
    expiresIn = e;
  }

  const returnUrl = merchantPage('return_url', body.return_url, merchant);
  const cancelUrl = merchantPage('cancel_url', body.cancel_url, merchant);

  const metadata: Record<string, string> = {};
  if (body.metadata !== undefined) {
    const m = body.metadata;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalid('metadata', 'metadata must be an object of string keys and string values.');
    const entries = Object.entries(m);
    if (entries.length > 20) throw invalid('metadata', 'metadata may hold at most 20 keys.');
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > 40) throw invalid(`metadata.${k}`, 'metadata keys must be 1–40 characters.');
      if (typeof v !== 'string' || v.length > 500) throw invalid(`metadata.${k}`, `metadata.${k} must be a string of at most 500 characters.`);
      metadata[k] = v;
    }
  }

  return {
    amount,
    currency: 'CNY',
    description,
    merchant_order_id: moid,
    channels,
    expires_in: expiresIn,
    return_url: returnUrl,
    cancel_url: cancelUrl,
    metadata,
  };
}

/**
 * `return_url` / `cancel_url`: a page of the merchant's, or null when not given. Every error names
 * `field`. The placeholders `{CHECKOUT_SESSION_ID}` and `{LOCALE}` are kept as given, filled in when
 * the shopper is sent there (docs/merchant-api.md).
 */
function merchantPage(field: string, r: unknown, merchant: MerchantConfig): string | null {
  if (r === undefined || r === null) return null;
  let u: URL | null = null;
  try {
    u = typeof r === 'string' && r.length <= 2048 ? new URL(r) : null;
  } catch {
    u = null;
  }
  // Test mode also takes http://localhost and http://127.0.0.1, for development servers.
  const local = !merchant.livemode && u?.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
  if (!u || (u.protocol !== 'https:' && !local)) {
    throw invalid(field, `${field} must be an absolute https URL${merchant.livemode ? '' : ' (or http://localhost / http://127.0.0.1 in test mode)'}.`);
  }
  // Shouyin sends anyone who has a session's link there, from the payment domain: only the merchant's
  // own pages (the origins its widget runs on) may be the target, never an open redirect. The origin
  // is checked as given and with the placeholders filled in (a session id is letters, digits and _; a
  // locale letters and -), so the URL the shopper is sent to has the same origin.
  const filled = new URL((r as string).replaceAll('{CHECKOUT_SESSION_ID}', 'cs_0').replaceAll('{LOCALE}', 'zh-TW'));
  if (!merchant.allowed_origins.includes(u.origin) || filled.origin !== u.origin) {
    const listed = merchant.allowed_origins.length > 0 ? merchant.allowed_origins.join(', ') : 'none';
    throw invalid(
      field,
      `${field} must be on one of this merchant's allowed_origins (origin ${u.origin} is not; allowed_origins: ${listed}). Add the origin to allowed_origins in the configuration, or use a page on a listed one.`,
    );
  }
  return r as string;
}
