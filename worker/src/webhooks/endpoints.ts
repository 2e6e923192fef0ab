// The merchant's webhook endpoints, its delivery log and its own events, in the merchant shard named
// `<merchant>:webhooks` (shards.ts). Sessions deliver their events themselves (session/webhooks.ts):
// they read the endpoints and their secrets here when they send, and report every try here
// afterwards. This shard decides an endpoint's health from that log — an endpoint whose tries have all
// failed for DISABLE_AFTER_MS, or that answered `410 Gone`, is disabled — and then raises and delivers `webhook_endpoint.disabled`
// itself, with the same fan-out and retries as a session's events (docs/webhooks.md).

import type { MerchantConfig } from '../config';
import type { Env } from '../env';
import type { Position } from '../listing/store';
import { merchantById, publicBaseUrl } from '../merchants';
import { EVENT_LOG_DAYS, eventLogFor, utcDay } from '../shards';
import { newEndpointId, newEventId } from '../session/ids';
import {
  CONFIG_ENDPOINT_ID,
  GONE,
  chooseResendEndpoints,
  configEndpoint,
  runDueTargets,
  subscribed,
  tryTarget,
  type DeliveryEndpoint,
  type DeliveryRecord,
  type TargetRow,
} from './fanout';
import { newEndpointSecret, openSecret, sealSecret } from './secret-box';

/** API endpoints per merchant, besides `we_config`. */
export const MAX_ENDPOINTS = 16;
/** An endpoint whose every try has failed for this long is disabled. */
export const DISABLE_AFTER_MS = 3 * 86_400_000;
/** Delivery log rows older than this are pruned (events themselves are kept 7 days). */
export const DELIVERY_LOG_MS = 30 * 86_400_000;
/**
 * The shard's own copies of events (what it sends, and what it resent) are pruned this long after the
 * event, once no endpoint is still waiting for a try: the event log's window and a day
 * (docs/data-retention.md).
 */
export const SHARD_EVENT_MS = (EVENT_LOG_DAYS + 1) * 86_400_000;
/** How long a rotated-out secret keeps signing by default, and at most (seconds). */
export const DEFAULT_ROTATION_OVERLAP_S = 86_400;
export const MAX_ROTATION_OVERLAP_S = 604_800;

