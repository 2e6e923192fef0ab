import { describe, expect, it } from 'vitest';
import { ConfigError, str } from './config-fields';

const refusal = (v: string, secret = false): string => {
  try {
    str({ field: v }, 'field', 'm', { pattern: /^ok$/, hint: 'must be ok', secret });
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('accepted');
};

describe('a refused string field', () => {
  it('quotes a short public value, which helps', () => {
    expect(refusal('nope')).toContain('(got "nope")');
  });
  it('never quotes what looks like key material pasted into a public field', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC${'A'.repeat(40)}\n-----END PRIVATE KEY-----`;
    const msg = refusal(pem);
    expect(msg).not.toContain('MIIEvQ');
    expect(msg).not.toContain('BEGIN');
    expect(msg).toContain('not shown');
    expect(refusal('x'.repeat(0) + 'a1B2'.repeat(16))).not.toContain('a1B2a1B2');
  });
  it('never quotes a secret field at all', () => {
    expect(refusal('nope', true)).not.toContain('nope');
  });
});
