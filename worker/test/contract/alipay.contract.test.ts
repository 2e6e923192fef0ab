// The provider contract on Alipay (alipay.trade.precreate QR).

import { alipaySubject } from './alipay';
import { runProviderContract } from './provider-contract';

runProviderContract(alipaySubject, {
  skip: [
    {
      case: 'notify stale timestamp',
      reason: 'an Alipay notify has no signed freshness rule: notify_time is a plain field, and Alipay re-sends the same notify for about 25 hours',
    },
  ],
});
