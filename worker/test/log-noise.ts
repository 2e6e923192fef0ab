// Console lines the worker tests cause on purpose, so that what is left in the output is worth reading.
//
// Tests inject faults (a crash at a fault point, a provider that times out or answers 5xx unsigned) and
// send forged notifies; the product logs each of those as it should in production. Each entry below
// names the test file, the test and the exact line, with ids as patterns: the same text from any other
// test, or any other text from these tests, is still printed. Nothing is silenced by level or by file.
//
// Wired into vitest.config.ts as `onConsoleLog`. Only console output goes through it; what workerd
// prints itself (an exception thrown out of a Durable Object's RPC method at a fault point, its alarm
// bookkeeping) does not, and stays in the output.

import type { TestCase, TestModule, TestSuite } from 'vitest/node';

export interface ExpectedLog {
  /** The test file, from the repository root. */
  file: string;
  /** The test that causes the line: matched against its full name (`suite > … > test`). */
  test: RegExp;
  /** The line itself, from its first character. */
  log: RegExp;
}

/** A checkout session's attempt id (`<session key>A<n>`) and refund number (`<session key>R<n>`). */
const ATTEMPT = '[0-9A-Za-z]{24}A\\d+';
const REFUND = '[0-9A-Za-z]{24}R\\d+';
const line = (pattern: string): RegExp => new RegExp(`^${pattern}\\n?$`);

const SANDBOX_REVERSE_REFUSALS = [
  'WeChat Pay answered 500 SYSTEM_ERROR: 系统超时，请稍后重试撤销',
  'WeChat Pay answered result_code=FAIL SYSTEMERROR: 系统超时，请立即调用被扫订单结果查询API，查询当前订单的不同状态，决定下一步的操作',
  'Alipay answered alipay\\.trade\\.cancel with 40004 ACQ\\.SYSTEM_ERROR: 系统异常，请重试撤销',
].join('|');
const UNREACHABLE = 'Could not reach WeChat Pay at https://shouyin\\.test';

