import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ConfigurationError,
  ConflictError,
  ConnectionError,
  IdempotencyError,
  InvalidRequestError,
  Shouyin,
  type CheckoutSessionCreateParams,
} from '../src/index.js';
import { API_KEY, apiError, BASE_URL, client, json } from './fake-fetch.js';

const params: CheckoutSessionCreateParams = { amount: 8888, currency: 'CNY', description: '机械键盘', merchant_order_id: 'order-1001' };
const session = { id: 'cs_aaaaaaaaaaaaaaaaaaaaaaaa', object: 'checkout.session', status: 'open' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requests', () => {
  it('creates a session: POST with the secret key, a JSON body and a random Idempotency-Key', async () => {
    const { shouyin, sent } = client([json(session, 201)]);
    expect(await shouyin.checkoutSessions.create(params)).toEqual(session);
    expect(sent).toHaveLength(1);
    const [req] = sent;
    expect(req!.url).toBe(`${BASE_URL}/v1/checkout/sessions`);
    expect(req!.method).toBe('POST');
    expect(req!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['idempotency-key']).toMatch(UUID);
    expect(req!.body).toEqual(params);
  });

  it('gives each call its own Idempotency-Key, and none to a GET', async () => {
    const { shouyin, sent } = client([json(session, 201), json(session, 201), json(session)]);
    await shouyin.checkoutSessions.create(params);
    await shouyin.checkoutSessions.create(params);
    await shouyin.checkoutSessions.retrieve(session.id);
    expect(sent[0]!.headers['idempotency-key']).not.toBe(sent[1]!.headers['idempotency-key']);
    expect(sent[2]!.headers['idempotency-key']).toBeUndefined();
    expect(sent[2]!.body).toBeUndefined();
  });

  it('reuses the same Idempotency-Key on every retry of one call (5xx, network error, key in use)', async () => {
    const { shouyin, sent } = client(
      [
        apiError(500, 'api_error', 'internal_error'),
        new TypeError('fetch failed'),
        apiError(409, 'idempotency_error', 'idempotency_key_in_use'),
        json(session, 201),
      ],
      { maxRetries: 3 },
    );
    expect(await shouyin.checkoutSessions.create(params)).toEqual(session);
    expect(sent).toHaveLength(4);
    const keys = new Set(sent.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(UUID);
    // Byte-for-byte the same body too: Shouyin fingerprints method, path and body.
    expect(new Set(sent.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('sends the caller’s Idempotency-Key on every try', async () => {
    const { shouyin, sent } = client([apiError(503, 'api_error', 'internal_error'), json({ id: 're_1', object: 'refund' }, 201)]);
    await shouyin.refunds.create({ session: session.id, amount: 100 }, { idempotencyKey: 'refund-order-1001-1' });
    expect(sent.map((r) => r.headers['idempotency-key'])).toEqual(['refund-order-1001-1', 'refund-order-1001-1']);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const { shouyin, sent } = client([apiError(500, 'api_error', 'internal_error'), apiError(502, 'provider_error', 'provider_unreachable')], {
      maxRetries: 1,
    });
    const e = await shouyin.checkoutSessions.retrieve(session.id).catch((x) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'ProviderError', type: 'provider_error', code: 'provider_unreachable', status: 502 });
    expect(sent).toHaveLength(2);
  });

  it('does not retry with maxRetries: 0', async () => {
    const { shouyin, sent } = client([apiError(500, 'api_error', 'internal_error')], { maxRetries: 0 });
    await expect(shouyin.checkoutSessions.retrieve(session.id)).rejects.toBeInstanceOf(ApiError);
    expect(sent).toHaveLength(1);
  });

  it('does not retry what the request got wrong (4xx) or a configuration error', async () => {
    const { shouyin, sent } = client([
      apiError(400, 'invalid_request_error', 'parameter_invalid', 'amount'),
      apiError(500, 'configuration_error', 'config_invalid'),
    ]);
    const e = await shouyin.checkoutSessions.create({ ...params, amount: 1.5 }).catch((x) => x);
    expect(e).toBeInstanceOf(InvalidRequestError);
    expect(e).toMatchObject({ param: 'amount', status: 400, code: 'parameter_invalid' });
    await expect(shouyin.checkoutSessions.retrieve(session.id)).rejects.toBeInstanceOf(ConfigurationError);
    expect(sent).toHaveLength(2);
  });

  it('does not retry an unsafe call (a new attempt) after a 5xx or a network error …', async () => {
    const { shouyin, sent } = client([apiError(502, 'provider_error', 'provider_unreachable'), new TypeError('fetch failed')]);
    await expect(shouyin.checkoutSessions.createAttempt(session.id, { channel: 'alipay', flow: 'app' })).rejects.toMatchObject({ status: 502 });
    const e = await shouyin.checkoutSessions.createAttempt(session.id, { channel: 'alipay', flow: 'app' }).catch((x) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e).toMatchObject({ code: 'connection_failed', status: null, type: 'connection_error' });
    expect(sent).toHaveLength(2);
  });

  it('… unless the call asks for retries, and always retries idempotency_key_in_use', async () => {
    const attempt = { attempt: { id: 'a1' }, next_action: { type: 'app_payload', payload: 'x' } };
    const { shouyin, sent } = client([
      apiError(502, 'provider_error', 'provider_unreachable'),
      json(attempt, 201),
      apiError(409, 'idempotency_error', 'idempotency_key_in_use'),
      json(attempt, 201),
    ]);
    expect(await shouyin.checkoutSessions.createAttempt(session.id, { channel: 'alipay', flow: 'app' }, { maxRetries: 1 })).toEqual(attempt);
    expect(await shouyin.checkoutSessions.createAttempt(session.id, { channel: 'alipay', flow: 'app' })).toEqual(attempt);
    expect(sent).toHaveLength(4);
    expect(sent[2]!.headers['idempotency-key']).toBe(sent[3]!.headers['idempotency-key']);
  });

  it('throws idempotency_key_reused without retrying', async () => {
    const { shouyin, sent } = client([apiError(409, 'idempotency_error', 'idempotency_key_reused', 'Idempotency-Key')]);
    const e = await shouyin.checkoutSessions.create(params, { idempotencyKey: 'k' }).catch((x) => x);
    expect(e).toBeInstanceOf(IdempotencyError);
    expect(e.param).toBe('Idempotency-Key');
    expect(sent).toHaveLength(1);
  });

  it('abandons a try after timeoutMs and retries it with the same key', async () => {
    const hang = (_req: unknown, signal: AbortSignal | undefined) =>
      new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const { shouyin, sent } = client([hang, json(session, 201)], { timeoutMs: 20 });
    expect(await shouyin.checkoutSessions.create(params)).toEqual(session);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.headers['idempotency-key']).toBe(sent[1]!.headers['idempotency-key']);

    const once = client([hang], { timeoutMs: 20, maxRetries: 0 });
    const e = await once.shouyin.checkoutSessions.retrieve(session.id).catch((x) => x);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.code).toBe('timeout');
  });

  it('stops at the caller’s abort, retries and all, with the caller’s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('shopper left');
    const hang = (_req: unknown, signal: AbortSignal | undefined) =>
      new Promise<Response>((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason));
        controller.abort(reason);
      });
    const { shouyin, sent } = client([hang, json(session)]);
    await expect(shouyin.checkoutSessions.retrieve(session.id, { signal: controller.signal })).rejects.toBe(reason);
    expect(sent).toHaveLength(1);
  });

  it('honours Retry-After (capped by retryMaxDelayMs)', async () => {
    const { shouyin, sent } = client([apiError(503, 'api_error', 'internal_error', undefined, { 'retry-after': '1' }), json(session)], {
      retryMaxDelayMs: 40,
    });
    const t0 = Date.now();
    await shouyin.checkoutSessions.retrieve(session.id);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(35);
    expect(sent).toHaveLength(2);
  });

  it('escapes ids in paths and refuses an empty one before sending anything', async () => {
    const { shouyin, sent } = client([json(session)]);
    await shouyin.checkoutSessions.retrieve('cs_../../refunds?x=1');
    expect(sent[0]!.url).toBe(`${BASE_URL}/v1/checkout/sessions/cs_..%2F..%2Frefunds%3Fx%3D1`);
    // An empty id would address the list route instead of one session.
    expect(() => shouyin.checkoutSessions.retrieve('')).toThrow(/id must be a non-empty id/);
    expect(() => shouyin.webhookEndpoints.listDeliveries('')).toThrow(TypeError);
    expect(sent).toHaveLength(1);
  });
});

