import type { Channel } from '../../../worker/src/contract';

export type Locale = 'zh-CN' | 'en';
export type ErrorKind = keyof Translation['error'];

/**
 * Every string the widget shows. `zh-CN.ts` and `en.ts` are typed as this interface, so a key
 * missing from either fails the type check.
 */
export interface Translation {
  lang: Locale;
  loading: string;
  amountDue: string;
  testMode: string;
  chooseMethod: string;
  channel: Record<Channel, string>;
  scanWith: Record<Channel, string>;
  qrLabel: (channel: string) => string;
  expiresIn: (mmss: string) => string;
  qrExpired: string;
  regenerate: string;
  starting: string;
  waiting: string;
  reconnecting: string;
  switchChannel: string;
  /** Test mode only. Both languages on purpose: developers and browser tests look for either. */
  sandboxWallet: string;
  redirecting: string;
  paid: string;
  orderId: string;
  expired: string;
  canceled: string;
  /** Under "expired" and "canceled". */
  restartHint: string;
  noChannels: string;
  retry: string;
  error: {
    network: string;
    invalid: string;
    unavailable: string;
    generic: string;
  };
}
