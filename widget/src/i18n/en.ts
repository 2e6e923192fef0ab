import type { Translation } from './translation';

const en: Translation = {
  lang: 'en',
  loading: 'Loading…',
  amountDue: 'Amount due',
  testMode: 'TEST MODE',
  chooseMethod: 'Choose a payment method',
  channel: { wechat_pay: 'WeChat Pay', alipay: 'Alipay', unionpay: 'UnionPay / QuickPass' },
  scanWith: {
    wechat_pay: 'Scan with WeChat',
    alipay: 'Scan with Alipay',
    unionpay: 'Scan with UnionPay or your bank app',
  },
  qrLabel: (channel) => `${channel} payment QR code`,
  expiresIn: (mmss) => `QR code expires in ${mmss}`,
  qrExpired: 'This QR code has expired',
  regenerate: 'Get a new QR code',
  starting: 'Creating QR code…',
  waiting: 'Waiting for payment…',
  reconnecting: 'Reconnecting…',
  switchChannel: 'Use another payment method',
  sandboxWallet: 'Open sandbox wallet / 打开沙箱钱包',
  redirecting: 'Redirecting…',
  paid: 'Payment successful',
  orderId: 'Order',
  expired: 'This checkout has expired',
  canceled: 'This checkout was canceled',
  restartHint: 'Please return to the shop to order again.',
  noChannels: 'No payment method available. Please contact the shop.',
  retry: 'Try again',
  error: {
    network: 'Network error. Please check your connection and try again.',
    invalid: 'This payment is no longer valid. Please return to the shop.',
    unavailable: 'Payment could not be started. Try again or use another method.',
    generic: 'Something went wrong. Please try again.',
  },
};

export default en;