export const WEBHOOK_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS wh_endpoints (
    merchant TEXT NOT NULL, id TEXT NOT NULL, url TEXT NOT NULL, enabled_events TEXT NOT NULL, description TEXT,
    status TEXT NOT NULL, created INTEGER NOT NULL, secret TEXT NOT NULL, previous_secret TEXT, previous_expires_at INTEGER,
    health_since INTEGER NOT NULL, PRIMARY KEY (merchant, id))`,
  `CREATE TABLE IF NOT EXISTS wh_deliveries (
    merchant TEXT NOT NULL, id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, endpoint_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, created INTEGER NOT NULL, status_code INTEGER, error TEXT, duration_ms INTEGER NOT NULL,
    succeeded INTEGER NOT NULL, next_retry_at INTEGER, PRIMARY KEY (merchant, id))`,
  'CREATE INDEX IF NOT EXISTS wh_deliveries_event ON wh_deliveries (merchant, event_id, created, id)',
  'CREATE INDEX IF NOT EXISTS wh_deliveries_endpoint ON wh_deliveries (merchant, endpoint_id, created, id)',
  'CREATE INDEX IF NOT EXISTS wh_deliveries_health ON wh_deliveries (merchant, endpoint_id, succeeded, created)',
  /** Events this shard sends itself (`webhook_endpoint.disabled`, and resends of events no session owns). */
  `CREATE TABLE IF NOT EXISTS wh_events (
    merchant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, created INTEGER NOT NULL, body TEXT NOT NULL,
    logged INTEGER NOT NULL, PRIMARY KEY (merchant, id))`,
  `CREATE TABLE IF NOT EXISTS wh_targets (
    merchant TEXT NOT NULL, event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, tries INTEGER NOT NULL, next_at INTEGER,
    state TEXT NOT NULL, PRIMARY KEY (merchant, event_id, endpoint_id))`,
];

type EndpointRow = {
  merchant: string;
  id: string;
  url: string;
  enabled_events: string;
  description: string | null;
  status: 'enabled' | 'disabled';
  created: number;
  secret: string;
  previous_secret: string | null;
  previous_expires_at: number | null;
  health_since: number;
};

type DeliveryLogRow = {
  id: string;
  event_id: string;
  endpoint_id: string;
  attempt: number;
  created: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  succeeded: number;
  next_retry_at: number | null;
};

/** A webhook endpoint as the API shows it (`secret` only in the create and rotate_secret answers). */
export interface EndpointView {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: string[];
  status: 'enabled' | 'disabled';
  description: string | null;
  /** Unix seconds; 0 for `we_config`, which comes from the configuration. */
  created: number;
  secret?: string;
}

export interface DeliveryView {
  id: string;
  object: 'webhook_delivery';
  event: string;
  endpoint: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created: number;
  succeeded: boolean;
  next_retry_at: number | null;
}

export interface EndpointInput {
  url: string;
  enabled_events: string[];
  description?: string | null;
}

export interface EndpointPatch {
  url?: string;
  enabled_events?: string[];
  description?: string | null;
  status?: 'enabled' | 'disabled';
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

function view(r: EndpointRow): EndpointView {
  return {
    id: r.id,
    object: 'webhook_endpoint',
    url: r.url,
    enabled_events: JSON.parse(r.enabled_events) as string[],
    status: r.status,
    description: r.description,
    created: seconds(r.created),
  };
}

/** The configured `webhook` as an endpoint: always enabled, every event type, managed in the merchant's configuration (the registry or SHOUYIN_CONFIG). */
export function configEndpointView(merchant: MerchantConfig): EndpointView | null {
  return merchant.webhook
    ? {
        id: CONFIG_ENDPOINT_ID,
        object: 'webhook_endpoint',
        url: merchant.webhook.url,
        enabled_events: ['*'],
        status: 'enabled',
        // Said by its id and by `endpoint_managed_by_config`; a dashboard shows its own words for it.
        description: null,
        created: 0,
      }
    : null;
}

export function deliveryView(d: DeliveryRecord | DeliveryLogRow): DeliveryView {
  const log = 'created' in d;
  const status = log ? d.status_code : d.status;
  return {
    id: d.id,
    object: 'webhook_delivery',
    event: d.event_id,
    endpoint: d.endpoint_id,
    attempt: d.attempt,
    status_code: status,
    error: d.error,
    duration_ms: d.duration_ms,
    created: seconds(log ? d.created : d.at),
    succeeded: log ? d.succeeded === 1 : status !== null && status >= 200 && status < 300,
    next_retry_at: d.next_retry_at === null ? null : seconds(d.next_retry_at),
  };
}

/** The webhook half of a merchant shard: one instance per merchant, `<merchant>:webhooks`. */
export class MerchantWebhooks {
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly clock: { now(): number },
  ) {}

  private row(merchant: string, id: string): EndpointRow | null {
    return this.sql.exec<EndpointRow>('SELECT * FROM wh_endpoints WHERE merchant = ? AND id = ?', merchant, id).toArray()[0] ?? null;
  }

  private binding = (merchant: string, id: string, which: 'current' | 'previous'): string => `${merchant}/${id}/${which}`;

  // ── endpoints ────────────────────────────────────────────────────────────────────────────────

  /** Null when the merchant already has MAX_ENDPOINTS. */
  async create(merchant: string, input: EndpointInput): Promise<EndpointView | null> {
    const id = newEndpointId();
    const secret = newEndpointSecret();
    // Sealed before the count is checked: no await between the check and the insert.
    const sealed = await sealSecret(this.env, this.binding(merchant, id, 'current'), secret);
    const now = this.clock.now();
    const count = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM wh_endpoints WHERE merchant = ?', merchant).one().n;
    if (count >= MAX_ENDPOINTS) return null;
    this.sql.exec(
      `INSERT INTO wh_endpoints (merchant, id, url, enabled_events, description, status, created, secret, previous_secret, previous_expires_at, health_since)
       VALUES (?, ?, ?, ?, ?, 'enabled', ?, ?, NULL, NULL, ?)`,
      merchant,
      id,
      input.url,
      JSON.stringify(input.enabled_events),
      input.description ?? null,
      now,
      sealed,
      now,
    );
    return { ...view(this.row(merchant, id)!), secret };
  }

  /** Newest first, strictly before `before`. */
  list(merchant: string, before: Position | undefined, limit: number): { id: string; created: number; item: EndpointView }[] {
    const rows = before
      ? this.sql.exec<EndpointRow>(
          'SELECT * FROM wh_endpoints WHERE merchant = ? AND (created, id) < (?, ?) ORDER BY created DESC, id DESC LIMIT ?',
          merchant,
          before.created,
          before.id,
          limit,
        )
      : this.sql.exec<EndpointRow>('SELECT * FROM wh_endpoints WHERE merchant = ? ORDER BY created DESC, id DESC LIMIT ?', merchant, limit);
    return rows.toArray().map((r) => ({ id: r.id, created: r.created, item: view(r) }));
  }

  get(merchant: string, id: string): EndpointView | null {
    const r = this.row(merchant, id);
    return r ? view(r) : null;
  }

  update(merchant: string, id: string, patch: EndpointPatch): EndpointView | null {
    const r = this.row(merchant, id);
    if (!r) return null;
    // Enabling again starts its health afresh: no try logged so far counts towards disabling it again
    // (its tries' times come from the sessions' clocks, so the newest logged one bounds them, not ours).
    const reenabled = patch.status === 'enabled' && r.status === 'disabled';
    const newest = this.sql
      .exec<{ t: number | null }>('SELECT MAX(created) AS t FROM wh_deliveries WHERE merchant = ? AND endpoint_id = ?', merchant, id)
      .one().t;
    this.sql.exec(
      'UPDATE wh_endpoints SET url = ?, enabled_events = ?, description = ?, status = ?, health_since = ? WHERE merchant = ? AND id = ?',
      patch.url ?? r.url,
      patch.enabled_events ? JSON.stringify(patch.enabled_events) : r.enabled_events,
      patch.description === undefined ? r.description : patch.description,
      patch.status ?? r.status,
      reenabled ? Math.max(this.clock.now(), newest ?? 0) : r.health_since,
      merchant,
      id,
    );
    return view(this.row(merchant, id)!);
  }

  remove(merchant: string, id: string): boolean {
    const r = this.row(merchant, id);
    if (!r) return false;
    this.sql.exec('DELETE FROM wh_endpoints WHERE merchant = ? AND id = ?', merchant, id);
    return true;
  }

  /** A new secret; the current one keeps signing (beside it) for `overlapSeconds`, 0 = retired at once. */
  async rotate(merchant: string, id: string, overlapSeconds: number): Promise<EndpointView | null> {
    const before = this.row(merchant, id);
    if (!before) return null;
    const secret = newEndpointSecret();
    const sealed = await sealSecret(this.env, this.binding(merchant, id, 'current'), secret);
    const old = await openSecret(this.env, this.binding(merchant, id, 'current'), before.secret);
    const previous = overlapSeconds > 0 ? await sealSecret(this.env, this.binding(merchant, id, 'previous'), old.secret) : null;
    const now = this.clock.now();
    // Re-read after the awaits: the endpoint may have been deleted meanwhile.
    if (!this.row(merchant, id)) return null;
    this.sql.exec(
      'UPDATE wh_endpoints SET secret = ?, previous_secret = ?, previous_expires_at = ? WHERE merchant = ? AND id = ?',
      sealed,
      previous,
      previous ? now + overlapSeconds * 1000 : null,
      merchant,
      id,
    );
    return { ...view(this.row(merchant, id)!), secret };
  }

  /** Every API endpoint with the secrets it signs with now (newest first), for a sender. */
  async deliveryEndpoints(merchant: string): Promise<DeliveryEndpoint[]> {
    const rows = this.sql.exec<EndpointRow>('SELECT * FROM wh_endpoints WHERE merchant = ? ORDER BY created, id', merchant).toArray();
    const now = this.clock.now();
    const out: DeliveryEndpoint[] = [];
    for (const r of rows) {
      // A disabled endpoint is sent nothing: its secrets stay sealed.
      if (r.status !== 'enabled') {
        out.push({ id: r.id, url: r.url, enabled_events: JSON.parse(r.enabled_events) as string[], status: r.status, secrets: [] });
        continue;
      }
      const current = await this.open(r, 'current');
      const previous = r.previous_secret && r.previous_expires_at !== null && r.previous_expires_at > now ? await this.open(r, 'previous') : null;
      out.push({
        id: r.id,
        url: r.url,
        enabled_events: JSON.parse(r.enabled_events) as string[],
        status: r.status,
        secrets: previous ? [current, previous] : [current],
      });
    }
    return out;
  }

  /** Opens a stored secret; one sealed under a retiring master key is sealed again under the current one. */
  private async open(r: EndpointRow, which: 'current' | 'previous'): Promise<string> {
    const binding = this.binding(r.merchant, r.id, which);
    const sealed = which === 'current' ? r.secret : r.previous_secret!;
    const { secret, stale } = await openSecret(this.env, binding, sealed);
    if (stale) {
      const again = await sealSecret(this.env, binding, secret);
      this.sql.exec(
        `UPDATE wh_endpoints SET ${which === 'current' ? 'secret' : 'previous_secret'} = ? WHERE merchant = ? AND id = ? AND ${which === 'current' ? 'secret' : 'previous_secret'} = ?`,
        again,
        r.merchant,
        r.id,
        sealed,
      );
    }
    return secret;
  }

  // ── the delivery log and endpoint health ─────────────────────────────────────────────────────

  /** Idempotent by delivery id (a session's report may arrive twice). Disables endpoints failing for 3 days, or answering 410. */
  async recordDeliveries(merchant: string, records: DeliveryRecord[]): Promise<void> {
    const now = this.clock.now();
    for (const d of records) {
      const ok = d.status !== null && d.status >= 200 && d.status < 300;
      this.sql.exec(
        `INSERT OR IGNORE INTO wh_deliveries (merchant, id, event_id, event_type, endpoint_id, attempt, created, status_code, error, duration_ms, succeeded, next_retry_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        merchant,
        d.id,
        d.event_id,
        d.event_type,
        d.endpoint_id,
        d.attempt,
        d.at,
        d.status,
        d.error,
        d.duration_ms,
        ok ? 1 : 0,
        d.next_retry_at,
      );
    }
    this.sql.exec('DELETE FROM wh_deliveries WHERE merchant = ? AND created < ?', merchant, now - DELIVERY_LOG_MS);
    // An endpoint disabled here raises an event due now; otherwise this arms the next pruning of the log.
    for (const id of new Set(records.map((d) => d.endpoint_id))) await this.checkHealth(merchant, id);
    await this.rearm(0);
  }

  /**
   * Disables an API endpoint when every try since its last success (or since it was created or enabled
   * again) failed, and the first and last of those failures are DISABLE_AFTER_MS apart — or when one of
   * them was answered `410 Gone`. Judged by the tries' own times, so reports arriving late or out of
   * order decide the same. True when it raised `webhook_endpoint.disabled` (its `reason` says which).
   */
  private async checkHealth(merchant: string, endpointId: string): Promise<boolean> {
    const r = this.row(merchant, endpointId);
    if (r?.status !== 'enabled') return false;
    const lastSuccess = this.sql
      .exec<{ t: number | null }>('SELECT MAX(created) AS t FROM wh_deliveries WHERE merchant = ? AND endpoint_id = ? AND succeeded = 1', merchant, endpointId)
      .one().t;
    const since = Math.max(r.health_since, lastSuccess ?? 0);
    const f = this.sql
      .exec<{ first: number | null; last: number | null }>(
        'SELECT MIN(created) AS first, MAX(created) AS last FROM wh_deliveries WHERE merchant = ? AND endpoint_id = ? AND succeeded = 0 AND created > ?',
        merchant,
        endpointId,
        since,
      )
      .one();
    // A `410 Gone` since then disables it at once (Standard Webhooks, "Delivery success and failure").
    const gone = this.sql
      .exec<{ t: number | null }>(
        'SELECT MIN(created) AS t FROM wh_deliveries WHERE merchant = ? AND endpoint_id = ? AND succeeded = 0 AND status_code = ? AND created > ?',
        merchant,
        endpointId,
        GONE,
        since,
      )
      .one().t;
    if (f.first === null || f.last === null || (gone === null && f.last - f.first < DISABLE_AFTER_MS)) return false;
    const m = await merchantById(this.env, merchant);
    // Re-read after the await: another report may have disabled it meanwhile.
    if (!m || this.row(merchant, endpointId)?.status !== 'enabled') return false;
    this.sql.exec("UPDATE wh_endpoints SET status = 'disabled' WHERE merchant = ? AND id = ?", merchant, endpointId);
    const now = this.clock.now();
    const id = newEventId();
    const body = JSON.stringify({
      id,
      type: 'webhook_endpoint.disabled',
      created: seconds(now),
      livemode: m.livemode,
      data: { object: view(this.row(merchant, endpointId)!), failing_since: seconds(f.first), reason: gone === null ? 'failing_3_days' : 'http_410_gone' },
    });
    this.sql.exec(
      "INSERT INTO wh_events (merchant, id, type, created, body, logged) VALUES (?, ?, 'webhook_endpoint.disabled', ?, ?, 0)",
      merchant,
      id,
      now,
      body,
    );
    this.addTargets(merchant, id, 'webhook_endpoint.disabled', m, now);
    return true;
  }

  /** The endpoints subscribed to an event of this shard now (API ones read without their secrets). */
  private addTargets(merchant: string, eventId: string, type: string, m: MerchantConfig | null, now: number): void {
    const rows = this.sql.exec<EndpointRow>('SELECT * FROM wh_endpoints WHERE merchant = ? ORDER BY created, id', merchant).toArray();
    const config = m ? configEndpoint(m) : null;
    const candidates: DeliveryEndpoint[] = [
      ...(config ? [config] : []),
      ...rows.map((r) => ({ id: r.id, url: r.url, enabled_events: JSON.parse(r.enabled_events) as string[], status: r.status, secrets: [] })),
    ];
    for (const e of subscribed(candidates, type)) {
      this.sql.exec(
        "INSERT OR IGNORE INTO wh_targets (merchant, event_id, endpoint_id, tries, next_at, state) VALUES (?, ?, ?, 0, ?, 'pending')",
        merchant,
        eventId,
        e.id,
        now,
      );
    }
  }

  /**
   * An event no session sends (an App Store notification, `merchant.credentials_expiring`), handed over
   * by the shard that recorded it: sent to the merchant's API endpoints subscribed to its type, with the
   * same tries and schedule as every event. The configured webhook (`we_config`) is left to the sender,
   * which delivers to it itself. Idempotent by event id: handed over again, it is sent once.
   */
  async fanOut(merchant: string, event: { id: string; type: string; created: number; body: string }): Promise<void> {
    const fresh =
      this.sql.exec(
        'INSERT OR IGNORE INTO wh_events (merchant, id, type, created, body, logged) VALUES (?, ?, ?, ?, ?, 1)',
        merchant,
        event.id,
        event.type,
        event.created,
        event.body,
      ).rowsWritten > 0;
    if (!fresh) return;
    this.addTargets(merchant, event.id, event.type, null, this.clock.now());
    await this.rearm(0);
  }

  /** Seals every stored secret again under the first master key (POST /v1/admin/master_key/rotate). How many were. */
  async reseal(merchant: string): Promise<number> {
    const rows = this.sql.exec<EndpointRow>('SELECT * FROM wh_endpoints WHERE merchant = ?', merchant).toArray();
    let n = 0;
    for (const r of rows) {
      for (const which of ['current', 'previous'] as const) {
        const sealed = which === 'current' ? r.secret : r.previous_secret;
        if (sealed === null) continue;
        const binding = this.binding(merchant, r.id, which);
        const { secret } = await openSecret(this.env, binding, sealed);
        const again = await sealSecret(this.env, binding, secret);
        const column = which === 'current' ? 'secret' : 'previous_secret';
        // Only what was read is replaced: a rotation meanwhile keeps its new secret.
        n += this.sql.exec(`UPDATE wh_endpoints SET ${column} = ? WHERE merchant = ? AND id = ? AND ${column} = ?`, again, merchant, r.id, sealed).rowsWritten;
      }
    }
    return n;
  }

  listDeliveries(
    merchant: string,
    by: { event: string } | { endpoint: string },
    status: 'succeeded' | 'failed' | undefined,
    before: Position | undefined,
    limit: number,
  ): { id: string; created: number; item: DeliveryView }[] {
    const where = ['merchant = ?', 'event' in by ? 'event_id = ?' : 'endpoint_id = ?'];
    const args: (string | number)[] = [merchant, 'event' in by ? by.event : by.endpoint];
    if (status) {
      where.push('succeeded = ?');
      args.push(status === 'succeeded' ? 1 : 0);
    }
    if (before) {
      where.push('(created, id) < (?, ?)');
      args.push(before.created, before.id);
    }
    return this.sql
      .exec<DeliveryLogRow>(`SELECT * FROM wh_deliveries WHERE ${where.join(' AND ')} ORDER BY created DESC, id DESC LIMIT ?`, ...args, limit)
      .toArray()
      .map((d) => ({ id: d.id, created: d.created, item: deliveryView(d) }));
  }

  // ── events this shard sends ──────────────────────────────────────────────────────────────────

  /**
   * `POST /v1/events/:id/retry` for an event no session owns (this shard's own, or one from the event
   * log such as `reconciliation.completed`): sent now to the named endpoint or to every subscribed one.
   */
  async resend(
    merchant: string,
    event: { id: string; type: string; created: number; body: string },
    endpointId: string | undefined,
  ): Promise<DeliveryRecord[]> {
    const m = await merchantById(this.env, merchant);
    if (!m) return [];
    const endpoints = [...(configEndpoint(m) ? [configEndpoint(m)!] : []), ...(await this.deliveryEndpoints(merchant))];
    const chosen = chooseResendEndpoints(endpoints, event.type, endpointId);
    this.sql.exec(
      'INSERT OR IGNORE INTO wh_events (merchant, id, type, created, body, logged) VALUES (?, ?, ?, ?, ?, 1)',
      merchant,
      event.id,
      event.type,
      event.created,
      event.body,
    );
    const targets = new Map(this.targets(merchant, event.id).map((t) => [t.endpoint_id, t]));
    const now = this.clock.now();
    const outcomes = await Promise.all(
      chosen.map((e) =>
        tryTarget(
          publicBaseUrl(this.env),
          e,
          event,
          targets.get(e.id) ?? { event_id: event.id, endpoint_id: e.id, tries: 0, next_at: null, state: 'failed' },
          now,
          true,
        ),
      ),
    );
    for (const o of outcomes) this.putTarget(merchant, o.target);
    await this.recordDeliveries(
      merchant,
      outcomes.map((o) => o.record),
    );
    await this.rearm(0);
    return outcomes.map((o) => o.record);
  }

  private targets(merchant: string, eventId: string): TargetRow[] {
    return this.sql
      .exec<TargetRow>(
        'SELECT event_id, endpoint_id, tries, next_at, state FROM wh_targets WHERE merchant = ? AND event_id = ? ORDER BY rowid',
        merchant,
        eventId,
      )
      .toArray();
  }

  private putTarget(merchant: string, t: TargetRow): void {
    this.sql.exec(
      'INSERT OR REPLACE INTO wh_targets (merchant, event_id, endpoint_id, tries, next_at, state) VALUES (?, ?, ?, ?, ?, ?)',
      merchant,
      t.event_id,
      t.endpoint_id,
      t.tries,
      t.next_at,
      t.state,
    );
  }

  /** The alarm's share: prune what is past its time, log this shard's new events, then send whatever tries are due. */
  async alarm(): Promise<void> {
    const now = this.clock.now();
    this.prune(now);
    const unlogged = this.sql
      .exec<{ merchant: string; id: string; type: string; created: number; body: string }>(
        'SELECT merchant, id, type, created, body FROM wh_events WHERE logged = 0',
      )
      .toArray();
    for (const e of unlogged) {
      try {
        await eventLogFor(this.env, e.merchant, utcDay(e.created)).appendEvent(e.merchant, {
          id: e.id,
          type: e.type,
          created: e.created,
          session: '',
          body: e.body,
        });
        this.sql.exec('UPDATE wh_events SET logged = 1 WHERE merchant = ? AND id = ?', e.merchant, e.id);
      } catch (err) {
        console.warn(`event ${e.id}: event log write failed, retrying: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const due = this.sql
      .exec<{ merchant: string; event_id: string }>(
        "SELECT DISTINCT merchant, event_id FROM wh_targets WHERE state = 'pending' AND next_at IS NOT NULL AND next_at <= ?",
        now,
      )
      .toArray();
    for (const { merchant, event_id } of due) {
      const m = await merchantById(this.env, merchant);
      const event = this.sql
        .exec<{ id: string; type: string; body: string }>('SELECT id, type, body FROM wh_events WHERE merchant = ? AND id = ?', merchant, event_id)
        .toArray()[0];
      if (!m || !event) {
        this.sql.exec("UPDATE wh_targets SET state = 'canceled', next_at = NULL WHERE merchant = ? AND event_id = ?", merchant, event_id);
        continue;
      }
      const endpoints = [...(configEndpoint(m) ? [configEndpoint(m)!] : []), ...(await this.deliveryEndpoints(merchant))];
      const ran = await runDueTargets(publicBaseUrl(this.env), endpoints, event, this.targets(merchant, event_id), now);
      for (const t of ran.targets) this.putTarget(merchant, t);
      await this.recordDeliveries(merchant, ran.records);
    }
    // An event whose logging failed is tried again in a minute.
    await this.rearm(60_000);
  }

  /**
   * Retention (docs/data-retention.md): delivery log rows after DELIVERY_LOG_MS; the shard's copies of
   * events, with their targets, SHARD_EVENT_MS after the event once no endpoint waits for a try. The
   * endpoints themselves stay until they are deleted.
   */
  private prune(now: number): void {
    this.sql.exec('DELETE FROM wh_deliveries WHERE created < ?', now - DELIVERY_LOG_MS);
    const old = `SELECT merchant, id FROM wh_events e WHERE created < ? AND logged = 1
      AND NOT EXISTS (SELECT 1 FROM wh_targets t WHERE t.merchant = e.merchant AND t.event_id = e.id AND t.state = 'pending')`;
    this.sql.exec(`DELETE FROM wh_targets WHERE (merchant, event_id) IN (${old})`, now - SHARD_EVENT_MS);
    this.sql.exec(`DELETE FROM wh_events WHERE (merchant, id) IN (${old})`, now - SHARD_EVENT_MS);
  }

  /** When prune() next has something to delete, or null. */
  private nextPrune(): number | null {
    const delivery = this.sql.exec<{ t: number | null }>('SELECT MIN(created) AS t FROM wh_deliveries').one().t;
    const event = this.sql.exec<{ t: number | null }>('SELECT MIN(created) AS t FROM wh_events').one().t;
    const times = [delivery === null ? null : delivery + DELIVERY_LOG_MS, event === null ? null : event + SHARD_EVENT_MS].filter(
      (t): t is number => t !== null,
    );
    return times.length > 0 ? Math.min(...times) : null;
  }

  /**
   * Sets the shard's alarm for its next due try, or `logIn` ms from now while an event still has to
   * reach the event log, or the next pruning (never later than an alarm already set for other work).
   */
  private async rearm(logIn: number): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM wh_targets WHERE state = 'pending' AND next_at IS NOT NULL").one().t;
    const unlogged = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM wh_events WHERE logged = 0').one().n > 0;
    const want = Math.min(
      next ?? Number.POSITIVE_INFINITY,
      unlogged ? this.clock.now() + logIn : Number.POSITIVE_INFINITY,
      this.nextPrune() ?? Number.POSITIVE_INFINITY,
    );
    if (!Number.isFinite(want)) return;
    const current = await this.storage.getAlarm();
    if (current === null || want < current) await this.storage.setAlarm(Math.max(want, Date.now()));
  }
}
