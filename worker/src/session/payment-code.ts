// Which wallet a scanned payment code (付款码 / auth_code) belongs to. The till never says; the code's
// digits do. Each channel's rule (its first two digits and length, with the source that states it) is
// the channel's own `paymentCode` in the provider registry; docs/instore.md has the sources. Anything
// that matches no rule is refused before any provider is called: guessing would send a stranger's
// code to the wrong wallet, and the provider would only refuse it later and less clearly.

import type { Channel } from '../contract';
import { channelInfo, registeredChannels } from '../providers/registry';
import type { PaymentCodeRule } from '../providers/types';

export type PaymentCodeCheck = { ok: true; channel: Channel; code: string } | { ok: false; message: string };

type Accepted = Extract<PaymentCodeRule, { accepted: true }> & { channel: Channel; name: string };
type Refused = Extract<PaymentCodeRule, { accepted: false }>;

function rules(): { accepted: Accepted[]; refused: Refused[] } {
  const accepted: Accepted[] = [];
  const refused: Refused[] = [];
  for (const channel of registeredChannels()) {
    const { name, paymentCode: rule } = channelInfo(channel);
    if (rule?.accepted) accepted.push({ ...rule, channel, name });
    else if (rule) refused.push(rule);
  }
  return { accepted, refused };
}

const lengths = (r: Accepted): string => (r.minLength === r.maxLength ? `${r.minLength}` : `${r.minLength}–${r.maxLength}`);
/** "A", "A or B", "A, B or C". */
const either = (names: string[], word: 'and' | 'or'): string =>
  names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} ${word} ${names[names.length - 1]}`;
/** "a WeChat Pay …", "an Alipay …" ("UnionPay" is read "you-"). */
const article = (name: string): string => (/^[AEIO]/i.test(name) ? 'an' : 'a');

/**
 * A USB scanner types the digits and then Enter; people type spaces. Only ASCII whitespace is
 * dropped: anything else that is not a digit makes the code invalid.
 */
export function normalizePaymentCode(raw: string): string {
  return raw.replace(/[ \t\r\n]/g, '');
}

export function channelOfPaymentCode(raw: unknown): PaymentCodeCheck {
  if (typeof raw !== 'string' || raw.trim() === '') {
    return { ok: false, message: 'auth_code is required: the digits of the payment code the shopper shows (付款码), as the scanner reads them.' };
  }
  const { accepted, refused } = rules();
  const names = accepted.map((r) => r.name);
  const code = normalizePaymentCode(raw);
  if (code.length > 64) {
    const each = accepted.map((r, i) => (i === 0 ? `${r.name} codes have ${lengths(r)} digits` : `${r.name} codes ${lengths(r)}`));
    return { ok: false, message: `auth_code is too long to be a payment code (${each.join(', ')}).` };
  }
  if (!/^\d+$/.test(code)) {
    return {
      ok: false,
      message: `auth_code must be digits only: ${either(names, 'and')} payment codes are numbers (was the QR code of a page scanned instead?).`,
    };
  }
  const prefix = code.slice(0, 2);
  const wallet = accepted.find((r) => r.prefix.test(prefix) && code.length >= r.minLength && code.length <= r.maxLength);
  if (wallet) return { ok: true, channel: wallet.channel, code };
  const near = accepted.find((r) => r.prefix.test(prefix));
  if (near) {
    const want = near.minLength === near.maxLength ? `exactly ${near.minLength}` : lengths(near);
    return {
      ok: false,
      message: `auth_code starts like ${article(near.name)} ${near.name} payment code (${near.prefixText}) but has ${code.length} digits; ${near.name} codes have ${want}. Scan it again.`,
    };
  }
  const other = refused.find((r) => r.prefix.test(prefix));
  if (other) {
    return {
      ok: false,
      message: `auth_code looks like ${article(other.label)} ${other.label} payment code (${other.prefixText}…), which Shouyin does not accept in store; ask for ${either(names, 'or')}.`,
    };
  }
  const each = accepted.map((r, i) => `${r.name} codes ${i === 0 ? 'are ' : ''}${lengths(r)} digits starting ${r.prefixText}`);
  return { ok: false, message: `auth_code ${prefix}… is not a payment code Shouyin knows: ${each.join(', ')}.` };
}

/** For logs and the merchant view: the code is a bearer credential for a minute; keep only its ends. */
export function maskPaymentCode(code: string): string {
  return code.length <= 8 ? '*'.repeat(code.length) : `${code.slice(0, 4)}${'*'.repeat(code.length - 8)}${code.slice(-4)}`;
}
