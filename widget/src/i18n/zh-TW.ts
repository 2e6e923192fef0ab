// Traditional Chinese as used in Taiwan, Hong Kong and Macau: wallet names as the wallets write them there
// (支付寶, 銀聯 / 雲閃付), "QR Code" as shoppers there say it. The strings are zh-TW.json, which the build
// copies next to the bundle and the widget fetches only for a Traditional Chinese shopper (index.ts,
// `loadLocale`); this file only types them, so a key missing from the JSON fails the type check. The
// bundle never imports it.
import type { Translation } from './translation';
import data from './zh-TW.json';

const zhTW: Translation = { ...data, lang: 'zh-TW' };

export default zhTW;
