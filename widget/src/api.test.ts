import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createClientApi, developerHint, errorKind, type FetchLike } from './api';

function recorder(respond: (url: string, init: RequestInit) => Promise<Response> | Response) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
  return { calls, fetch };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('createClientApi', () => {
  const secret = 'cs_abc_secret_xyz';

  it('sends the client secret as a bearer token and never an amount', async () => {
    const { calls, fetch } = recorder(() => json(200, { ok: 1 }));
    const api = createClientApi('https://pay.example.com/', secret, 'cs_abc', fetch);
    await api.getSession();
    await api.createAttempt('alipay', 'qr');
    await api.getStatus(undefined, 25);
    await api.getStatus(7, 25);
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([
      ['GET', 'https://pay.example.com/v1/client/sessions/cs_abc'],
      ['POST', 'https://pay.example.com/v1/client/sessions/cs_abc/attempts'],
      ['GET', 'https://pay.example.com/v1/client/sessions/cs_abc/status?wait=25'],
      ['GET', 'https://pay.example.com/v1/client/sessions/cs_abc/status?wait=25&version=7'],
    ]);
    for (const c of calls) expect((c.init.headers as Record<string, string>).Authorization).toBe(`Bearer ${secret}`);
    expect(JSON.parse(String(calls[1]!.init.body))).toEqual({ channel: 'alipay', flow: 'qr' });
    expect((calls[1]!.init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(calls[0]!.init.body).toBeUndefined();
  });

  it('turns the error body into an ApiError', async () => {
    const body = { error: { type: 'invalid_request_error', code: 'channel_unavailable', message: 'no', param: 'channel' } };
    const api = createClientApi('https://p', secret, 'cs_abc', recorder(() => json(400, body)).fetch);
    const e = await api.createAttempt('unionpay', 'qr').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, type: 'invalid_request_error', code: 'channel_unavailable', param: 'channel' });
    expect((e as ApiError).transient).toBe(false);
  });

  it('reports a non-JSON answer (a proxy page) and server errors as transient-or-not by status', async () => {
    const html = () => new Response('<html>Bad gateway</html>', { status: 502 });
    const e = await createClientApi('https://p', secret, 'cs', recorder(html).fetch)
      .getSession()
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 502, code: 'http_502' });
    expect((e as ApiError).transient).toBe(true);
    const ok = () => new Response('not json', { status: 200 });
    const e2 = await createClientApi('https://p', secret, 'cs', recorder(ok).fetch)
      .getSession()
      .catch((x: unknown) => x);
    expect(e2).toMatchObject({ code: 'http_200' });
  });

  it('maps a failed fetch to a network ApiError but lets aborts through', async () => {
    const down = createClientApi('https://p', secret, 'cs', async () => {
      throw new TypeError('Failed to fetch');
    });
    const e = await down.getSession().catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 0, type: 'network_error', code: 'network' });
    expect((e as ApiError).transient).toBe(true);

    const aborted = createClientApi('https://p', secret, 'cs', async () => {
      throw new DOMException('aborted', 'AbortError');
    });
    const ctrl = new AbortController();
    const pending = aborted.getSession(ctrl.signal).catch((x: unknown) => x);
    ctrl.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
  });

  describe('deadlines', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const hang: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

    it('turns a hanging call into a transient time-out after 20 s', async () => {
      vi.useFakeTimers();
      const api = createClientApi('https://p', secret, 'cs', hang);
      const p = api.createAttempt('alipay', 'qr').catch((x: unknown) => x);
      await vi.advanceTimersByTimeAsync(19_999);
      await vi.advanceTimersByTimeAsync(1);
      const e = await p;
      expect(e).toMatchObject({ status: 0, type: 'network_error', code: 'timeout' });
      expect((e as ApiError).transient).toBe(true);
    });

    it('gives a long-poll its hold time plus 10 s', async () => {
      vi.useFakeTimers();
      const api = createClientApi('https://p', secret, 'cs', hang);
      let settled = false;
      const p = api.getStatus(3, 25).catch((x: unknown) => ((settled = true), x));
      await vi.advanceTimersByTimeAsync(34_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await p).toMatchObject({ code: 'timeout' });
    });
  });
});