export const EXPECTED_LOGS: readonly ExpectedLog[] = [
  // In store: the simulator refuses a reversal on request (`reverse-failures`), crashes at fault points.
  {
    file: 'worker/test/barcode.test.ts',
    test: /> a reversal the provider refuses \(recall=Y \/ ACQ\.SYSTEM_ERROR\) is retried by the due work until done$/,
    log: line(`reverse ${ATTEMPT} must be retried: (${SANDBOX_REVERSE_REFUSALS})`),
  },
  {
    file: 'worker/test/barcode.test.ts',
    test: /> a shopper who pays after the till gave up is refunded by the reversal, and the session is never paid by it$/,
    log: line(`reverse ${ATTEMPT} must be retried: (${SANDBOX_REVERSE_REFUSALS})`),
  },
  // The reversal window: WeChat refuses on request, then (the session's clock a week ahead) its answers
  // are stale; the reversal is abandoned when the window closes, or when Alipay refuses it for good.
  {
    file: 'worker/test/barcode.test.ts',
    test: /> WeChat Pay: retried only within the 7 days WeChat takes a reversal, then reverse_failed and a payment\.anomaly for a person$/,
    log: line(
      `reverse ${ATTEMPT} (must be retried: (${SANDBOX_REVERSE_REFUSALS}|WeChat Pay's 401 response to POST /sandbox/wechatpay/v3/pay/transactions/out-trade-no/${ATTEMPT}/reverse failed verification \\(stale_timestamp\\): .*)|abandoned: reverse_window_closed)`,
    ),
  },
  {
    file: 'worker/test/barcode.test.ts',
    test: /> Alipay: a cancel Alipay refuses for good \(ACQ\.TRADE_CANCEL_TIME_OUT\) is not asked again$/,
    log: line(`reverse ${ATTEMPT} abandoned: ACQ\\.TRADE_CANCEL_TIME_OUT`),
  },
  // The route answers 500 and logs the injected crash with its stack.
  {
    file: 'worker/test/barcode.test.ts',
    test: /> a crash after the wallet charged, before the answer was stored: the 5 s query finds the payment, once$/,
    log: /^unhandled error Error: injected fault at barcode\.afterPay\n {4}at /,
  },
  {
    file: 'worker/test/barcode.test.ts',
    test: /> a crash between a query's answer and its store loses nothing: the next query pays$/,
    log: line(`barcode query ${ATTEMPT} failed: injected fault at query\\.beforeStore`),
  },
  {
    file: 'worker/test/barcode.test.ts',
    test: /> a crash after the provider reversed, before it was stored: reversed again \(idempotent\), once confirmed$/,
    log: line(`due item query:${ATTEMPT} failed: injected fault at reverse\\.afterProvider`),
  },

  // One session paid on two rails: the closes that would have stopped the second payment time out.
  {
    file: 'worker/test/double-pay.test.ts',
    test: /> keeps the first payment, refunds the second in full once, and ignores the second notify when it comes again$/,
    log: line(`close ${ATTEMPT} failed: Could not reach (WeChat Pay|the Alipay gateway) at https://shouyin\\.test: The operation timed out\\.`),
  },

  // Reliability: crashes at each fault point, a provider that cannot be reached or answers 5xx unsigned.
  {
    file: 'worker/test/reliability.test.ts',
    test: /> refunds a payment that lands after the session was canceled, automatically and once$/,
    log: line(`close ${ATTEMPT} failed: ${UNREACHABLE}: connect ETIMEDOUT`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> notify: before the store → failure ack, nothing stored; the retry pays$/,
    log: line(`notify for ${ATTEMPT} not stored: injected fault at notify\\.beforeStore`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> notify: after the store, before the ack → failure ack; the retry is acked without a second transition$/,
    log: line(`notify for ${ATTEMPT} not stored: injected fault at notify\\.afterStore`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> query: a crash between the answer and the store loses nothing; the next query pays$/,
    log: line(`query ${ATTEMPT} failed: injected fault at query\\.beforeStore`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> expiry: a crash after the provider closed the order still ends expired, once$/,
    log: line(`close ${ATTEMPT} failed: injected fault at close\\.afterProvider`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> refund: a crash after the provider accepted retries with the same refund number: one provider refund$/,
    log: line(`refund ${REFUND} attempt failed: injected fault at refund\\.afterProvider`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> webhook: a crash after the merchant answered 2xx, before it was stored, sends the event once more with the same webhook-id$/,
    log: line('due item webhook:evt_[0-9A-Za-z]+ failed: injected fault at webhook\\.afterSend'),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> webhook: a crash after the 2xx was stored sends nothing again$/,
    log: line('due item webhook:evt_[0-9A-Za-z]+ failed: injected fault at webhook\\.afterStore'),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> a query that fails \(503\) is asked again, and the payment is still found$/,
    log: line(
      `query ${ATTEMPT} failed: WeChat Pay's 503 response to GET /sandbox/wechatpay/v3/pay/transactions/out-trade-no/${ATTEMPT} failed verification \\(missing_header\\): .*`,
    ),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> a query that fails \(timeout\) is asked again, and the payment is still found$/,
    log: line(`query ${ATTEMPT} failed: ${UNREACHABLE}: The operation timed out\\.`),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> a refund whose request fails \(500\) stays pending and is retried with the same number$/,
    log: line(
      `refund ${REFUND} attempt failed: WeChat Pay's 500 response to POST /sandbox/wechatpay/v3/refund/domestic/refunds failed verification \\(missing_header\\): .*`,
    ),
  },
  {
    file: 'worker/test/reliability.test.ts',
    test: /> a refund whose request fails \(timeout\) stays pending and is retried with the same number$/,
    log: line(`refund ${REFUND} attempt failed: ${UNREACHABLE}: The operation timed out\\.`),
  },

  // Lists: the session's write into the merchant's list index crashes before or after it reached the index.
  {
    file: 'worker/test/lists.test.ts',
    test: /^the index write, killed midway > /,
    log: line('session cs_[0-9A-Za-z]{24}: list index write failed, retrying: injected fault at index\\.(beforeWrite|afterWrite)'),
  },

  // Real restarts at fault points: the notify route answers the failure, the merchant API a 500 with the stack.
  {
    file: 'worker/test/crash-restart.test.ts',
    test: /^notifies, with a real restart > /,
    log: line(`notify for ${ATTEMPT} not stored: injected fault at notify\\.(beforeStore|afterStore)`),
  },
  {
    file: 'worker/test/crash-restart.test.ts',
    test: /^(refunds|payment codes), with a real restart > /,
    log: /^unhandled error Error: injected fault at (refund\.(beforeRequest|afterProvider|afterStore)|barcode\.afterPay)\n {4}at /,
  },

  // A provider that is down, or answers an attempt with an unsigned 502.
  {
    file: 'worker/test/payment-flow.test.ts',
    test: /^a provider that is down > still expires the session at expires_at and keeps closing the order until it can$/,
    log: line(`(query|close) ${ATTEMPT} failed: ${UNREACHABLE}: connect ETIMEDOUT`),
  },
  {
    file: 'worker/test/payment-flow.test.ts',
    test: /^a provider that is down > answers 502 when an attempt cannot be started, and the next try works$/,
    log: line(
      `attempt ${ATTEMPT} \\(wechat-v3\\) failed: WeChat Pay's 502 response to POST /sandbox/wechatpay/v3/pay/transactions/native failed verification \\(missing_header\\): .*`,
    ),
  },

  // Forged notifies: each is refused, and the route logs why (info level, as in production).
  {
    file: 'worker/test/payment-flow.test.ts',
    test: /^forged notifies change nothing and never get the success ack > /,
    log: line('notify rejected \\(wechat-v3/demo\\): [a-z_]+'),
  },
  {
    file: 'worker/test/wechat-v2-flow.test.ts',
    test: /^forged v2 notifies change nothing and never get the SUCCESS ack > /,
    log: line('notify rejected \\((wechat-v2/v2shop|wechat-v3/demo)\\): [a-z_]+'),
  },
  {
    file: 'worker/test/alipay-flow.test.ts',
    test: /^forged notifies change nothing and never get `success` > /,
    log: line('notify rejected \\(alipay/demo\\): [a-z_]+'),
  },
  {
    file: 'worker/test/unionpay-notify.test.ts',
    test: /^(forged notifies change nothing and are not acknowledged|the test-environment owner is accepted in test mode only) > /,
    log: line('notify rejected \\(unionpay-acp/(demo|live)\\): [a-z_]+'),
  },
  { file: 'worker/test/apple-notifications.test.ts', test: /^Apple notifications V2 > /, log: line('apple notify rejected \\(demo\\): [a-z_]+') },
  // A correctly signed notify for an order Shouyin never made (warned: it may be another system's).
  {
    file: 'worker/test/alipay-flow.test.ts',
    test: /> a notify for an order that is not ours$/,
    log: line('verified notify for an order that is not ours: NOTOURS123'),
  },
  {
    file: 'worker/test/unionpay-flow.test.ts',
    test: /> a notify for an order that is not ours is verified, then refused \(404\) so UnionPay retries elsewhere$/,
    log: line('verified notify for an order that is not ours: \\d+'),
  },
  {
    file: 'sandbox/src/ledger.test.ts',
    test: /> a notify_url on public_base_url goes through the Worker itself, not the network$/,
    log: line('verified notify for an order that is not ours: SBX[0-9A-Za-z]+'),
  },

  // H5 without the shopper's IP is refused; forged or reused OAuth codes are refused by WeChat.
  {
    file: 'worker/test/wechat-h5-app.test.ts',
    test: /> the cashier refuses to open inside WeChat \(JSAPI is for that\), and H5 needs the shopper's IP$/,
    log: line(
      `attempt ${ATTEMPT} \\(wechat-v[23]\\) failed: WeChat H5 (\\(MWEB\\) )?needs the shopper's IP \\(CF-Connecting-IP\\) as (spbill_create_ip|scene_info\\.payer_client_ip)\\.`,
    ),
  },
  {
    file: 'worker/test/wechat-jsapi.test.ts',
    test: /> a forged state, a reused code and a code of another sign-in$/,
    log: line('oauth code exchange refused: errcode (40029 invalid code|40163 code been used), rid: [0-9a-z]+'),
  },

  // The attack battery (worker/test/attacks): refusals the product logs as it should.
  {
    file: 'worker/test/attacks/native-mode1.test.ts',
    test: /^the printed QR alone makes no order > /,
    log: line('native mode 1 \\(10000100\\): callback refused: [a-z_ ]+'),
  },
  {
    file: 'worker/test/attacks/apple-notifications.test.ts',
    test: /^App Store notifications name the app by its Apple ID in Production > /,
    log: line('apple notify rejected \\(demo\\): app_apple_id_mismatch'),
  },
  {
    file: 'worker/test/attacks/retention.test.ts',
    test: /> work still due \(a refund the provider has not taken yet\) holds the deletion back$/,
    log: line(
      `refund ${REFUND} attempt failed: WeChat Pay's 503 response to POST /sandbox/wechatpay/v3/refund/domestic/refunds failed verification \\(missing_header\\): .*`,
    ),
  },
];

type Entity = TestCase | TestSuite | TestModule | undefined;

/** Whether `log`, printed while `entity` ran, is one of EXPECTED_LOGS. */
export function isExpectedLog(log: string, entity: Entity): boolean {
  if (entity?.type !== 'test') return false;
  const file = entity.module.moduleId;
  return EXPECTED_LOGS.some((e) => file.endsWith(`/${e.file}`) && e.test.test(entity.fullName) && e.log.test(log));
}

/** vitest's `onConsoleLog`: `false` drops an expected line; everything else is printed as usual. */
export function onConsoleLog(log: string, _type: 'stdout' | 'stderr', entity: Entity): false | undefined {
  return isExpectedLog(log, entity) ? false : undefined;
}
