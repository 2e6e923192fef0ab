import { describe, expect, it } from 'vitest';
import { parseClientSecret } from './client-secret';

describe('parseClientSecret', () => {
  it('takes the session id from before _secret_', () => {
    expect(parseClientSecret('cs_abc123_secret_XyZ789')).toEqual({ sessionId: 'cs_abc123' });
    expect(parseClientSecret('cs_test_a1B2_secret_q-w_e')).toEqual({ sessionId: 'cs_test_a1B2' });
    expect(parseClientSecret('  cs_abc_secret_def \n')).toEqual({ sessionId: 'cs_abc' });
  });

  it('splits at the first _secret_ (the random part may contain anything allowed)', () => {
    expect(parseClientSecret('cs_a_secret_b_secret_c')).toEqual({ sessionId: 'cs_a' });
  });

  it('rejects malformed secrets', () => {
    for (const bad of [
      null,
      undefined,
      '',
      'cs_abc',
      'cs__secret_abc',
      'cs_abc_secret_',
      'pi_abc_secret_def',
      'sk_test_abc',
      'cs_abc_secret_d/ef',
      'cs_abc_secret_d ef',
      'cs_<script>_secret_x',
    ]) {
      expect(parseClientSecret(bad), String(bad)).toBeNull();
    }
  });
});
