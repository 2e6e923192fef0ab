import { describe, expect, it } from 'vitest';
import { createRoute } from '@hono/zod-openapi';
import { apiApp, issueToError, paramName, required, z } from './openapi';
import { errorResponse } from '../routes/http';

describe('schema validation errors', () => {
  const app = apiApp();
  app.onError((e) => errorResponse(e));
  app.openapi(
    createRoute({
      method: 'post',
      path: '/things',
      request: {
        query: z.object({ 'created[gte]': z.coerce.number().int().optional() }),
        body: {
          content: { 'application/json': { schema: z.strictObject({ name: z.string(), items: z.array(z.object({ amount: z.number().int().min(1) })) }) } },
        },
      },
      responses: { 200: { description: 'ok' } },
    }),
    (c) => c.json({ ok: true }),
  );
  const post = (body: unknown, q = '') =>
    app.request(`/things${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('names a missing field', async () => {
    const res = await post({ items: [] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'parameter_missing', param: 'name' });
  });
  it('names a nested invalid field with brackets', async () => {
    const res = await post({ name: 'x', items: [{ amount: 0 }] });
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'parameter_invalid', param: 'items[0].amount' });
  });
  it('names an unknown field', async () => {
    const res = await post({ name: 'x', items: [], amount: 5 });
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'parameter_unknown', param: 'amount' });
  });
  it('names a bracketed query parameter', async () => {
    const res = await post({ name: 'x', items: [] }, '?created[gte]=soon');
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: 'parameter_invalid', param: 'created[gte]' });
  });
  it('passes a valid request', async () => {
    expect((await post({ name: 'x', items: [{ amount: 1 }] })).status).toBe(200);
  });
  it('formats paths', () => {
    expect(paramName(['a', 0, 'b'])).toBe('a[0].b');
  });
});

describe('issueToError', () => {
  const schema = z.strictObject({
    amount: z.number({ error: required('amount (integer, in fen).', 'amount must be an integer.') }),
    code: z.custom<string>((v) => v === 'ok', { error: 'code is not a payment code.', params: { code: 'auth_code_invalid' } }),
  });
  const errorOf = (v: unknown) => {
    const r = schema.safeParse(v);
    if (r.success) throw new Error('accepted');
    return issueToError(r.error.issues).toData();
  };

  it('names an unknown parameter before anything else (it is usually a misspelled field)', () => {
    expect(errorOf({ amonut: 1 })).toMatchObject({ code: 'parameter_unknown', param: 'amonut', message: 'Received unknown parameter: amonut.' });
  });
  it("keeps a schema's own missing and invalid messages", () => {
    expect(errorOf({ code: 'ok' })).toEqual({
      type: 'invalid_request_error',
      code: 'parameter_missing',
      param: 'amount',
      message: 'Missing required param: amount (integer, in fen).',
    });
    expect(errorOf({ amount: 'x', code: 'ok' })).toMatchObject({ code: 'parameter_invalid', param: 'amount', message: 'amount must be an integer.' });
  });
  it('answers with the catalogue code a custom check names', () => {
    expect(errorOf({ amount: 1, code: 'no' })).toMatchObject({ code: 'auth_code_invalid', param: 'code', message: 'code is not a payment code.' });
  });
  it("adds a strict object's own hint to an unknown parameter", () => {
    const hinted = z.strictObject({ a: z.string() }, { error: (i) => (i.code === 'unrecognized_keys' ? 'This call takes only a.' : undefined) });
    const r = hinted.safeParse({ a: 'x', b: 1 });
    expect(issueToError(r.error!.issues).message).toBe('Received unknown parameter: b. This call takes only a.');
  });
});
