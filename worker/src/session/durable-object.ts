// One Durable Object per checkout session, so every change to a session happens in one place and is
// stored before anyone is told. It persists what the pure state machine decides, calls providers,
// keeps one alarm over a table of due work (expiry, closing and querying provider orders, refunds,
// webhooks, event indexing, reversing payment codes the till gave up on) and pushes every change to
// open widgets (hibernatable WebSockets and long-polls). Refunds live in refund-engine.ts, in-store
// payment codes in barcode-engine.ts, querying and closing provider orders in order-engine.ts;
// applying a payment any of them finds stays here (applyPayment).

import { DurableObject } from 'cloudflare:workers';
import type { AttemptResponse, Channel, Flow, PublicChannel, PublicSessionView, SessionStatus, StatusView } from '../contract';
import type { MerchantConfig } from '../config';
import { timingSafeEqual } from '../crypto/timing-safe';
import type { Env } from '../env';
import { ErrorCode, ErrorType, ShouyinError, errorDataResponse, type ErrorData } from '../lib/errors';
import { OUTBOUND_TIMEOUT_MS, providerContext } from '../lib/outbound';
import { merchantById, publicBaseUrl } from '../merchants';
import { beijingDay } from '../bills/time';
import { outcomeOf } from '../reports/outcomes';
import { paymentOfEvent } from '../reports/payment-index';
import { eventLogFor, limiterFor, listIndexFor, paymentIndexFor, statsShardName, utcDay, webhooksFor } from '../shards';
import { takeToken, type BucketState } from '../lib/token-bucket';
import { resolveProvider, resolveProviderById, type ResolvedProvider } from '../providers/registry';
import type { PaymentIdentity, NotifyEvent, PaymentFacts, ProviderContext } from '../providers/types';
import { BarcodeEngine } from './barcode-engine';
import { detectEnvironment, usableFlows } from './environment';
import { STREAM_SECRET_HEADER, attemptIdFor } from './ids';
import { MAX_ATTEMPTS_PER_SESSION, MERCHANT_ATTEMPTS, SESSION_ATTEMPTS } from './limits';
import { hostedPageUrl, providerReturnUrl } from './links';
import { OrderEngine } from './order-engine';
import { RefundEngine } from './refund-engine';
import { decideRefund, refundObject, type RefundObject } from './refunds';
import { DAY_MS, purgeAt, retentionDays } from './retention';
import { CLOSE_RETRY_MS, LISTING_RETRY_MS, PRESENCE_WINDOW_MS, at } from './schedules';
import { decideEnd, decidePayment, decideStartAttempt } from './state-machine';
import { SessionStore, type AttemptRow, type DueRow, type SessionRow } from './store';
import { sessionTimeline, type SessionTimeline } from './timeline';
import {
  listingRecord,
  merchantSession,
  publicAttempt,
  publicView,
  statusView,
  type BarcodePaymentView,
  type MerchantSession,
  type SessionLinks,
} from './views';
import { deliverWebhook, recordEvent, resendWebhook, type EndpointDirectory } from './webhooks';
import type { DeliveryRecord } from '../webhooks/fanout';

export interface SessionInit {
  id: string;
  merchantId: string;
  livemode: boolean;
  amount: number;
  description: string;
  merchantOrderId: string;
  channels: Channel[];
  clientSecret: string;
  /** Seconds from creation; `expires_at` and `created` come from the same clock reading. */
  expiresInSeconds: number;
  returnUrl: string | null;
  cancelUrl: string | null;
  metadata: Record<string, string>;
}

/** A refusal crosses the RPC boundary as plain ErrorData; the route maps it to HTTP (lib/errors.ts). */
export type Rpc<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

const fail = (type: ErrorType, code: ErrorCode, message: string, param?: string): { ok: false; error: ErrorData } => ({
  ok: false,
  error: new ShouyinError(type, code, message, param).toData(),
});
const NOT_FOUND = fail(ErrorType.not_found, ErrorCode.request.resource_missing, 'No such checkout session.');
const rateLimited = (who: string, retryAfterMs: number) =>
  fail(
    ErrorType.invalid_request,
    ErrorCode.session.attempts_rate_limited,
    `Payment attempts are being started too quickly for ${who}. Try again in ${Math.ceil(retryAfterMs / 1000)} s.`,
  );
/** The facts key of the session's attempt bucket (limits.ts). */
const ATTEMPT_BUCKET = 'attempt_bucket';
/** The client API's answer for an id that is no session: the widget says so instead of retrying. */
const CLIENT_NOT_FOUND = fail(ErrorType.not_found, ErrorCode.session.session_not_found, 'No such checkout session.');

/**
 * Status WebSockets one session holds open (docs/widget.md): a checkout page needs one, a few tabs a
 * few more. The caps keep one client (or many) from pinning an unbounded number of sockets on a session
 * every status change is pushed to; over them the upgrade is refused with 429 and the widget long-polls.
 */
export const MAX_STREAMS_PER_SESSION = 20;
export const MAX_STREAMS_PER_IP = 5;

export type NotifyOutcome = 'paid' | 'already_applied' | 'anomaly' | 'recorded';
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
  /** The widget's language (its Accept-Language) and whether it runs on the hosted page: where the shopper is sent back (links.ts). */
  locale?: string;
  hosted?: boolean;
}

export const MAX_LONG_POLL_MS = 30_000;
/** Delivery records sent to the merchant's delivery log in one call. */
const REPORT_BATCH = 50;
/** Passes one alarm makes over the due work (each item is retried on its own schedule, never at once). */
const ALARM_ROUNDS = 4;
/** A shopper returning from a cashier triggers at most one immediate query per this interval. */
export const RECHECK_INTERVAL_MS = 2_000;

/** Named points where tests inject a crash, to prove that no crash between two steps loses or repeats an effect. */
export type FaultPoint =
  | 'notify.beforeStore'
  | 'notify.afterStore'
  | 'query.beforeStore'
  | 'query.afterStore'
  | 'close.beforeProvider'
  | 'close.afterProvider'
  | 'refund.beforeRequest'
  | 'refund.afterProvider'
  | 'refund.afterStore'
  | 'webhook.afterSend'
  | 'webhook.afterStore'
  | 'barcode.afterPay'
  | 'reverse.afterProvider'
  | 'index.beforeWrite'
  | 'index.afterWrite'
  | 'alarm.start';

/**
 * How an armed fault point fires. `throw`: an Error in the live object (its memory survives).
 * `restart`: the object is reset (ctx.abort), as when the machine dies: everything in memory is gone,
 * storage stays, and the next request or alarm gets a new instance.
 */
