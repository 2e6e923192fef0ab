// The provider contract on WeChat Pay APIv3 (Native QR).

import { runProviderContract } from './provider-contract';
import { wechatV3Subject } from './wechat-v3';

runProviderContract(wechatV3Subject);
