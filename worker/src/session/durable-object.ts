// One Durable Object per checkout session (architecture §9). It persists what the pure state
// machine decides, calls providers, keeps one alarm over a table of due work (expiry, closing
// provider orders, webhook delivery) and wakes long-polling widgets when something changes.

import { DurableObject } from 'cloudflare:workers';
import type { AttemptResponse, Channel, Flow, PublicSessionView, SessionStatus, StatusView } from '../contract';
import { loadConfig, merchantById, type MerchantConfig } from '../config';
import type { Env } from '../env';
import { providerContext } from '../lib/outbound';
import { resolveProvider, resolveProviderById, type ResolvedProvider } from '../providers/registry';
import type { NotifyEvent, PaymentFacts, ProviderContext } from '../providers/types';
import { timingSafeEqual } from '../crypto/timing-safe';
import { attemptIdFor } from './ids';
import { decideEnd, decidePayment, decideStartAttempt, type ExpectedIdentity } from './state-machine';
import { SessionStore, type DueRow, type SessionRow } from './store';
import { merchantSession, publicAttempt, publicView, statusView, type MerchantSession } from './views';
import { deliverWebhook, recordEvent } from './webhooks';

export interface SessionInit {
  id: string;
  merchantId: string;
  livemode: boolean;
  amount: number;
  description: string;
  merchantOrderId: string;
  channels: Channel[];
  clientSecret: string;
  expiresAt: number;
  returnUrl: string | null;
  metadata: Record<string, string>;
}

export interface RpcError {
  status: number;
  type: string;
  code: string;
  message: string;
  param?: string;
}
export type Rpc<T> = { ok: true; value: T } | { ok: false; error: RpcError };

const fail = (status: number, type: string, code: string, message: string, param?: string): { ok: false; error: RpcError } => ({
  ok: false,
  error: { status, type, code, message, ...(param ? { param } : {}) },
});

export type NotifyOutcome = 'paid' | 'already_applied' | 'anomaly' | 'recorded';

/** Retries for closing a provider order that could not be closed at expiry or cancel. */
const CLOSE_RETRY_MS = [30_000, 120_000, 600_000, 3600_000];
export const MAX_LONG_POLL_MS = 30_000;

