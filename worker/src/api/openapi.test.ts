import { describe, expect, it } from 'vitest';
import { createRoute } from '@hono/zod-openapi';
import { apiApp, paramName, z } from './openapi';
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
