// Provider orders of one session after they are made: queried while open (notifies get lost), at a
// pace that follows whether a shopper watches the session (schedules.ts, nextQuery), and closed when
// the session ends or is paid another way. A payment either one finds goes to
// the Durable Object's one applyPayment (the decision is decidePayment in state-machine.ts).
// Payment-code orders are never closed: they are queried and reversed by barcode-engine.ts.

import type { PaymentIdentity, PaymentFacts } from '../providers/types';
import type { BarcodeEngine } from './barcode-engine';
import type { SessionHost } from './refund-engine';
import { CLOSE_RETRY_MS, ORDER_EXPIRY_MARGIN_MS, at, nextQuery, type QueryPace } from './schedules';
import type { AttemptRow, DueRow } from './store';

export type OrderFault = 'query.beforeStore' | 'query.afterStore' | 'close.beforeProvider' | 'close.afterProvider';

/** What the engine needs from the session's Durable Object: the refund engine's host, plus applyPayment. */
export interface OrderHost extends Omit<SessionHost, 'fault'> {
  fault(point: OrderFault): Promise<void> | undefined;
  /** The Durable Object's one way to apply a payment (decidePayment, events, anomalies, refunds). */
  applyPayment(p: PaymentFacts, raw: unknown, identity: PaymentIdentity, source: 'query'): void;
  /** Whether a shopper watches the session now (a status WebSocket, a long-poll, a recent status request). */
  watched(): boolean;
}

/** The pace a due query row was scheduled at: `away` in its payload, the step in its `tries`. */
const paceOf = (row: DueRow): QueryPace => ({ away: (JSON.parse(row.payload) as { away?: boolean }).away === true, step: row.tries });

const providerData = (a: AttemptRow): Record<string, string> | undefined =>
  a.provider_data ? (JSON.parse(a.provider_data) as Record<string, string>) : undefined;

export class OrderEngine {
  constructor(
    private readonly host: OrderHost,
    private readonly barcode: Pick<BarcodeEngine, 'query' | 'giveUp'>,
  ) {}

  /**
   * Schedules the query after `last` (null: the first, as the QR or redirect is handed out), `from`
   * then, at the pace the shopper's presence calls for now. Synchronous: callers may run it inside
   * their transaction.
   */
  scheduleQuery(attemptId: string, last: QueryPace | null, from = this.host.now()): void {
    const next = nextQuery(last, this.host.watched());
    const payload = next.away ? { attempt: attemptId, away: true } : { attempt: attemptId };
    this.host.store.schedule(`query:${attemptId}`, 'query', from + next.delayMs, payload, next.step);
  }

  /**
   * A shopper is watching (again): queries paced for nobody watching go back to the watched pace,
   * from its first step; with `restart` (a status WebSocket just opened), watched ones too. Returns
   * whether anything moved (the caller re-arms the alarm).
   */
  resume(restart: boolean): boolean {
    const { store } = this.host;
    const soon = this.host.now() + nextQuery(null, true).delayMs;
    let moved = false;
    for (const a of store.attempts()) {
      if (a.status !== 'pending' || a.flow === 'barcode' || a.next_action === null) continue;
      const row = store.dueItem(`query:${a.id}`);
      if (!row || row.at <= soon || !(restart || paceOf(row).away)) continue;
      this.scheduleQuery(a.id, null);
      moved = true;
    }
    return moved;
  }