describe('errors', () => {
  it('maps each error type to its class, with code, param, status and the request id', async () => {
    const { shouyin } = client([apiError(409, 'conflict_error', 'merchant_order_id_in_use', 'merchant_order_id', { 'cf-ray': '8f1c2a-SJC' })]);
    const e = await shouyin.checkoutSessions.create(params).catch((x) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect(e).toMatchObject({
      name: 'ConflictError',
      type: 'conflict_error',
      code: 'merchant_order_id_in_use',
      param: 'merchant_order_id',
      status: 409,
      requestId: '8f1c2a-SJC',
      message: 'merchant_order_id_in_use happened',
    });
  });

  it('turns a body that is not a Shouyin error into an ApiError quoting it', async () => {
    const html = new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } });
    const { shouyin } = client([html], { maxRetries: 0 });
    const e = await shouyin.checkoutSessions.retrieve(session.id).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'unexpected_response', status: 502 });
    expect(e.message).toContain('502 Bad Gateway');
  });

  it('keeps an error type it does not know as a plain ShouyinError', async () => {
    const { shouyin } = client([apiError(418, 'teapot_error', 'short_and_stout')]);
    const e = await shouyin.refunds.retrieve('re_1').catch((x) => x);
    expect(e.constructor.name).toBe('ShouyinError');
    expect(e).toMatchObject({ type: 'teapot_error', code: 'short_and_stout', status: 418 });
  });

  it('answers a 2xx that is not JSON with an ApiError', async () => {
    const { shouyin } = client([new Response('ok', { status: 200 })]);
    await expect(shouyin.checkoutSessions.retrieve(session.id)).rejects.toMatchObject({ name: 'ApiError', code: 'unexpected_response', status: 200 });
  });
});

