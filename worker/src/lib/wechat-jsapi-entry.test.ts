import { describe, expect, it } from 'vitest';
import { parseReturnHow, providerReturnUrl } from '../session/links';
import { jsapiEntryUrl, returnHow, returnHowOf, returnPath, verifyEntry } from './wechat-jsapi-entry';

describe("the JSAPI page's way back (`how`)", () => {
  it('takes every how providerReturnUrl writes, and parseReturnHow reads it back the same', () => {
    for (const locale of [undefined, 'zh-CN', 'zh-TW', 'en'] as const) {
      for (const hosted of [false, true]) {
        const url = providerReturnUrl('https://pay.test', 'cs_x', { ...(locale ? { locale } : {}), hosted });
        const how = returnHowOf(url);
        expect(`https://pay.test${returnPath('cs_x', how)}`).toBe(url);
        expect(parseReturnHow(how)).toEqual({ ...(locale ? { locale } : {}), hosted });
      }
    }
  });

  it('drops anything else, never passing it on', () => {
    for (const bad of ['<script>', 'en.hosted/../x', 'https://evil.test', 'EN.hosted', 'en.hosted.hosted', 'hosted.en', 'en-US', ' en', 'en%2Ehosted', '']) {
      expect(returnHow(bad), bad).toBeUndefined();
      expect(returnPath('cs_x', bad)).toBe('/return/cs_x');
    }
    expect(returnHowOf('https://pay.test/return/cs_x')).toBeUndefined();
    expect(returnHowOf('https://pay.test/return/cs_x/en.hosted?x=1')).toBeUndefined();
  });

  it('rides in the entry link beside a signature that does not depend on it', async () => {
    const exp = Date.now() + 60_000;
    const plain = new URL(await jsapiEntryUrl('https://pay.test', 'attX', 'secret', exp));
    const hosted = new URL(await jsapiEntryUrl('https://pay.test', 'attX', 'secret', exp, 'en.hosted'));
    expect(plain.searchParams.has('how')).toBe(false);
    expect(hosted.searchParams.get('how')).toBe('en.hosted');
    expect(hosted.searchParams.get('sig')).toBe(plain.searchParams.get('sig'));
    expect(await verifyEntry('attX', hosted.searchParams.get('exp')!, hosted.searchParams.get('sig')!, 'secret', Date.now())).toBe(true);
    expect(new URL(await jsapiEntryUrl('https://pay.test', 'attX', 'secret', exp, '"><x')).searchParams.has('how')).toBe(false);
  });
});