  /** One query of one attempt; re-schedules itself while the order is open. */
  async query(attemptId: string, tries: number): Promise<void> {
    const { store } = this.host;
    const a = store.attempt(attemptId);
    if (a?.flow === 'barcode') return this.barcode.query(attemptId, tries);
    const s = store.session();
    if (!a || !s || a.status !== 'pending' || a.next_action === null) return store.unschedule(`query:${attemptId}`);
    const resolved = this.host.resolvedFor(a);
    const now = this.host.now();
    let state: string;
    try {
      const q = await resolved.provider.query(this.host.providerCtx(), resolved.config, attemptId, providerData(a));
      await this.host.fault('query.beforeStore');
      state = q.state;
      if (q.state === 'paid') this.host.applyPayment(q.payment, q.raw, resolved.identity, 'query');
      else if (q.state === 'closed') store.setAttemptStatus(attemptId, 'closed');
      await this.host.fault('query.afterStore');
    } catch (e) {
      console.warn(`query ${attemptId} failed: ${e instanceof Error ? e.message : String(e)}`);
      state = 'error';
    }
    const after = store.attempt(attemptId);
    const session = this.host.session();
    if (
      after?.status === 'pending' &&
      (state === 'pending' || state === 'not_found' || state === 'error') &&
      (session.status === 'open' || now < session.expires_at)
    ) {
      // The row as it stands now: a shopper may have come back while the provider answered (resume).
      const row = store.dueItem(`query:${attemptId}`);
      this.scheduleQuery(attemptId, row ? paceOf(row) : { away: false, step: tries }, now);
    } else {
      store.unschedule(`query:${attemptId}`);
    }
  }

  /** Before the session ends: closes each open order, leaving a retry for those the provider did not confirm. */
  async closeAll(attemptIds: readonly string[], why: 'expired' | 'canceled'): Promise<void> {
    for (const attemptId of attemptIds) {
      if (!(await this.close(attemptId, why))) {
        // The provider could not be reached: keep trying from the alarm. The order stops being
        // payable at its own time_expire anyway; a payment before that is a late payment.
        this.host.store.schedule(`close:${attemptId}`, 'close', this.host.now() + at(CLOSE_RETRY_MS, 0), { attempt: attemptId }, 1);
      }
    }
  }

  /** Closes one provider order. Returns false when it must be retried. */
  async close(attemptId: string, why: 'expired' | 'canceled' | 'paid_elsewhere'): Promise<boolean> {
    const { store } = this.host;
    const a = store.attempt(attemptId);
    if (!a || a.status === 'closed' || a.status === 'succeeded') {
      store.unschedule(`close:${attemptId}`);
      return true;
    }
    if (a.flow === 'barcode') {
      // A payment-code order is never closed: it is reversed (which also refunds it if it got paid),
      // and the reversal keeps its own retries.
      store.unschedule(`close:${attemptId}`);
      await this.barcode.giveUp(attemptId, why);
      return true;
    }
    const resolved = this.host.resolvedFor(a);
    const ctx = this.host.providerCtx();
    await this.host.fault('close.beforeProvider');
    try {
      const r = await resolved.provider.close(ctx, resolved.config, attemptId, providerData(a));
      await this.host.fault('close.afterProvider');
      if (r.state === 'not_found' && this.host.now() < this.host.session().expires_at + ORDER_EXPIRY_MARGIN_MS) {
        // Nothing to close yet, but not closed either. A create whose answer was lost (a timeout, a
        // gateway's error page) may still land; an Alipay precreate trade is made when the QR is
        // scanned, a cashier's when the shopper submits it, and either can still be paid until the
        // order's own time_expire (https://opendocs.alipay.com/open/6f534d7f_alipay.trade.query?pathHash=98c03720,
        // https://opendocs.alipay.com/open/f540afd8_alipay.trade.precreate?pathHash=d3c84596). Closed again
        // on the retry schedule until a margin past the session's expires_at (the order's time_expire):
        // a trade made meanwhile is closed then, or found paid and applied (a late payment, refunded,
        // once the session has ended).
        return false;
      }
      if (r.state === 'already_paid') {
        // The provider refused to close because the shopper paid: learn the payment and apply it.
        const q = await resolved.provider.query(ctx, resolved.config, attemptId, providerData(a));
        if (q.state !== 'paid') return false;
        this.host.applyPayment(q.payment, q.raw, resolved.identity, 'query');
      } else if (a.status !== 'failed') {
        store.setAttemptStatus(attemptId, 'closed');
      }
      store.unschedule(`close:${attemptId}`);
      store.unschedule(`query:${attemptId}`);
      return true;
    } catch (e) {
      console.warn(`close ${attemptId} failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }
}
