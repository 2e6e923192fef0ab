// The provider contract on UnionPay ACP 5.1.0 (the app flow: appTransReq.do → tn).

import { runProviderContract } from './provider-contract';
import { unionpaySubject } from './unionpay';

runProviderContract(unionpaySubject, {
  skip: [
    {
      case: 'close',
      reason:
        "UnionPay has no close for an unpaid consume: the gateway ends it at payTimeout, the session's expiry (see the expiry case), and a payment before then is a late payment",
    },
    {
      case: 'notify stale timestamp',
      reason: "UnionPay defines no freshness window for notifies: txnTime is the order's own time, sent unchanged on every retry",
    },
    {
      case: 'notify wrong app id',
      reason: 'a UnionPay payment names only the merchant (merId); there is no app id to check',
    },
  ],
});