export type FaultMode = 'throw' | 'restart';

/**
 * An in-flight item (an entry point runs it itself) counts as due this long after now, so that if the
 * object dies during it, an alarm is there to run it (the entry point re-arms when it ends).
 */
const IN_FLIGHT_BACKSTOP_MS = 60_000;

export class CheckoutSession extends DurableObject<Env> {
  /** Injected so tests can move time; everything time-dependent reads it. */
  clock: { now(): number } = { now: () => Date.now() };
  /** Fault injection for tests (a provider that times out, answers 5xx…); unset in production. */
  providerFetch: ((request: Request) => Promise<Response>) | null = null;
  /**
   * How long one provider request may take before it is aborted (lib/outbound.ts): a shopper starting
   * an attempt is answered within it, well inside the widget's own request timeout. Tests shorten it.
   */
  providerTimeoutMs = OUTBOUND_TIMEOUT_MS;
  /** Armed fault points; each fires once. Empty in production. */
  readonly faults = new Set<FaultPoint>();
  /** How the armed fault points fire (tests only; faults is empty in production). */
  faultMode: FaultMode = 'throw';
  private storeInstance: SessionStore | undefined;
  private waiters = new Set<() => void>();
  private creating = new Map<string, Promise<Rpc<AttemptResponse>>>();
  /**
   * Due items an entry point is running itself (a refund's first request, made while the merchant's
   * call waits): an alarm that fires meanwhile leaves them alone, and the entry point re-arms when it
   * ends. In memory only: if the object dies, the alarm runs them.
   */
  private readonly inFlight = new Set<string>();
  private lastRecheck = 0;
  private alarmChain: Promise<void> = Promise.resolve();
  /** The list index write started by publishSoon, while it runs. */
  private publishing: Promise<void> | null = null;
  /**
   * The session's merchant as of the current entry point (RPC method, fetch, alarm): merchants.ts is
   * async, the engines read the merchant synchronously, so each entry point loads it first (enter()).
   */
  private loaded: MerchantConfig | null = null;
  /** The session clock's time of the last status request or return (in memory: lost on eviction, which only slows the pace). */
  private lastSeen = Number.NEGATIVE_INFINITY;
  private readonly refunds: RefundEngine;
  private readonly barcode: BarcodeEngine;
  private readonly orders: OrderEngine;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const self = this;
    // One host for the engines: each reads only what its interface names.
    const host = {
      get store(): SessionStore {
        return self.store;
      },
      now: () => this.clock.now(),
      transaction: (fn: () => void) => ctx.storage.transactionSync(fn),
      session: () => this.requireSession(),
      merchant: () => this.merchant(this.requireSession()),
      resolvedFor: (a: AttemptRow) => this.resolvedFor(a),
      providerCtx: () => this.providerCtx(this.merchant(this.requireSession())),
      notifyUrl: (channel: string) => `${publicBaseUrl(this.env)}/notify/${channel}/${this.requireSession().merchant_id}`,
      applyPayment: (p: PaymentFacts, raw: unknown, identity: PaymentIdentity, source: 'pay' | 'query') => void this.applyPayment(p, raw, identity, source),
      fault: (point: FaultPoint) => this.fault(point),
      changed: () => this.wake(),
      rearm: () => this.rearm(),
      watched: () => this.watched(),
    };
    this.refunds = new RefundEngine(host);
    this.barcode = new BarcodeEngine(host);
    this.orders = new OrderEngine(host, this.barcode);
    // Keep-alives are answered without waking the object from hibernation.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    // After a crash or a restart: due work with no alarm to run it gets one before anything else runs.
    void ctx.blockConcurrencyWhile(() => this.rearmAfterRestart());
  }

  /** A new instance of a session with due work but no alarm (the old one died between storing and arming): arms it. */
  private async rearmAfterRestart(): Promise<void> {
    if (!this.existing()) return;
    const next = this.store.nextDueAt();
    if (next !== null && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  /**
   * The session's tables, created on first use. Only a session that exists needs them: a request for
   * an unknown id (a stale client secret, a guess) reads existing() and never writes the schema, so
   * it leaves no object behind.
   */
  get store(): SessionStore {
    this.storeInstance ??= new SessionStore(this.ctx.storage.sql, () => this.clock.now());
    return this.storeInstance;
  }

  /** The session row, or null when this object holds none — without creating tables to find out. */
  private existing(): SessionRow | null {
    if (!this.storeInstance) {
      const tables = this.ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'session'").toArray();
      if (tables.length === 0) return null;
    }
    return this.store.session();
  }

  /** Fires `point` if a test armed it (awaited where it stands, so that a restart stops everything after it). */
  private fault(point: FaultPoint): Promise<void> | undefined {
    if (!this.faults.delete(point)) return undefined;
    const reason = `injected fault at ${point}`;
    if (this.faultMode === 'throw') throw new Error(reason);
    // What was stored before the point reaches disk, then the object is reset: nothing after it runs.
    return this.ctx.storage.sync().then(() => {
      this.ctx.abort(reason);
      throw new Error(reason);
    });
  }

  // ── merchant API ───────────────────────────────────────────────────────────────────────────────

  async create(init: SessionInit): Promise<MerchantSession> {
    if (this.store.session()) throw new Error(`session ${init.id} already exists`);
    const now = this.clock.now();
    const expiresAt = now + init.expiresInSeconds * 1000;
    // The only place a session's tables are made (store.ts): reaching the object stores nothing.
    this.store.init();
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
        expires_at: expiresAt,
        created: now,
        return_url: init.returnUrl,
        metadata: JSON.stringify(init.metadata),
        paid_attempt_id: null,
        paid_at: null,
        version: 1,
      });
      if (init.cancelUrl) this.store.setFact('cancel_url', init.cancelUrl);
      this.store.schedule('expire', 'expire', expiresAt);
    });
    await this.rearm();
    return this.merchantView(this.requireSession());
  }

  statusForMerchant(merchantId: string): SessionStatus | null {
    const s = this.existing();
    return s && s.merchant_id === merchantId ? s.status : null;
  }

  retrieve(merchantId: string): MerchantSession | null {
    const s = this.existing();
    return s && s.merchant_id === merchantId ? this.merchantView(s) : null;
  }

  async cancel(merchantId: string): Promise<Rpc<MerchantSession>> {
    await this.enter();
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId) return NOT_FOUND;
    const r = await this.end('canceled');
    if (!r.ok) return r;
    return { ok: true, value: this.merchantView(this.requireSession()) };
  }

  /** For a merchant's app (e.g. the `app` flow's signed order string), authenticated by the secret key. */
  async merchantStartAttempt(merchantId: string, channel: Channel, flow: Flow, client: ClientInfo): Promise<Rpc<AttemptResponse>> {
    await this.enter();
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId) return NOT_FOUND;
    return this.startAttemptOnce(s, channel, flow, client);
  }

  async createRefund(merchantId: string, req: { amount?: number; reason?: string }): Promise<Rpc<RefundObject>> {
    await this.enter();
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId) return NOT_FOUND;
    const paid = s.paid_attempt_id ? this.store.attempt(s.paid_attempt_id) : null;
    const d = decideRefund(s, paid?.paid_amount ?? s.amount, this.store.refunds(), req.amount);
    if (!d.ok) return fail(d.type, d.code, d.message, d.param);
    const refundNo = this.refunds.insert(paid!.id, d.amount, req.reason ?? null, 'merchant');
    this.inFlight.add(`refund:${refundNo}`);
    try {
      // Armed first: should the object die during the provider call, the alarm makes the request.
      await this.rearm();
      await this.refunds.run(refundNo, 0);
    } finally {
      this.inFlight.delete(`refund:${refundNo}`);
    }
    await this.rearm();
    return { ok: true, value: refundObject(this.store.refund(refundNo)!, this.requireSession(), this.store.attempt(paid!.id)) };
  }

  /**
   * In store: the till scanned the shopper's payment code (`code` is digits; the route decided the
   * channel from its prefix). Answers once the provider has, or `processing` while it is confirmed.
   */
  async merchantBarcode(merchantId: string, channel: Channel, code: string, client: ClientInfo): Promise<Rpc<BarcodePaymentView>> {
    await this.enter();
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId) return NOT_FOUND;
    const resolved = resolveProvider(this.merchant(s), channel);
    if (!resolved) {
      return fail(
        ErrorType.invalid_request,
        ErrorCode.session.channel_unavailable,
        `This is a ${channel} payment code, but the merchant has no ${channel} provider configured.`,
        'auth_code',
      );
    }
    return this.barcode.start(resolved, channel, code, client.ip ? { ip: client.ip } : {});
  }

  /** The session's newest payment-code charge, for the till to poll. */
  merchantBarcodeView(merchantId: string): BarcodePaymentView | null {
    const s = this.existing();
    return s && s.merchant_id === merchantId ? this.barcode.view() : null;
  }

  /** Everything the session went through, for its merchant (session/timeline.ts). */
  timeline(merchantId: string): SessionTimeline | null {
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId) return null;
    return sessionTimeline(
      s,
      this.store.attempts(),
      this.store.refunds(),
      this.store.providerMessages(),
      this.store.anomalies(),
      this.store.events().map((e) => ({ ...e, deliveries: this.store.deliveries(e.id) })),
      { cancel_url: this.store.fact('cancel_url'), url: '' },
    );
  }

  retrieveRefund(merchantId: string, refundNo: string): RefundObject | null {
    const s = this.existing();
    const r = this.store.refund(refundNo);
    return s && r && s.merchant_id === merchantId ? refundObject(r, s, this.store.attempt(r.attempt_id)) : null;
  }

  /**
   * `POST /v1/events/:id/retry` for one of this session's events: sends it now (same webhook-id) to the
   * named endpoint or to every enabled endpoint subscribed to it, and answers with the tries made.
   */
  async retryWebhook(merchantId: string, eventId: string, endpointId?: string): Promise<Rpc<DeliveryRecord[]>> {
    await this.enter();
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId || !this.store.event(eventId)) {
      return fail(ErrorType.not_found, ErrorCode.request.resource_missing, `No such event: '${eventId}'.`);
    }
    try {
      const records = await resendWebhook(
        this.store,
        this.merchant(s),
        eventId,
        endpointId,
        this.clock.now(),
        publicBaseUrl(this.env),
        this.endpointDirectory(s.merchant_id),
        (fn) => this.ctx.storage.transactionSync(fn),
      );
      await this.rearm();
      return { ok: true, value: records };
    } catch (e) {
      if (e instanceof ShouyinError) return { ok: false, error: e.toData() };
      throw e;
    }
  }

  // ── client API (the widget) ────────────────────────────────────────────────────────────────────

  /** The merchant id, for WeChat's JSAPI OAuth hop (its link is signed: routes/wechat-oauth.ts). Null: no such session. */
  merchantIdForCors(): string | null {
    return this.existing()?.merchant_id ?? null;
  }

  /**
   * The session's merchant, for the client API's origin check, when `secret` is this session's client
   * secret; null otherwise, so a wrong secret learns no more than an unknown session would (a page on an
   * unlisted origin is told `origin_not_allowed` only with the right secret).
   */
  merchantIdForClient(secret: string): string | null {
    const s = this.authorizeClient(secret);
    return s.ok ? s.value.merchant_id : null;
  }

  async clientView(secret: string, userAgent?: string): Promise<Rpc<PublicSessionView>> {
    await this.enter();
    const s = this.authorizeClient(secret);
    if (!s.ok) return s;
    const merchant = this.merchant(s.value);
    const channels = this.publicChannels(s.value, merchant, userAgent);
    return { ok: true, value: publicView(s.value, this.store.attemptsForShopper(), merchant.name, channels, this.store.fact('cancel_url')) };
  }

  async clientWait(secret: string, version: number, waitMs: number): Promise<Rpc<StatusView>> {
    const s = this.authorizeClient(secret);
    if (!s.ok) return s;
    await this.seen(false);
    if (this.requireSession().version === version && waitMs > 0) {
      let wake!: () => void;
      const changed = new Promise<void>((resolve) => (wake = resolve));
      this.waiters.add(wake);
      const timer = setTimeout(wake, Math.min(waitMs, MAX_LONG_POLL_MS));
      await changed;
      clearTimeout(timer);
      this.waiters.delete(wake);
      this.lastSeen = this.clock.now();
    }
    return { ok: true, value: statusView(this.requireSession(), this.store.attemptsForShopper()) };
  }

  async clientStartAttempt(secret: string, channel: Channel, flow: Flow, client: ClientInfo): Promise<Rpc<AttemptResponse>> {
    await this.enter();
    const s = this.authorizeClient(secret);
    if (!s.ok) return s;
    return this.startAttemptOnce(s.value, channel, flow, client);
  }

  /**
   * The shopper came back from a cashier or wallet (`/return/:id`). That is a hint, never proof:
   * ask the provider now about every open attempt, then report what the session says.
   */
  async recheck(): Promise<{ status: SessionStatus; returnUrl: string | null; cancelUrl: string | null; merchantName: string } | null> {
    await this.enter();
    if (!this.existing()) return null;
    await this.shopperBack();
    const after = this.requireSession();
    return { status: after.status, returnUrl: after.return_url, cancelUrl: this.store.fact('cancel_url'), merchantName: this.merchant(after).name };
  }

  /**
   * The payer's WeChat openid, learned by the JSAPI OAuth hop (worker/src/routes/wechat-oauth.ts, which
   * checks its signed state before calling this). A JSAPI prepay names its payer by this openid.
   */
  rememberWechatOpenid(appid: string, openid: string): boolean {
    if (!this.existing() || !/^[\w-]{1,128}$/.test(openid)) return false;
    this.store.setFact(`wechat_openid:${appid}`, openid);
    return true;
  }

  wechatOpenid(appid: string): string | null {
    return this.store.fact(`wechat_openid:${appid}`);
  }

  /**
   * `GET …/stream`: a hibernatable WebSocket that receives the StatusView on connect and on every change.
   * The Worker's stream route (routes/client-stream.ts) hands over the client secret it read in
   * STREAM_SECRET_HEADER, and the subprotocol it selected, if any, in Sec-WebSocket-Protocol.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const s = this.authorizeClient(request.headers.get(STREAM_SECRET_HEADER) ?? '');
    if (!s.ok) return errorDataResponse(s.error);
    // The shopper's IP as Cloudflare's edge saw it; sockets are tagged with it, so the count per IP
    // survives hibernation (getWebSockets(tag)). Without the header (never at the edge) all share one tag.
    const ipTag = `ip:${request.headers.get('cf-connecting-ip') ?? 'unknown'}`;
    const open = (sockets: WebSocket[]) => sockets.filter((ws) => ws.readyState === WebSocket.READY_STATE_OPEN).length;
    if (open(this.ctx.getWebSockets()) >= MAX_STREAMS_PER_SESSION) {
      return errorDataResponse(
        fail(
          ErrorType.invalid_request,
          ErrorCode.session.too_many_streams,
          `This checkout session already has ${MAX_STREAMS_PER_SESSION} status WebSockets open; close one or poll GET …/status instead.`,
        ).error,
      );
    }
    if (open(this.ctx.getWebSockets(ipTag)) >= MAX_STREAMS_PER_IP) {
      return errorDataResponse(
        fail(
          ErrorType.invalid_request,
          ErrorCode.session.too_many_streams,
          `This client already has ${MAX_STREAMS_PER_IP} status WebSockets open on this checkout session; close one or poll GET …/status instead.`,
        ).error,
      );
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [ipTag]);
    server.send(JSON.stringify(statusView(s.value, this.store.attemptsForShopper())));
    await this.seen(true);
    // A browser that offered subprotocols fails the connection unless one of them is selected (RFC 6455 §4.1).
    const protocol = request.headers.get('sec-websocket-protocol');
    return new Response(null, { status: 101, webSocket: client, headers: protocol ? { 'sec-websocket-protocol': protocol } : {} });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The only message a widget sends besides `ping` (auto-answered) is a request for the status,
    // when its tab is shown again or the wallet said "ok" (docs/widget.md): a likely payment, so the
    // provider is asked too.
    if (message === 'status') {
      const s = this.existing();
      if (!s) return;
      ws.send(JSON.stringify(statusView(s, this.store.attemptsForShopper())));
      // Woken from hibernation: the queries below need the merchant's credentials.
      await this.enter();
      await this.shopperBack();
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }

  // ── attempts ───────────────────────────────────────────────────────────────────────────────────

  /** Two clicks (or two tabs) must not create two provider orders for the same channel and flow. */
  private startAttemptOnce(s: SessionRow, channel: Channel, flow: Flow, client: ClientInfo): Promise<Rpc<AttemptResponse>> {
    const key = `${channel}:${flow}`;
    const inflight = this.creating.get(key);
    if (inflight) return inflight;
    const p = this.startAttempt(s, channel, flow, client).finally(() => this.creating.delete(key));
    this.creating.set(key, p);
    return p;
  }

  private async startAttempt(s: SessionRow, channel: Channel, flow: Flow, client: ClientInfo): Promise<Rpc<AttemptResponse>> {
    const merchant = this.merchant(s);
    const resolved = resolveProvider(merchant, channel);
    if (!resolved?.provider.flows.includes(flow)) {
      return fail(ErrorType.invalid_request, ErrorCode.session.flow_unavailable, `The flow '${flow}' is not available for '${channel}'.`, 'flow');
    }
    // A new provider order is limited (limits.ts); reusing the open one is not. The merchant-wide
    // limit is asked of another object, so the decision is taken again after it.
    if (decideStartAttempt(this.store.state()!, channel, flow, this.clock.now()).kind === 'create') {
      const limited = await this.limitNewAttempt(s.merchant_id);
      if (limited) return limited;
    }
    const now = this.clock.now();
    const d = decideStartAttempt(this.store.state()!, channel, flow, now);
    if (d.kind === 'reject') return fail(ErrorType.conflict, d.code, d.message);
    if (d.kind === 'reuse') {
      const a = this.store.attempt(d.attemptId);
      if (a?.next_action) {
        const view = publicAttempt(a);
        return { ok: true, value: { attempt: view, next_action: view.next_action! } };
      }
      // A pending attempt without an action never finished its provider call; close it like any other.
    }
    const closeFirst = d.kind === 'create' ? d.closeFirst : [d.attemptId];
    const seq = this.store.nextAttemptSeq();
    const id = attemptIdFor(s.id, seq);
    // Stored before the provider call, with its close already due: until the provider's answer is
    // stored, the order it may have made is one Shouyin must close (docs/reliability.md#provider-faults-during-creation).
    // The close is in flight (this entry point holds it), so the alarm leaves it alone unless the
    // object dies mid-call; then the alarm closes the order within IN_FLIGHT_BACKSTOP_MS.
    const closeKey = `close:${id}`;
    this.inFlight.add(closeKey);
    this.ctx.storage.transactionSync(() => {
      this.store.insertAttempt({
        id,
        seq,
        channel,
        flow,
        provider: resolved.provider.id,
        status: 'pending',
        created: now,
        next_action: null,
        provider_data: null,
        anomaly: null,
        provider_transaction_id: null,
        paid_amount: null,
        paid_at: null,
      });
      // Channel switch: the previous orders are closed so the checkout is paid once; a payment that
      // lands on one anyway is a duplicate payment, refunded as an anomaly.
      for (const old of closeFirst) this.store.schedule(`close:${old}`, 'close', now, { attempt: old });
      this.store.schedule(closeKey, 'close', now, { attempt: id });
    });
    try {
      return await this.createProviderOrder(s, merchant, resolved, id, channel, flow, client);
    } finally {
      this.inFlight.delete(closeKey);
      await this.rearm();
    }
  }

  /** The provider call of an attempt stored (pending, its close due) by startAttempt. */
  private async createProviderOrder(
    s: SessionRow,
    merchant: MerchantConfig,
    resolved: ResolvedProvider,
    id: string,
    channel: Channel,
    flow: Flow,
    client: ClientInfo,
  ): Promise<Rpc<AttemptResponse>> {
    await this.rearm();
    const base = publicBaseUrl(this.env);
    // A flow that needs the payer's id (WeChat JSAPI's openid) gets the one the OAuth hop stored, if any.
    const openid = resolved.entry.payerOauth ? this.wechatOpenid(resolved.identity.appId ?? '') : null;
    try {
      const result = await resolved.provider.createAttempt(this.providerCtx(merchant), resolved.config, {
        attemptId: id,
        flow,
        amount: s.amount,
        currency: 'CNY',
        description: s.description,
        expiresAt: s.expires_at,
        notifyUrl: `${base}/notify/${channel}/${merchant.id}`,
        // The provider sends the shopper back here; /return re-checks before showing anything.
        returnUrl: providerReturnUrl(base, s.id, client),
        client: openid ? { ...client, openid } : client,
        merchantOrderId: s.merchant_order_id,
        metadata: JSON.parse(s.metadata) as Record<string, string>,
      });
      this.ctx.storage.transactionSync(() => {
        this.store.setAttemptAction(id, result.nextAction, result.providerData);
        // The order is known now: it is queried while open and closed with the session, not now.
        this.store.unschedule(`close:${id}`);
        // Query fallback: notifies get lost; ask the provider while the order is open, at a pace that
        // follows whether the shopper watches (schedules.ts).
        this.orders.scheduleQuery(id, null);
      });
      await this.rearm();
      this.wake();
      const view = publicAttempt(this.store.attempt(id)!);
      return { ok: true, value: { attempt: view, next_action: view.next_action! } };
    } catch (e) {
      // The provider may still have created the order (a timeout after it accepted, a gateway's error
      // page in front of its answer): the close stays due, and a close that finds no order is tried
      // again until the order's time_expire (order-engine.ts, close).
      this.ctx.storage.transactionSync(() => {
        this.store.setAttemptStatus(id, 'failed');
        this.store.schedule(`close:${id}`, 'close', this.clock.now(), { attempt: id });
      });
      await this.rearm();
      this.wake();
      console.warn(`attempt ${id} (${resolved.provider.id}) failed: ${e instanceof Error ? e.message : String(e)}`);
      return fail(ErrorType.provider, ErrorCode.provider.provider_unavailable, `${channel} could not start the payment. Please try again.`);
    }
  }

  /**
   * Refuses a new attempt over the session's cap, its rate, or the merchant's rate (limits.ts). The
   * session's token is taken first, so a burst of concurrent starts cannot all pass. If the merchant's
   * limiter cannot be reached the attempt goes ahead: the limit protects capacity, never money.
   */
  private async limitNewAttempt(merchantId: string): Promise<{ ok: false; error: ErrorData } | null> {
    const made = this.store.attempts().filter((a) => a.flow !== 'barcode').length;
    if (made >= MAX_ATTEMPTS_PER_SESSION) {
      return fail(
        ErrorType.conflict,
        ErrorCode.session.attempt_limit_reached,
        `This checkout session has started ${MAX_ATTEMPTS_PER_SESSION} payment attempts, the most it allows. Create a new checkout session.`,
      );
    }
    const now = this.clock.now();
    const stored = this.store.fact(ATTEMPT_BUCKET);
    const mine = takeToken(stored ? (JSON.parse(stored) as BucketState) : null, SESSION_ATTEMPTS, now);
    this.store.setFact(ATTEMPT_BUCKET, JSON.stringify(mine.state));
    if (!mine.ok) return rateLimited('this checkout session', mine.retryAfterMs);
    try {
      const merchant = await limiterFor(this.env, merchantId).takeToken(merchantId, 'attempts', MERCHANT_ATTEMPTS, now);
      if (!merchant.ok) return rateLimited('this merchant', merchant.retryAfterMs);
    } catch (e) {
      console.warn(`attempt limiter for ${merchantId} unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    return null;
  }

  // ── provider notifies and queries ──────────────────────────────────────────────────────────────

  /**
   * Applies a verified notify. Returns only after the effect is stored, so the caller may send the
   * provider its success ack (never before).
   */
  async applyNotify(merchantId: string, event: NotifyEvent, identity: PaymentIdentity): Promise<Rpc<NotifyOutcome>> {
    await this.enter();
    const s = this.existing();
    if (!s || s.merchant_id !== merchantId) return fail(ErrorType.not_found, ErrorCode.request.resource_missing, 'Unknown order.');
    await this.fault('notify.beforeStore');
    // A verified message this session already stored (and so applied): the provider retrying, or
    // anyone replaying what they saw (UnionPay's front-channel fields reach the browser). It is
    // counted, never stored or applied twice, so replays cannot grow storage or repeat anomalies.
    const attemptId = event.kind === 'payment' ? event.payment.attemptId : event.attemptId;
    if (this.store.repeatOfProviderMessage(this.clock.now(), attemptId, 'notify', event.raw)) return { ok: true, value: 'already_applied' };
    let outcome: NotifyOutcome = 'recorded';
    if (event.kind === 'payment') {
      outcome = this.applyPayment(event.payment, event.raw, identity, 'notify');
    } else if (event.kind === 'refund') {
      this.store.recordProviderMessage(this.clock.now(), event.attemptId, 'notify', `refund:${event.state}`, event.raw);
      const r = this.store.refund(event.refundId);
      if (r && r.status === 'pending' && event.state !== 'pending') {
        this.refunds.settle(r, { state: event.state, raw: event.raw, ...(event.providerRefundId ? { providerRefundId: event.providerRefundId } : {}) });
      }
    } else {
      this.store.recordProviderMessage(this.clock.now(), event.attemptId, 'notify', event.state, event.raw);
    }
    await this.rearm();
    await this.fault('notify.afterStore');
    return { ok: true, value: outcome };
  }

  private applyPayment(p: PaymentFacts, raw: unknown, identity: PaymentIdentity, source: 'notify' | 'query' | 'pay'): NotifyOutcome {
    const now = this.clock.now();
    const d = decidePayment(this.store.state()!, p, identity);
    let outcome: NotifyOutcome = 'already_applied';
    this.ctx.storage.transactionSync(() => {
      this.store.recordProviderMessage(now, p.attemptId, source, d.kind === 'anomaly' ? `anomaly:${d.reason}` : d.kind, raw);
      if (d.kind === 'paid') {
        this.store.recordAttemptPayment(d.attemptId, p.providerTransactionId, p.amount, p.paidAt, null);
        this.barcode.markPaid(d.attemptId, now);
        this.store.markPaid(d.attemptId, p.paidAt);
        this.store.unschedule('expire');
        this.store.unschedule(`query:${d.attemptId}`);
        for (const a of this.store.attempts()) {
          if (a.status === 'pending') this.store.schedule(`close:${a.id}`, 'close', now, { attempt: a.id });
        }
        this.emit('checkout.session.paid', now);
        outcome = 'paid';
      } else if (d.kind === 'anomaly') {
        // Another rail's payment is not on this attempt's order: the attempt stays as it is (its own
        // order may still be paid), nothing is refunded through its provider, and the event names the
        // rail the money is on.
        const foreign = d.reason === 'channel_mismatch';
        const known = foreign ? null : this.store.attempt(d.attemptId);
        if (known) {
          this.store.recordAttemptPayment(d.attemptId, p.providerTransactionId, p.amount, p.paidAt, d.reason);
          this.barcode.markPaid(d.attemptId, now);
          this.store.unschedule(`query:${d.attemptId}`);
        }
        this.store.insertAnomaly(d.attemptId, d.reason, now, source, { payment: p, raw });
        const s = this.requireSession();
        const merchant = this.merchant(s);
        // Late and duplicate payments go back to the shopper, in full, through the provider.
        const refundNo =
          known && d.refund && merchant.auto_refund_anomalies ? this.refunds.insert(d.attemptId, p.amount, `anomaly: ${d.reason}`, 'anomaly') : null;
        recordEvent(this.store, merchant, 'payment.anomaly', now, {
          object: 'payment.anomaly',
          session: s.id,
          merchant_order_id: s.merchant_order_id,
          attempt: d.attemptId,
          reason: d.reason,
          channel: foreign ? identity.channel : (known?.channel ?? null),
          provider: foreign ? identity.provider : (known?.provider ?? null),
          amount: p.amount,
          currency: p.currency,
          provider_transaction_id: p.providerTransactionId,
          refund: refundNo ? { status: 'pending', id: `re_${refundNo}` } : d.refund ? { status: 'disabled' } : { status: 'not_applicable' },
          evidence: raw,
        });
        outcome = 'anomaly';
      }
    });
    // A payment-code order the till gave up on: its reversal (again) returns the money.
    if (d.kind === 'reverse') {
      this.barcode.reverseAgain(d.attemptId);
      outcome = 'recorded';
    }
    if (outcome !== 'already_applied') this.wake();
    return outcome;
  }

  // ── expiry, cancel, close ──────────────────────────────────────────────────────────────────────

  /** Closes every open provider order, then ends the session — unless one of them turns out paid. */
  private async end(status: 'expired' | 'canceled'): Promise<Rpc<true>> {
    const d = decideEnd(this.store.state()!, status);
    if (d.kind === 'reject') return fail(ErrorType.conflict, d.code, d.message);
    await this.orders.closeAll(d.closeAttempts, status);
    const again = decideEnd(this.store.state()!, status);
    // A close revealed a payment: the session is paid, not ended.
    if (again.kind === 'reject') return fail(ErrorType.conflict, again.code, again.message);
    const now = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.store.setStatus(status);
      this.store.unschedule('expire');
      this.emit(status === 'expired' ? 'checkout.session.expired' : 'checkout.session.canceled', now);
    });
    this.wake();
    await this.rearm();
    return { ok: true, value: true };
  }

  // ── due work ───────────────────────────────────────────────────────────────────────────────────

  /**
   * The runtime never runs two alarms of one object at once; a test harness that fires the alarm by
   * hand may, while the real one runs. Alarms are chained so each sees what the previous one stored.
   */
  override alarm(): Promise<void> {
    const run = this.alarmChain.then(() => this.runAlarm());
    this.alarmChain = run.catch(() => {});
    return run;
  }

  private async runAlarm(): Promise<void> {
    // However the work below fails, the alarm is set again for what is still due: the runtime retries
    // a failed alarm only a few times, then drops it (docs/reliability.md#fault-tests).
    try {
      await this.enter();
      await this.fault('alarm.start');
      const now = this.clock.now();
      // Work the due items make due at once (the event of an expiry, the list index write of any change,
      // the delivery report of a webhook try) runs in the same alarm, a few rounds at most.
      for (let round = 0; round < ALARM_ROUNDS; round++) {
        const due = this.store.dueBy(now).filter((d) => !this.inFlight.has(d.key));
        if (due.length === 0) break;
        for (const item of due) {
          // Deleted by the retention purge in this same alarm: nothing left to do.
          if (!this.store.session()) break;
          try {
            await this.runDue(item, now);
          } catch (e) {
            console.error(`due item ${item.key} failed: ${e instanceof Error ? e.message : String(e)}`);
            this.store.schedule(item.key, item.kind, now + 60_000, JSON.parse(item.payload), item.tries + 1);
          }
        }
      }
    } finally {
      await this.rearm();
    }
  }

  private async runDue(item: DueRow, now: number): Promise<void> {
    const payload = JSON.parse(item.payload) as { attempt?: string; refund?: string; event?: string };
    switch (item.kind) {
      case 'expire': {
        const s = this.store.session();
        if (s?.status !== 'open') return this.store.unschedule(item.key);
        if (now < s.expires_at) return this.store.schedule(item.key, 'expire', s.expires_at);
        await this.end('expired');
        return;
      }
      case 'close': {
        const status = this.store.session()?.status;
        if (!(await this.orders.close(payload.attempt!, status === 'expired' || status === 'canceled' ? status : 'paid_elsewhere'))) {
          this.store.schedule(item.key, 'close', now + at(CLOSE_RETRY_MS, item.tries), payload, item.tries + 1);
        }
        return;
      }
      case 'reverse':
        return this.barcode.reverse(payload.attempt!, item.tries);
      case 'query':
        return this.orders.query(payload.attempt!, item.tries);
      case 'refund':
        return this.refunds.run(payload.refund!, item.tries);
      case 'webhook': {
        const s = this.requireSession();
        await deliverWebhook(
          this.store,
          this.merchant(s),
          item,
          now,
          publicBaseUrl(this.env),
          this.endpointDirectory(s.merchant_id),
          (fn) => this.ctx.storage.transactionSync(fn),
          // The merchant answered (2xx or not), nothing of it is stored yet.
          () => this.fault('webhook.afterSend'),
        );
        await this.fault('webhook.afterStore');
        return;
      }
      case 'listing':
        return this.publishListing(item, now);
      case 'report':
        return this.reportDeliveries(item, now);
      case 'purge':
        return this.purge(now);
      case 'index': {
        const e = this.store.event(payload.event!);
        const s = this.requireSession();
        if (e) {
          await eventLogFor(this.env, s.merchant_id, utcDay(e.created)).appendEvent(s.merchant_id, {
            id: e.id,
            type: e.type,
            created: e.created,
            session: s.id,
            body: e.data,
          });
          await this.fileReports(s, e);
        }
        return this.store.unschedule(item.key);
      }
    }
  }

  /**
   * Copies the session (and its refunds) into the merchant's list index at its current version. A
   * change made while the write is on its way schedules `listing` again, and that schedule is kept: it
   * is removed only if the version written is still the session's. The index keeps the highest version,
   * so a write repeated after a crash, or arriving late, changes nothing (docs/merchant-api.md).
   */
  private async publishListing(item: DueRow, now: number): Promise<void> {
    const s = this.store.session();
    if (!s) return this.store.unschedule(item.key);
    const record = listingRecord(s, this.store.attempts(), this.store.refunds(), this.links(s));
    try {
      await this.fault('index.beforeWrite');
      await listIndexFor(this.env, s.merchant_id).upsertListing(s.merchant_id, record);
      await this.fault('index.afterWrite');
    } catch (e) {
      console.warn(`session ${s.id}: list index write failed, retrying: ${e instanceof Error ? e.message : String(e)}`);
      return this.store.schedule(item.key, 'listing', now + at(LISTING_RETRY_MS, item.tries), {}, item.tries + 1);
    }
    this.ctx.storage.transactionSync(() => {
      this.store.setFact('listed_version', String(record.session.version));
      if (this.requireSession().version === record.session.version) this.store.unschedule(item.key);
    });
  }

  /** Sends webhook tries to the merchant's delivery log (idempotent by delivery id), in batches. */
  private async reportDeliveries(item: DueRow, now: number): Promise<void> {
    const s = this.requireSession();
    const rows = this.store.unreportedDeliveries(REPORT_BATCH);
    if (rows.length > 0) {
      try {
        await webhooksFor(this.env, s.merchant_id).recordDeliveries(
          s.merchant_id,
          rows.map((d) => ({
            id: d.id!,
            event_id: d.event_id,
            event_type: d.event_type,
            endpoint_id: d.endpoint_id ?? 'we_config',
            attempt: d.try,
            at: d.at,
            status: d.status,
            error: d.error,
            duration_ms: d.duration_ms ?? 0,
            next_retry_at: d.next_retry_at,
          })),
        );
      } catch (e) {
        console.warn(`session ${s.id}: delivery log write failed, retrying: ${e instanceof Error ? e.message : String(e)}`);
        return this.store.schedule(item.key, 'report', now + at(LISTING_RETRY_MS, item.tries), {}, item.tries + 1);
      }
    }
    this.ctx.storage.transactionSync(() => {
      this.store.markReported(rows.map((d) => d.id!));
      if (this.store.unreportedDeliveries(1).length === 0) this.store.unschedule(item.key);
      else this.store.schedule(item.key, 'report', 0);
    });
  }

  /** The merchant's API webhook endpoints, with their signing secrets, from its webhook shard. */
  private endpointDirectory(merchantId: string): EndpointDirectory {
    return () => webhooksFor(this.env, merchantId).deliveryEndpoints(merchantId);
  }

  /**
   * Retention (retention.ts, docs/data-retention.md): once the session is over, its deletion is due
   * some days after its newest event. Computed from the stored events, so reading a session (or
   * replaying a message at it) never postpones it; a refund or an anomaly does.
   */
  private retentionDue(): number | null {
    const s = this.store.session();
    if (!s || s.status === 'open') return null;
    const moneyMoved = this.store.attempts().some((a) => a.paid_amount !== null) || this.store.refunds().length > 0 || this.store.anomalies().length > 0;
    return purgeAt(this.store.lastEventAt() ?? s.created, moneyMoved, retentionDays(this.env));
  }

  /** Deletes everything the session stored, unless it is not due yet or other work is still due. */
  private async purge(now: number): Promise<void> {
    const due = this.retentionDue();
    const s = this.store.session();
    if (due === null || !s) return this.store.unschedule('purge');
    const pending = this.store.allDue().some((d) => d.kind !== 'purge');
    if (now < due || pending) {
      // Something happened since (a refund), or a webhook or a refund is still being retried.
      return this.store.schedule('purge', 'purge', Math.max(due, now + DAY_MS));
    }
    // The list index's copy goes first (a write still on its way finishes before): once the session is
    // gone nothing would ever update it. A failure leaves everything for the next try.
    await this.publishing;
    await listIndexFor(this.env, s.merchant_id).removeListing(s.merchant_id, s.id);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(1000, 'deleted');
      } catch {
        // already closing
      }
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // From now on the object answers as for a session that never existed.
    this.store.forget();
  }

  /**
   * The merchant-wide reports an event feeds (worker/src/reports): how the session ended, per Beijing
   * day, and which session a provider transaction id belongs to. Idempotent, like the whole index item.
   */
  private async fileReports(s: SessionRow, e: { id: string; type: string; created: number; data: string }): Promise<void> {
    const outcome = outcomeOf(e, s, this.store.attempts(), s.paid_attempt_id);
    if (outcome) await this.env.MERCHANT_SHARDS.getByName(statsShardName(s.merchant_id, beijingDay(e.created))).recordOutcome(s.merchant_id, outcome);
    const payment = paymentOfEvent(e.type, e.data);
    if (payment) await paymentIndexFor(this.env, s.merchant_id, payment.provider_transaction_id).indexPayment(s.merchant_id, { ...payment, at: e.created });
  }

  private async rearm(): Promise<void> {
    this.publishSoon();
    const purge = this.retentionDue();
    if (purge !== null && !this.store.allDue().some((d) => d.kind === 'purge')) this.store.schedule('purge', 'purge', purge);
    const next = this.nextAlarmAt();
    if (next === null) return this.ctx.storage.deleteAlarm();
    // The alarm runs on wall-clock time; tests that move `clock` fire it with runDurableObjectAlarm.
    await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  /**
   * When the alarm is next needed: the next due item, leaving out those an entry point is running itself
   * but not beyond IN_FLIGHT_BACKSTOP_MS while one is, in case the object dies before that entry point ends.
   */
  private nextAlarmAt(): number | null {
    const next = this.store.nextDueAt([...this.inFlight]);
    if (this.inFlight.size === 0) return next;
    const backstop = this.clock.now() + IN_FLIGHT_BACKSTOP_MS;
    return next === null ? backstop : Math.min(next, backstop);
  }

  // ── who is watching: the query fallback's pace (schedules.ts, docs/reliability.md) ───────────────

  /** A shopper watches now: a status WebSocket open, a long-poll held, or a status request within PRESENCE_WINDOW_MS. */
  private watched(): boolean {
    if (this.waiters.size > 0 || this.clock.now() - this.lastSeen < PRESENCE_WINDOW_MS) return true;
    return this.ctx.getWebSockets().some((ws) => ws.readyState === WebSocket.READY_STATE_OPEN);
  }

  /** A shopper is here: queries paced for nobody watching return to the watched pace (`restart`: a socket opened, from its start). */
  private async seen(restart: boolean): Promise<void> {
    this.lastSeen = this.clock.now();
    if (this.store.session()?.status === 'open' && this.orders.resume(restart)) await this.rearm();
  }

  /**
   * The shopper signals a likely payment (back from a cashier through /return, the checkout tab shown
   * again): ask the provider about every open attempt now, at most once per RECHECK_INTERVAL_MS.
   */
  private async shopperBack(): Promise<void> {
    const now = this.clock.now();
    this.lastSeen = now;
    if (this.store.session()?.status !== 'open' || now - this.lastRecheck < RECHECK_INTERVAL_MS) return;
    this.lastRecheck = now;
    for (const a of this.store.attempts()) if (a.status === 'pending') await this.orders.query(a.id, 0);
    await this.rearm();
  }

  /**
   * A change was stored (every path that stores one re-arms the alarm): copy it into the list index now,
   * in the background, rather than on an alarm of its own. The `listing` due item stays until the write
   * is acknowledged, so a write that fails or never finishes is made by the alarm instead (its retries
   * are the alarm's: this only makes the first try). Never awaited by the caller: a notify is acked
   * without waiting for a merchant-wide object (docs/architecture.md, "State").
   */
  private publishSoon(): void {
    if (this.publishing) return;
    const item = this.store.dueItem('listing');
    if (!item || item.tries > 0) return;
    const run = this.publishListing(item, this.clock.now())
      .catch((e: unknown) => console.error(`session list index write failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        this.publishing = null;
      });
    this.publishing = run;
    this.ctx.waitUntil(run.then(() => this.afterPublish()));
  }

  /**
   * After a background publish: a change made meanwhile is published too, and an alarm set only for the
   * publish's fallback moves to whatever is due next. Only ever later: an entry point still running (a
   * refund awaiting its provider, its item already due) re-arms itself when it ends, and an alarm
   * brought forward here would run that same item beside it.
   */
  private async afterPublish(): Promise<void> {
    this.publishSoon();
    const current = await this.ctx.storage.getAlarm();
    const next = this.nextAlarmAt();
    if (current === null) return;
    if (next === null) return this.ctx.storage.deleteAlarm();
    const at = Math.max(next, Date.now());
    if (at > current) await this.ctx.storage.setAlarm(at);
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private emit(type: 'checkout.session.paid' | 'checkout.session.expired' | 'checkout.session.canceled', now: number): void {
    const s = this.requireSession();
    recordEvent(this.store, this.merchant(s), type, now, this.merchantView(s));
  }

  /** Wakes long-polls and pushes the new status to every open WebSocket. */
  private wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const message = JSON.stringify(statusView(this.requireSession(), this.store.attemptsForShopper()));
    for (const ws of sockets) {
      try {
        ws.send(message);
      } catch {
        // a socket that is closing; the widget falls back to polling
      }
    }
  }

  private authorizeClient(secret: string): Rpc<SessionRow> {
    const s = this.existing();
    if (!s) return CLIENT_NOT_FOUND;
    // A wrong secret reads exactly like no session at all: a prober holding a session id (from a
    // return URL, say) learns nothing of whether it is live (SECURITY.md, "Client secrets").
    if (!timingSafeEqual(secret, s.client_secret)) return CLIENT_NOT_FOUND;
    return { ok: true, value: s };
  }

  /** Loads the session's merchant for this entry point (merchants.ts caches it in the isolate). */
  private async enter(): Promise<void> {
    const id = this.existing()?.merchant_id;
    this.loaded = id ? ((await merchantById(this.env, id)) ?? null) : null;
  }

  private merchant(s: SessionRow): MerchantConfig {
    const m = this.loaded;
    if (!m || m.id !== s.merchant_id) throw new Error(`merchant ${s.merchant_id} is no longer configured`);
    return m;
  }

  /** The provider an attempt was made with (by its stored id: the config may have changed since). */
  private resolvedFor(a: AttemptRow): ResolvedProvider {
    const r = resolveProviderById(this.merchant(this.requireSession()), a.provider);
    if (!r) throw new Error(`attempt ${a.id}: provider ${a.provider} is no longer configured`);
    return r;
  }

  /** The channels and the flows usable in the shopper's environment (WeChat's browser, a phone, a desktop). */
  private publicChannels(s: SessionRow, merchant: MerchantConfig, userAgent?: string): PublicChannel[] {
    const env = detectEnvironment(userAgent);
    return (JSON.parse(s.channels) as Channel[]).flatMap((channel) => {
      const r = resolveProvider(merchant, channel);
      if (!r) return [];
      const usable = usableFlows(channel, r.provider.flows, env);
      return [{ channel, flows: usable.flows, ...(usable.notice ? { notice: usable.notice } : {}) }];
    });
  }

  private providerCtx(merchant: MerchantConfig): ProviderContext {
    const timeoutMs = this.providerTimeoutMs;
    const ctx = providerContext(publicBaseUrl(this.env), merchant.livemode, () => this.clock.now(), timeoutMs);
    const injected = this.providerFetch;
    // An injected fault gets the same deadline as the network: its request carries the timeout signal.
    return injected ? { ...ctx, fetch: (req) => injected(new Request(req, { signal: AbortSignal.timeout(timeoutMs) })) } : ctx;
  }

  private merchantView(s: SessionRow): MerchantSession {
    return merchantSession(s, this.store.attempts(), this.store.refunds(), this.links(s));
  }

  private links(s: SessionRow): SessionLinks {
    return { cancel_url: this.store.fact('cancel_url'), url: hostedPageUrl(publicBaseUrl(this.env), s.id, s.client_secret) };
  }

  private requireSession(): SessionRow {
    const s = this.store.session();
    if (!s) throw new Error('session not initialised');
    return s;
  }
}
