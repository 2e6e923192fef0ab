// The provider contract on Alipay (alipay.trade.precreate QR).

import { alipaySubject } from './alipay';
import { runProviderContract } from './provider-contract';

runProviderContract(alipaySubject, {
  skip: [
    {
      case: 'notify stale timestamp',
      reason: 'Alipay defines no freshness window for notifies (it re-sends one for about 25 hours), so there is no stale notify to refuse',
    },
  ],
});