export class CheckoutSession extends DurableObject<Env> {
  /** Injected so tests can move time; everything time-dependent reads it. */
  clock: { now(): number } = { now: () => Date.now() };
  /** Fault injection for tests (a provider that times out, answers 5xx…); unset in production. */
  providerFetch: ((request: Request) => Promise<Response>) | null = null;
  readonly store: SessionStore;
  private waiters = new Set<() => void>();
  private creating = new Map<string, Promise<Rpc<AttemptResponse>>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SessionStore(ctx.storage.sql);
  }

  // ── merchant API ───────────────────────────────────────────────────────────────────────────────

  async create(init: SessionInit): Promise<MerchantSession> {
    if (this.store.session()) throw new Error(`session ${init.id} already exists`);
    const now = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.store.insertSession({
        id: init.id,
        merchant_id: init.merchantId,
        livemode: init.livemode ? 1 : 0,
        status: 'open',
        amount: init.amount,
        currency: 'CNY',
        description: init.description,
        merchant_order_id: init.merchantOrderId,
        channels: JSON.stringify(init.channels),
        client_secret: init.clientSecret,
        expires_at: init.expiresAt,
        created: now,
        return_url: init.returnUrl,
        metadata: JSON.stringify(init.metadata),
        paid_attempt_id: null,
        paid_at: null,
        version: 1,
      });
      this.store.schedule('expire', 'expire', init.expiresAt);
    });
    await this.rearm();
    return this.merchantView(this.requireSession());
  }

  statusForMerchant(merchantId: string): SessionStatus | null {
    const s = this.store.session();
    return s && s.merchant_id === merchantId ? s.status : null;
  }

  retrieve(merchantId: string): MerchantSession | null {
    const s = this.store.session();
    return s && s.merchant_id === merchantId ? this.merchantView(s) : null;
  }

  async cancel(merchantId: string): Promise<Rpc<MerchantSession>> {
    const s = this.store.session();
    if (!s || s.merchant_id !== merchantId) return fail(404, 'not_found_error', 'resource_missing', 'No such checkout session.');
    const r = await this.end('canceled');
    if (!r.ok) return r;
    return { ok: true, value: this.merchantView(this.requireSession()) };
  }

  // ── client API (the widget) ────────────────────────────────────────────────────────────────────

  /** The merchant id, for CORS preflights (which carry no credentials). */
  merchantIdForCors(): string | null {
    return this.store.session()?.merchant_id ?? null;
  }

  clientView(secret: string): Rpc<PublicSessionView> {
    const s = this.authorizeClient(secret);
    if (!s.ok) return s;
    const merchant = this.merchant(s.value);
    return { ok: true, value: publicView(s.value, this.store.attempts(), merchant.name, this.publicChannels(s.value, merchant)) };
  }

  async clientWait(secret: string, version: number, waitMs: number): Promise<Rpc<StatusView>> {
    const s = this.authorizeClient(secret);
    if (!s.ok) return s;
    if (s.value.version === version && waitMs > 0) {
      let wake!: () => void;
      const changed = new Promise<void>((resolve) => (wake = resolve));
      this.waiters.add(wake);
      const timer = setTimeout(wake, Math.min(waitMs, MAX_LONG_POLL_MS));
      await changed;
      clearTimeout(timer);
      this.waiters.delete(wake);
    }
    return { ok: true, value: statusView(this.requireSession(), this.store.attempts()) };
  }

  async clientStartAttempt(
    secret: string,
    channel: Channel,
    flow: Flow,
    client: { ip?: string; userAgent?: string },
  ): Promise<Rpc<AttemptResponse>> {
    const s = this.authorizeClient(secret);
    if (!s.ok) return s;
    // Two clicks (or two tabs) must not create two provider orders for the same channel and flow.
    const key = `${channel}:${flow}`;
    const inflight = this.creating.get(key);
    if (inflight) return inflight;
    const p = this.startAttempt(s.value, channel, flow, client).finally(() => this.creating.delete(key));
    this.creating.set(key, p);
    return p;
  }

  private async startAttempt(s: SessionRow, channel: Channel, flow: Flow, client: { ip?: string; userAgent?: string }): Promise<Rpc<AttemptResponse>> {
    const merchant = this.merchant(s);
    const resolved = resolveProvider(merchant, channel);
    if (!resolved || !resolved.provider.flows.includes(flow)) {
      return fail(400, 'invalid_request_error', 'flow_unavailable', `The flow '${flow}' is not available for '${channel}'.`, 'flow');
    }
    const now = this.clock.now();
    const state = this.store.state();
    if (!state) return fail(404, 'not_found_error', 'resource_missing', 'No such checkout session.');
    const d = decideStartAttempt(state, channel, flow, now);
    if (d.kind === 'reject') return fail(409, 'conflict_error', d.code, d.message);
    if (d.kind === 'reuse') {
      const a = this.store.attempt(d.attemptId);
      if (a?.next_action) {
        const view = publicAttempt(a);
        return { ok: true, value: { attempt: view, next_action: view.next_action! } };
      }
      // A pending attempt without an action is one whose provider call never completed; its order
      // (if any) is closed below like any other abandoned attempt.
    }
    const closeFirst = d.kind === 'create' ? d.closeFirst : [d.attemptId];
    const seq = this.store.nextAttemptSeq();
    const id = attemptIdFor(s.id, seq);
    // The attempt row is stored before the provider call: if we crash mid-call, expiry still closes
    // the provider order we may have created.
    this.ctx.storage.transactionSync(() => {
      this.store.insertAttempt({
        id, seq, channel, flow, provider: resolved.provider.id, status: 'pending', created: now,
        next_action: null, provider_data: null, anomaly: null, provider_transaction_id: null, paid_amount: null, paid_at: null,
      });
      for (const old of closeFirst) this.store.schedule(`close:${old}`, 'close', now, { attempt: old });
    });
    await this.rearm();
    const config = loadConfig(this.env);
    try {
      const result = await resolved.provider.createAttempt(this.providerCtx(merchant), resolved.config, {
        attemptId: id,
        flow,
        amount: s.amount,
        currency: 'CNY',
        description: s.description,
        expiresAt: s.expires_at,
        notifyUrl: `${config.public_base_url}/notify/${channel}/${merchant.id}`,
        ...(s.return_url ? { returnUrl: s.return_url } : {}),
        client,
      });
      this.store.setAttemptAction(id, result.nextAction, result.providerData);
      this.wake();
      const view = publicAttempt(this.store.attempt(id)!);
      return { ok: true, value: { attempt: view, next_action: result.nextAction } };
    } catch (e) {
      // The provider may still have created the order (timeout after accept): keep it closable.
      this.store.setAttemptStatus(id, 'failed');
      this.store.schedule(`close:${id}`, 'close', now, { attempt: id });
      await this.rearm();
      this.wake();
      const message = e instanceof Error ? e.message : String(e);
      console.warn(`attempt ${id} (${resolved.provider.id}) failed: ${message}`);
      return fail(502, 'provider_error', 'provider_unavailable', `${channel} could not start the payment. Please try again.`);
    }
  }

  // ── provider notifies ──────────────────────────────────────────────────────────────────────────

  /**
   * Applies a verified notify. Returns only after the effect is stored, so the caller may send the
   * provider its success ack (never before).
   */
  async applyNotify(merchantId: string, event: NotifyEvent, identity: ExpectedIdentity): Promise<Rpc<NotifyOutcome>> {
    const s = this.store.session();
    if (!s || s.merchant_id !== merchantId) return fail(404, 'not_found_error', 'resource_missing', 'Unknown order.');
    const now = this.clock.now();
    if (event.kind === 'payment') {
      const outcome = this.applyPayment(event.payment, event.raw, identity, 'notify');
      if (outcome !== 'already_applied') await this.rearm();
      return { ok: true, value: outcome };
    }
    const attemptId = event.attemptId;
    this.store.recordProviderMessage(now, attemptId, 'notify', event.kind === 'refund' ? `refund:${event.state}` : event.state, event.raw);
    return { ok: true, value: 'recorded' };
  }

  private applyPayment(p: PaymentFacts, raw: unknown, identity: ExpectedIdentity, source: 'notify' | 'query'): NotifyOutcome {
    const now = this.clock.now();
    const state = this.store.state();
    if (!state) throw new Error('applyPayment on an empty session');
    const d = decidePayment(state, p, identity);
    let outcome: NotifyOutcome = 'already_applied';
    this.ctx.storage.transactionSync(() => {
      this.store.recordProviderMessage(now, p.attemptId, source, d.kind === 'anomaly' ? `anomaly:${d.reason}` : d.kind, raw);
      if (d.kind === 'paid') {
        this.store.recordAttemptPayment(d.attemptId, p.providerTransactionId, p.amount, p.paidAt, null);
        this.store.markPaid(d.attemptId, p.paidAt);
        this.store.unschedule('expire');
        for (const a of this.store.attempts()) {
          if (a.status === 'pending') this.store.schedule(`close:${a.id}`, 'close', now, { attempt: a.id });
        }
        this.emit('checkout.session.paid', now);
        outcome = 'paid';
      } else if (d.kind === 'anomaly') {
        if (this.store.attempt(d.attemptId)) {
          this.store.recordAttemptPayment(d.attemptId, p.providerTransactionId, p.amount, p.paidAt, d.reason);
        }
        this.store.insertAnomaly(d.attemptId, d.reason, now, source, { payment: p, raw });
        const s = this.requireSession();
        recordEvent(this.store, this.merchant(s), 'payment.anomaly', now, {
          object: 'payment.anomaly',
          session: s.id,
          merchant_order_id: s.merchant_order_id,
          attempt: d.attemptId,
          reason: d.reason,
          amount: p.amount,
          currency: p.currency,
          provider_transaction_id: p.providerTransactionId,
          // Automatic refunds of late and duplicate payments come with the refunds engine.
          refund: d.refund ? 'manual_review' : 'not_applicable',
        });
        outcome = 'anomaly';
      }
    });
    // Callers re-arm the alarm for the webhook (and closes) this scheduled.
    if (outcome !== 'already_applied') this.wake();
    return outcome;
  }

  // ── expiry, cancel and due work ────────────────────────────────────────────────────────────────

  /** Closes every open provider order, then ends the session — unless one of them turns out paid. */
  private async end(status: 'expired' | 'canceled'): Promise<Rpc<true>> {
    const state = this.store.state();
    if (!state) return fail(404, 'not_found_error', 'resource_missing', 'No such checkout session.');
    const d = decideEnd(state, status);
    if (d.kind === 'reject') return fail(409, 'conflict_error', d.code, d.message);
    for (const attemptId of d.closeAttempts) {
      if (!(await this.closeAttempt(attemptId))) {
        // The provider could not be reached: keep trying from the alarm. The order stops being
        // payable at its own time_expire anyway; a payment before that is a late payment.
        this.store.schedule(`close:${attemptId}`, 'close', this.clock.now() + CLOSE_RETRY_MS[0]!, { attempt: attemptId }, 1);
      }
    }
    const now = this.clock.now();
    const after = this.store.state()!;
    const again = decideEnd(after, status);
    if (again.kind === 'reject') {
      // A close revealed a payment: the session is paid, not ended.
      return fail(409, 'conflict_error', again.code, again.message);
    }
    this.ctx.storage.transactionSync(() => {
      this.store.setStatus(status);
      this.store.unschedule('expire');
      // Orders we could not close stay scheduled; a payment that lands on them is a late payment.
      this.emit(status === 'expired' ? 'checkout.session.expired' : 'checkout.session.canceled', now);
    });
    this.wake();
    await this.rearm();
    return { ok: true, value: true };
  }

  /** Closes one provider order. Returns false when it must be retried. */
  private async closeAttempt(attemptId: string): Promise<boolean> {
    const a = this.store.attempt(attemptId);
    if (!a || a.status === 'closed' || a.status === 'succeeded') {
      this.store.unschedule(`close:${attemptId}`);
      return true;
    }
    const s = this.requireSession();
    const merchant = this.merchant(s);
    const resolved = resolveProviderById(merchant, a.provider);
    if (!resolved) {
      console.error(`attempt ${attemptId}: provider ${a.provider} is no longer configured; cannot close`);
      return false;
    }
    const ctx = this.providerCtx(merchant);
    try {
      const r = await resolved.provider.close(ctx, resolved.config, attemptId);
      if (r.state === 'already_paid') {
        // The provider refused to close because the shopper paid: learn the payment and apply it.
        const q = await resolved.provider.query(ctx, resolved.config, attemptId);
        if (q.state !== 'paid') return false;
        this.applyPayment(q.payment, q.raw, resolved.identity, 'query');
        await this.rearm();
      } else if (a.status !== 'failed') {
        this.store.setAttemptStatus(attemptId, 'closed');
      }
      this.store.unschedule(`close:${attemptId}`);
      return true;
    } catch (e) {
      console.warn(`close ${attemptId} failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  override async alarm(): Promise<void> {
    const now = this.clock.now();
    for (const item of this.store.dueBy(now)) {
      try {
        await this.runDue(item, now);
      } catch (e) {
        console.error(`due item ${item.key} failed: ${e instanceof Error ? e.message : String(e)}`);
        this.store.schedule(item.key, item.kind, now + 60_000, JSON.parse(item.payload), item.tries + 1);
      }
    }
    await this.rearm();
  }

  private async runDue(item: DueRow, now: number): Promise<void> {
    switch (item.kind) {
      case 'expire': {
        const s = this.store.session();
        if (!s || s.status !== 'open') return this.store.unschedule(item.key);
        if (now < s.expires_at) return this.store.schedule(item.key, 'expire', s.expires_at);
        await this.end('expired');
        return;
      }
      case 'close': {
        const { attempt } = JSON.parse(item.payload) as { attempt: string };
        if (await this.closeAttempt(attempt)) return;
        const delay = CLOSE_RETRY_MS[Math.min(item.tries, CLOSE_RETRY_MS.length - 1)]!;
        this.store.schedule(item.key, 'close', now + delay, { attempt }, item.tries + 1);
        return;
      }
      case 'webhook': {
        const s = this.requireSession();
        await deliverWebhook(this.store, this.merchant(s), item, now, loadConfig(this.env));
        return;
      }
    }
  }

  private async rearm(): Promise<void> {
    const next = this.store.nextDueAt();
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    // The alarm runs on wall-clock time; tests that move `clock` fire it with runDurableObjectAlarm.
    await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private emit(type: 'checkout.session.paid' | 'checkout.session.expired' | 'checkout.session.canceled', now: number): void {
    const s = this.requireSession();
    recordEvent(this.store, this.merchant(s), type, now, this.merchantView(s));
  }

  private wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  private authorizeClient(secret: string): Rpc<SessionRow> {
    const s = this.store.session();
    if (!s) return fail(404, 'not_found_error', 'resource_missing', 'No such checkout session.');
    if (!timingSafeEqual(secret, s.client_secret)) {
      return fail(401, 'authentication_error', 'invalid_client_secret', 'The client secret does not belong to this checkout session.');
    }
    return { ok: true, value: s };
  }

  private merchant(s: SessionRow): MerchantConfig {
    const m = merchantById(loadConfig(this.env), s.merchant_id);
    if (!m) throw new Error(`merchant ${s.merchant_id} is no longer configured`);
    return m;
  }

  private publicChannels(s: SessionRow, merchant: MerchantConfig) {
    return (JSON.parse(s.channels) as Channel[]).flatMap((channel) => {
      const r: ResolvedProvider | null = resolveProvider(merchant, channel);
      return r ? [{ channel, flows: [...r.provider.flows] }] : [];
    });
  }

  private providerCtx(merchant: MerchantConfig): ProviderContext {
    const ctx = providerContext(loadConfig(this.env), merchant.livemode, () => this.clock.now());
    return this.providerFetch ? { ...ctx, fetch: this.providerFetch } : ctx;
  }

  private merchantView(s: SessionRow): MerchantSession {
    return merchantSession(s, this.store.attempts());
  }

  private requireSession(): SessionRow {
    const s = this.store.session();
    if (!s) throw new Error('session not initialised');
    return s;
  }
}
