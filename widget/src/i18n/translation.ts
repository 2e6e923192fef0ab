import type { Channel } from '../../../worker/src/contract';

export type Locale = 'zh-CN' | 'zh-TW' | 'en';
export type ErrorKind = keyof Translation['error'];

/**
 * Every string the widget shows, `{0}` and `{1}` filled in by `fmt` (index.ts). `zh-CN.ts` and `en.ts`
 * (in the bundle) are typed as this interface, and so is `zh-TW.json` (fetched when needed) through
 * `zh-TW.ts`: a key missing from any fails the type check, and i18n.test.ts compares their shapes.
 */
export interface Translation {
  lang: Locale;
  loading: string;
  amountDue: string;
  testMode: string;
  chooseMethod: string;
  channel: Record<Channel, string>;
  scanWith: Record<Channel, string>;
  /** `{0}`: the channel's name. */
  qrLabel: string;
  /** `{0}`: mm:ss left. */
  expiresIn: string;
  qrExpired: string;
  regenerate: string;
  starting: string;
  waiting: string;
  reconnecting: string;
  switchChannel: string;
  /** Desktop, QR view: start the provider's web cashier. Both languages: browser tests look for either. */
  payOnSite: Partial<Record<Channel, string>>;
  /** Mobile, QR view: open the wallet app with the QR's link. */
  /** `{0}`: the channel's name. */
  openApp: string;
  /** Mobile, WeChat Pay QR: WeChat's scanner reads a QR from a saved screenshot. */
  screenshotHint: string;
  /** Error view, after a wallet redirect could not start: the QR flow of the same channel. */
  useQr: string;
  copyLink: string;
  copied: string;
  /** When the clipboard refuses: the link is shown to copy by hand. */
  copyByHand: string;
  /** Test mode only. Both languages on purpose: developers and browser tests look for either. */
  sandboxWallet: string;
  redirecting: string;
  /** JSAPI: WeChat's payment sheet is open. */
  payInWechat: string;
  /** After the wallet said ok, until the server confirms. */
  confirming: string;
  /** Back from a wallet or cashier page with the payment not (yet) confirmed. */
  returned: string;
  /** A channel the shopper's app blocks (Alipay inside WeChat). */
  openInBrowser: string;
  /** `{0}`: the app (WeChat), `{1}`: the channel's name. */
  blocked: string;
  browserSteps: string;
  copyPageLink: string;
  app: { wechat: string; alipay: string };
  back: string;
  paid: string;
  orderId: string;
  expired: string;
  canceled: string;
  /** Under "expired" and "canceled". */
  restartHint: string;
  /** End states: the link to the merchant's cancel_url (or return_url). */
  backToShop: string;
  /** The wallet or its return said the shopper canceled: nothing was paid; the choices are back. */
  notCompleted: string;
  /** Phone, picker: pay by scanning with a second phone instead of opening the wallet here. */
  otherDevice: string;
  noChannels: string;
  retry: string;
  error: {
    network: string;
    invalid: string;
    unavailable: string;
    /** The wallet itself reported a failure (WeChat's payment sheet). */
    wallet: string;
    /** Payments were started too quickly (429 attempts_rate_limited): wait, then try again. */
    busy: string;
    generic: string;
  };
}
