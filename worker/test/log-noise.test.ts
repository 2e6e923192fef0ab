// The log filter drops a line only when the file, the test and the text all match one expectation.

import { describe, expect, it } from 'vitest';
import { isExpectedLog, onConsoleLog } from './log-noise';

type Entity = Parameters<typeof isExpectedLog>[1];
const testIn = (file: string, fullName: string): Entity => ({ type: 'test', fullName, module: { moduleId: `/repo/${file}` } }) as unknown as Entity;

const RELIABILITY = 'worker/test/reliability.test.ts';
const NOTIFY_CRASH = 'a crash at each step > notify: before the store → failure ack, nothing stored; the retry pays';
const LINE = 'notify for Ab3dEf6hIj9kLm2nOp5qRs8tA1 not stored: injected fault at notify.beforeStore\n';

describe('expected test logs', () => {
  it('drops the line the test causes on purpose', () => {
    expect(isExpectedLog(LINE, testIn(RELIABILITY, NOTIFY_CRASH))).toBe(true);
    expect(onConsoleLog(LINE, 'stderr', testIn(RELIABILITY, NOTIFY_CRASH))).toBe(false);
  });

  it('keeps the same line from any other test or file', () => {
    expect(isExpectedLog(LINE, testIn(RELIABILITY, 'query fallback > re-checks at once when the shopper returns'))).toBe(false);
    expect(isExpectedLog(LINE, testIn('worker/test/payment-flow.test.ts', NOTIFY_CRASH))).toBe(false);
  });

  it('keeps any other line from that test, and lines outside a test', () => {
    expect(isExpectedLog(LINE.replace('notify.beforeStore', 'notify.afterStore'), testIn(RELIABILITY, NOTIFY_CRASH))).toBe(false);
    expect(isExpectedLog(`${LINE}TypeError: x is undefined\n`, testIn(RELIABILITY, NOTIFY_CRASH))).toBe(false);
    expect(isExpectedLog('unhandled error TypeError: x is undefined', testIn(RELIABILITY, NOTIFY_CRASH))).toBe(false);
    expect(isExpectedLog(LINE, undefined)).toBe(false);
    expect(onConsoleLog(LINE, 'stderr', undefined)).toBeUndefined();
  });
});
