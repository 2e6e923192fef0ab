import { describe, expect, it } from 'vitest';
import { parseReturnHow, providerReturnUrl } from './links';

describe('providerReturnUrl', () => {
  it('carries language and hosted in the path, never a query (UnionPay frontUrl takes none)', () => {
    expect(providerReturnUrl('https://pay.test', 'cs_x', {})).toBe('https://pay.test/return/cs_x');
    expect(providerReturnUrl('https://pay.test', 'cs_x', { locale: 'en-GB,en;q=0.9' })).toBe('https://pay.test/return/cs_x/en');
    expect(providerReturnUrl('https://pay.test', 'cs_x', { locale: 'zh-HK', hosted: true })).toBe('https://pay.test/return/cs_x/zh-TW.hosted');
    expect(providerReturnUrl('https://pay.test', 'cs_x', { hosted: true })).toBe('https://pay.test/return/cs_x/hosted');
  });
  it('reads back what it wrote, and nothing else', () => {
    expect(parseReturnHow('zh-TW.hosted')).toEqual({ locale: 'zh-TW', hosted: true });
    expect(parseReturnHow('en')).toEqual({ locale: 'en', hosted: false });
    expect(parseReturnHow('hosted')).toEqual({ hosted: true });
    expect(parseReturnHow(undefined)).toEqual({ hosted: false });
    expect(parseReturnHow('<script>')).toEqual({ hosted: false });
  });
});