describe('errorKind', () => {
  const err = (status: number) => new ApiError(status, { type: 't', code: 'c', message: 'm' });
  it('chooses the shopper-facing message', () => {
    expect(errorKind(err(0), 'unavailable')).toBe('network');
    expect(errorKind(err(401), 'unavailable')).toBe('invalid');
    expect(errorKind(err(404), 'generic')).toBe('invalid');
    expect(errorKind(err(409), 'unavailable')).toBe('unavailable');
    expect(errorKind(err(429), 'unavailable')).toBe('busy');
    expect(errorKind(new ApiError(409, { type: 'conflict_error', code: 'attempt_limit_reached', message: 'm' }), 'unavailable')).toBe('invalid');
    expect(errorKind(err(502), 'unavailable')).toBe('unavailable');
    expect(errorKind(new Error('boom'), 'unavailable')).toBe('generic');
  });
});

describe('errors no retry can fix', () => {
  const answer = (status: number, code: string, message = 'm'): Promise<ApiError> =>
    createClientApi('https://p', 'cs_abc_secret_xyz', 'cs_abc', recorder(() => json(status, { error: { type: 't', code, message } })).fetch)
      .getSession()
      .then(
        () => {
          throw new Error('accepted');
        },
        (x: unknown) => x as ApiError,
      );

  it('are the wrong or stale client secret, the unknown session and the unlisted origin', async () => {
    for (const [status, code] of [
      [401, 'missing_client_secret'],
      [401, 'invalid_client_secret'],
      [404, 'session_not_found'],
      [403, 'origin_not_allowed'],
      [409, 'attempt_limit_reached'],
    ] as const) {
      const e = await answer(status, code);
      expect(e.final, code).toBe(true);
      // The shopper is sent back to the shop, not told to check their connection.
      expect(errorKind(e, 'generic'), code).toBe('invalid');
    }
    for (const [status, code] of [
      [409, 'session_not_open'],
      [502, 'provider_unavailable'],
      [400, 'channel_unavailable'],
    ] as const) {
      expect((await answer(status, code)).final, code).toBe(false);
    }
    expect(new ApiError(0, { type: 'network_error', code: 'network', message: '' }).final).toBe(false);
  });

  it('an unlisted origin is explained to the developer in the console, with the setting to change', async () => {
    const e = await answer(403, 'origin_not_allowed', "The page's origin https://evil.test is not in this merchant's allowed_origins.");
    expect(developerHint(e)).toMatch(/^<shouyin-checkout>: .*allowed_origins/);
    expect(developerHint(await answer(404, 'session_not_found'))).toBeUndefined();
    expect(developerHint(new Error('x'))).toBeUndefined();
  });
});

describe('the widget’s language', () => {
  it('goes out as Accept-Language on every call, when given', async () => {
    const { calls, fetch } = recorder(() => json(200, { ok: 1 }));
    await createClientApi('https://p', 'cs_abc_secret_x', 'cs_abc', fetch, 'zh-TW').createAttempt('alipay', 'h5');
    await createClientApi('https://p', 'cs_abc_secret_x', 'cs_abc', fetch).getSession();
    expect((calls[0]!.init.headers as Record<string, string>)['Accept-Language']).toBe('zh-TW');
    expect(calls[1]!.init.headers as Record<string, string>).not.toHaveProperty('Accept-Language');
  });
});

describe('streamUrl', () => {
  it('is the WebSocket twin of the API base, with no client secret in it', () => {
    const s = 'cs_abc_secret_xY9';
    expect(createClientApi('https://pay.example.com/', s, 'cs_abc').streamUrl).toBe('wss://pay.example.com/v1/client/sessions/cs_abc/stream');
    const local = createClientApi('http://127.0.0.1:8787', s, 'cs_abc').streamUrl;
    expect(local).toBe('ws://127.0.0.1:8787/v1/client/sessions/cs_abc/stream');
    expect(local).not.toContain('secret');
  });

  it('carries the client secret as a subprotocol, after shouyin.v1 (the one the server selects)', () => {
    const s = 'cs_abc_secret_xY9';
    const { streamProtocols } = createClientApi('https://pay.example.com/', s, 'cs_abc');
    expect(streamProtocols).toEqual(['shouyin.v1', `shouyin.secret.${s}`]);
    // Every protocol must be an RFC 7230 token, or the WebSocket constructor throws.
    for (const p of streamProtocols) expect(p).toMatch(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
  });
});
