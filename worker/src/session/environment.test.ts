import { describe, expect, it } from 'vitest';
import type { Channel, Flow } from '../contract';
import { detectEnvironment, usableFlows, type Environment } from './environment';

// Real User-Agent strings, as the apps and browsers send them.
const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  androidTablet: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  huaweiHarmony:
    'Mozilla/5.0 (Phone; OpenHarmony 4.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile HuaweiBrowser/5.0.4.300',
  ucAndroid:
    'Mozilla/5.0 (Linux; U; Android 12; zh-CN; V2203A Build/SP1A.210812.003) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 UCBrowser/16.3.0.1289 Mobile Safari/537.36',
  wechatIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN',
  wechatAndroid:
    'Mozilla/5.0 (Linux; Android 13; 22081212C Build/TKQ1.220829.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20240301 MMWEBID/2195 MicroMessenger/8.0.48.2580(0x28003036) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
  wechatIpad:
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN',
  wechatWindows:
    'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13) XWEB/9129 Flue',
  wechatMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MicroMessenger/6.8.0(0x16080000) MacWechat/3.8.7(0x13080712) Safari/605.1.15 NetType/WIFI',
  alipayAndroid:
    'Mozilla/5.0 (Linux; U; Android 13; zh-CN; PHB110 Build/TP1A.220905.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/105.0.5195.148 UWS/3.22.2.68 Mobile Safari/537.36 UCBS/3.22.2.68_231124211219 AlipayDefined(nt:WIFI,ws:412|0|3.5) AliApp(AP/10.5.58.8000) AlipayClient/10.5.58.8000 Language/zh-Hans useStatusBar/true isConcaveScreen/true Region/CNAriver/1.0.0 ChannelId(0) DTN/2.0',
  alipayIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Ariver/1.1.0 AliApp(AP/10.5.96.6000) Nebula WK RVKType(0) AlipayDefined(nt:WIFI,ws:390|780|3.0) AlipayClient/10.5.96.6000 Language/zh-Hans Region/CN NebulaX/1.0.0',
};

describe('detectEnvironment', () => {
  it.each([
    ['chromeWindows', 'desktop'],
    ['safariMac', 'desktop'],
    ['firefoxLinux', 'desktop'],
    ['safariIphone', 'mobile'],
    ['chromeAndroid', 'mobile'],
    ['androidTablet', 'mobile'],
    ['huaweiHarmony', 'mobile'],
    ['ucAndroid', 'mobile'],
    ['wechatIphone', 'wechat'],
    ['wechatAndroid', 'wechat'],
    ['wechatIpad', 'wechat'],
    // WeChat's desktop clients: a computer with the phone at hand; QR codes work for every channel.
    ['wechatWindows', 'desktop'],
    ['wechatMac', 'desktop'],
    ['alipayAndroid', 'alipay'],
    ['alipayIphone', 'alipay'],
  ] as const)('%s → %s', (name, env) => {
    expect(detectEnvironment(UA[name])).toBe(env);
  });

  it('treats a missing or unknown User-Agent as desktop, where a QR code always works', () => {
    expect(detectEnvironment(undefined)).toBe('desktop');
    expect(detectEnvironment('')).toBe('desktop');
    expect(detectEnvironment('curl/8.5.0')).toBe('desktop');
  });
});

const ALL: readonly Flow[] = ['qr', 'h5', 'jsapi', 'page', 'app'];

describe('usableFlows', () => {
  // The README's decision table, with every flow implemented.
  const table: [Environment, Channel, Flow[], 'open_in_browser' | undefined][] = [
    ['desktop', 'wechat_pay', ['qr'], undefined],
    ['desktop', 'alipay', ['qr', 'page'], undefined],
    ['desktop', 'unionpay', ['qr', 'page'], undefined],
    ['mobile', 'wechat_pay', ['h5', 'qr'], undefined],
    ['mobile', 'alipay', ['h5', 'qr'], undefined],
    ['mobile', 'unionpay', ['h5', 'page', 'qr'], undefined],
    ['wechat', 'wechat_pay', ['jsapi', 'qr'], undefined],
    ['wechat', 'alipay', [], 'open_in_browser'],
    ['wechat', 'unionpay', ['h5', 'page', 'qr'], undefined],
    ['alipay', 'wechat_pay', [], 'open_in_browser'],
    ['alipay', 'alipay', ['h5', 'qr'], undefined],
    ['alipay', 'unionpay', ['h5', 'page', 'qr'], undefined],
  ];
  it.each(table)('%s, %s → %j %s', (env, channel, flows, notice) => {
    expect(usableFlows(channel, ALL, env)).toEqual(notice ? { flows, notice } : { flows });
  });

  it('offers only flows the provider implements, keeping the preference order', () => {
    // A provider that offers only the QR: inside WeChat and on a phone, that is what the shopper gets.
    expect(usableFlows('wechat_pay', ['qr'], 'wechat')).toEqual({ flows: ['qr'] });
    expect(usableFlows('wechat_pay', ['qr'], 'mobile')).toEqual({ flows: ['qr'] });
    // The provider's own order does not matter.
    expect(usableFlows('alipay', ['page', 'h5', 'qr'], 'desktop')).toEqual({ flows: ['qr', 'page'] });
    expect(usableFlows('alipay', ['page'], 'desktop')).toEqual({ flows: ['page'] });
    expect(usableFlows('alipay', ['page'], 'mobile')).toEqual({ flows: [] });
    expect(usableFlows('unionpay', ['page'], 'mobile')).toEqual({ flows: ['page'] });
  });

  it('never offers app (a native-app payload) or H5 / JSAPI on a desktop', () => {
    for (const channel of ['wechat_pay', 'alipay', 'unionpay'] as const) {
      const { flows } = usableFlows(channel, ALL, 'desktop');
      expect(flows).not.toContain('app');
      expect(flows).not.toContain('h5');
      expect(flows).not.toContain('jsapi');
      for (const env of ['mobile', 'wechat', 'alipay'] as const) expect(usableFlows(channel, ALL, env).flows).not.toContain('app');
    }
  });

  it('adds the notice only for a channel the provider could serve', () => {
    expect(usableFlows('alipay', [], 'wechat')).toEqual({ flows: [] });
    expect(usableFlows('alipay', ['qr'], 'wechat')).toEqual({ flows: [], notice: 'open_in_browser' });
  });

  it('returns a fresh array the caller may keep', () => {
    const a = usableFlows('alipay', ALL, 'desktop').flows;
    a.push('app');
    expect(usableFlows('alipay', ALL, 'desktop').flows).toEqual(['qr', 'page']);
  });
});
