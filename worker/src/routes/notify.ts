// Provider notify endpoints (docs/architecture.md): size cap and strict UTF-8 before anything else, verify on the raw bytes,
// route to the session's Durable Object by the attempt id, and send the provider's success ack
// only after the Durable Object has stored the effect.

import { Hono } from 'hono';
import { CHANNELS, type Channel } from '../contract';
import { ShouyinError, VerificationError } from '../lib/errors';
import { providerContext } from '../lib/outbound';
import { merchantById, publicBaseUrl } from '../merchants';
import { resolveProvider } from '../providers/registry';
import type { Ack, NotifyEvent } from '../providers/types';
import { issuedSessionStub, sessionIdOfAttempt } from '../session/ids';
import { readBody, type AppEnv } from './http';

export const MAX_NOTIFY_BODY = 64 * 1024;

export const notifyRoutes = new Hono<AppEnv>();

const toResponse = (a: Ack): Response => new Response(a.body === '' ? null : a.body, { status: a.status, headers: a.headers });

notifyRoutes.post('/:channel/:merchant', async (c) => {
  const channel = c.req.param('channel');
  const merchant = await merchantById(c.env, c.req.param('merchant'));
  if (!(CHANNELS as readonly string[]).includes(channel) || !merchant) return c.text('unknown notify endpoint', 404);
  const resolved = resolveProvider(merchant, channel as Channel);
  if (!resolved) return c.text('channel not configured', 404);
  const { provider, config, identity } = resolved;

  let body: string;
  try {
    // Strict UTF-8, the BOM kept for the rail to judge, no Content-Encoding, at most 64 KB even when
    // chunked (docs/reliability.md, "Notify bodies").
    body = await readBody(c.req.raw, MAX_NOTIFY_BODY, { keepBom: true });
  } catch (e) {
    if (!(e instanceof ShouyinError)) throw e;
    // Logged by its code only: the body is never logged.
    console.info(`notify rejected (${provider.id}/${merchant.id}): ${e.code}${e.param ? ` (${e.param})` : ''}`);
    if (e.code === 'body_too_large') return toResponse(provider.ack(false, { reason: 'too_large', message: 'body too large' }));
    // Not UTF-8, or compressed: malformed, answered like any other notify that does not verify.
    return toResponse(provider.ack(false, { reason: 'unverified', message: e.message }));
  }
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => {
    headers[k.toLowerCase()] = v;
  });

  const ctx = providerContext(publicBaseUrl(c.env), merchant.livemode, () => Date.now());
  let event: NotifyEvent;
  try {
    event = await provider.parseNotify(ctx, config, { method: c.req.method, headers, body, contentType: headers['content-type'] ?? '' });
  } catch (e) {
    if (e instanceof VerificationError) {
      // Forged, probed (WECHATPAY/SIGNTEST/) or stale: no state change, never the success ack.
      console.info(`notify rejected (${provider.id}/${merchant.id}): ${e.code}`);
      return toResponse(provider.ack(false, { reason: 'unverified', message: `verification failed: ${e.code}` }));
    }
    throw e;
  }

  const attemptId = event.kind === 'payment' ? event.payment.attemptId : event.attemptId;
  const sessionId = sessionIdOfAttempt(attemptId);
  const stub = sessionId ? await issuedSessionStub(c.env, sessionId) : null;
  if (!stub) {
    console.warn(`verified notify for an order that is not ours: ${attemptId}`);
    return toResponse(provider.ack(false, { reason: 'unknown_order', message: 'unknown order' }));
  }
  try {
    const r = await stub.applyNotify(merchant.id, event, identity);
    if (!r.ok) return toResponse(provider.ack(false, { reason: 'unknown_order', message: r.error.message }));
  } catch (e) {
    // Not stored → the provider must retry.
    console.error(`notify for ${attemptId} not stored: ${e instanceof Error ? e.message : String(e)}`);
    return toResponse(provider.ack(false, { reason: 'not_stored', message: 'temporarily unable to store' }));
  }
  return toResponse(provider.ack(true));
});