describe('new Shouyin()', () => {
  it('takes only a secret key, and never repeats the key it refuses', () => {
    const clientSecret = 'cs_aaaaaaaaaaaaaaaaaaaaaaaa_secret_bbbbbbbbbbbbbbbbbbbbbbbb';
    expect(() => new Shouyin({ apiKey: clientSecret, baseUrl: BASE_URL })).toThrow(/sk_test_… or sk_live_…/);
    try {
      new Shouyin({ apiKey: clientSecret, baseUrl: BASE_URL });
    } catch (e) {
      expect((e as Error).message).not.toContain('bbbbbbbb');
    }
    expect(() => new Shouyin({ apiKey: 'pk_test_123', baseUrl: BASE_URL })).toThrow(TypeError);
  });

  it('takes the deployment’s origin, not a URL ending in /v1', async () => {
    expect(() => new Shouyin({ apiKey: API_KEY, baseUrl: 'pay.example.com' })).toThrow(/absolute URL/);
    expect(() => new Shouyin({ apiKey: API_KEY, baseUrl: `${BASE_URL}/v1` })).toThrow(/without \/v1/);
    const { shouyin, sent } = client([json(session)], { baseUrl: 'https://example.test/pay/' });
    await shouyin.checkoutSessions.retrieve(session.id);
    expect(sent[0]!.url).toBe(`https://example.test/pay/v1/checkout/sessions/${session.id}`);
  });

  it('refuses to run in a browser page unless told to', () => {
    const g = globalThis as { document?: unknown };
    g.document = {};
    try {
      expect(() => new Shouyin({ apiKey: API_KEY, baseUrl: BASE_URL })).toThrow(/servers only/);
      expect(() => new Shouyin({ apiKey: API_KEY, baseUrl: BASE_URL, dangerouslyAllowBrowser: true })).not.toThrow();
    } finally {
      delete g.document;
    }
  });

  it('uses the global fetch by default, looked up at call time', async () => {
    const real = globalThis.fetch;
    const seen: string[] = [];
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      seen.push(String(input));
      return json(session);
    }) as typeof fetch;
    try {
      const shouyin = new Shouyin({ apiKey: API_KEY, baseUrl: BASE_URL });
      await shouyin.checkoutSessions.retrieve(session.id);
    } finally {
      globalThis.fetch = real;
    }
    expect(seen).toEqual([`${BASE_URL}/v1/checkout/sessions/${session.id}`]);
  });
});

describe('the worker’s error types', () => {
  it('has one error class for every type the Worker answers with (worker/src/lib/errors.ts)', async () => {
    const { ErrorType } = await import('../../../worker/src/lib/errors.js');
    const { ERROR_CLASSES } = await import('../src/index.js');
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual(Object.values(ErrorType).sort());
    for (const [type, Class] of Object.entries(ERROR_CLASSES)) {
      const { shouyin } = client([apiError(400, type, 'some_code')], { maxRetries: 0 });
      const e = await shouyin.refunds.retrieve('re_1').catch((x) => x);
      expect(e).toBeInstanceOf(Class);
      expect(e.type).toBe(type);
    }
  });
});
