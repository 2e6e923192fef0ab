import type { Translation } from './translation';

const zhCN: Translation = {
  lang: 'zh-CN',
  loading: '正在加载…',
  amountDue: '应付金额',
  testMode: '测试模式',
  chooseMethod: '选择支付方式',
  channel: { wechat_pay: '微信支付', alipay: '支付宝', unionpay: '银联 / 云闪付' },
  scanWith: {
    wechat_pay: '请使用微信扫一扫',
    alipay: '请使用支付宝扫一扫',
    unionpay: '请使用云闪付或银行 App 扫一扫',
  },
  qrLabel: (channel) => `${channel}付款二维码`,
  expiresIn: (mmss) => `二维码 ${mmss} 后失效`,
  qrExpired: '二维码已失效',
  regenerate: '刷新二维码',
  starting: '正在生成二维码…',
  waiting: '等待付款…',
  reconnecting: '正在重新连接…',
  switchChannel: '更换支付方式',
  sandboxWallet: '打开沙箱钱包 / Open sandbox wallet',
  redirecting: '正在跳转…',
  paid: '支付成功',
  orderId: '订单号',
  expired: '订单已过期',
  canceled: '订单已取消',
  restartHint: '请返回商户页面重新下单。',
  noChannels: '暂无可用的支付方式，请联系商户。',
  retry: '重试',
  error: {
    network: '网络连接失败，请检查网络后重试。',
    invalid: '支付信息已失效，请返回商户页面。',
    unavailable: '暂时无法发起支付，请重试或更换支付方式。',
    generic: '出了点问题，请稍后重试。',
  },
};

export default zhCN;
