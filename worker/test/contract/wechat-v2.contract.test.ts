// The provider contract on WeChat Pay APIv2 (NATIVE unifiedorder).

import { runProviderContract } from './provider-contract';
import { wechatV2Subject } from './wechat-v2';

runProviderContract(wechatV2Subject, {
  skip: [
    {
      case: 'notify stale timestamp',
      reason: "an APIv2 notify carries no send timestamp to check (time_end is the payment's own time), and WeChat Pay re-sends it for about 24 hours",
    },
  ],
});
