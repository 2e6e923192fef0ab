// The provider contract on WeChat Pay APIv2 (NATIVE unifiedorder).

import { runProviderContract } from './provider-contract';
import { wechatV2Subject } from './wechat-v2';

runProviderContract(wechatV2Subject, {
  skip: [
    {
      case: 'notify stale timestamp',
      reason: 'an APIv2 notify carries no signed timestamp (only nonce_str), and WeChat Pay re-sends the same notify for up to 24 hours',
    },
  ],
});
