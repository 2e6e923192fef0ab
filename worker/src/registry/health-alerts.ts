// The daily credential check and its `merchant.credentials_expiring` event (docs/webhooks.md). The
// Cron Trigger asks each merchant's credentials shard (`<merchant>:credentials`, a MerchantShard) to
// check that merchant's certificates (health.ts) at the trigger's time; a certificate that has come
// within 30, 7 or 1 days of its notAfter (or passed it) and has not been reported at that threshold
// yet goes into one event for the merchant. What was reported is remembered per merchant, credential,
// certificate serial and threshold, so a trigger that fires twice, or every day, sends each warning
// once, and a replaced certificate (a new serial) starts afresh. The event is filed in the merchant's
// event log and sent to its webhook like `reconciliation.completed` (bills/run.ts): signed per
// Standard Webhooks, the same retry schedule, driven by the shard's alarm; the merchant's webhook
// shard sends it to the API endpoints subscribed to it.

import type { MerchantConfig } from '../config';
import type { Env } from '../env';
import { allMerchants, merchantById, publicBaseUrl } from '../merchants';
import { eventLogFor, utcDay, webhooksFor } from '../shards';
import { newEventId } from '../session/ids';
import { retryDelay, sendWebhook } from '../session/webhooks';
import { crossedThreshold, daysLeft, merchantCredentials, type CredentialInfo, type ExpiryThreshold } from './health';

export const CREDENTIALS_EXPIRING = 'merchant.credentials_expiring';
/** How long an alarm holds a delivery it is sending. */
const LEASE_MS = 10 * 60_000;

export const CREDENTIAL_ALERTS_SCHEMA = [
  // One row per warning sent: the memory that makes the check idempotent.
  `CREATE TABLE IF NOT EXISTS credential_alerts (
    merchant TEXT NOT NULL, credential TEXT NOT NULL, serial TEXT NOT NULL, threshold INTEGER NOT NULL, event_id TEXT NOT NULL,
    created INTEGER NOT NULL, PRIMARY KEY (merchant, credential, serial, threshold))`,
  `CREATE TABLE IF NOT EXISTS credential_events (
    event_id TEXT PRIMARY KEY, merchant TEXT NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL, delivery TEXT NOT NULL,
    webhook_tries INTEGER NOT NULL, webhook_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS credential_deliveries (
    event_id TEXT NOT NULL, try INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT, PRIMARY KEY (event_id, try))`,
];

export const credentialsShardName = (merchant: string): string => `${merchant}:credentials`;

export interface ExpiringCredential extends CredentialInfo {
  not_after: string;
  days_left: number;
  /** The warning this event gives: 30, 7 or 1 days before not_after. */
  threshold_days: ExpiryThreshold;
}

/** The certificates of `merchant` that crossed a threshold at `at` and were not reported at it yet. */
export function dueWarnings(sql: SqlStorage, merchant: MerchantConfig, at: number): ExpiringCredential[] {
  const out: ExpiringCredential[] = [];
  for (const c of merchantCredentials(merchant)) {
    const t = crossedThreshold(c, at);
    if (t === null || c.not_after === null) continue;
    const sent = sql
      .exec('SELECT 1 FROM credential_alerts WHERE merchant = ? AND credential = ? AND serial = ? AND threshold = ?', merchant.id, c.credential, c.serial, t)
      .toArray();
    if (sent.length === 0) out.push({ ...c, not_after: c.not_after, days_left: daysLeft(c.not_after, at), threshold_days: t });
  }
  return out;
}

/**
 * The daily check for one merchant, inside its credentials shard: records one event for every warning
 * due at `at` (the trigger's time) and schedules its webhook. Returns the event id, or null when
 * nothing was due.
 */
export async function checkCredentials(env: Env, storage: DurableObjectStorage, sql: SqlStorage, merchant: MerchantConfig, at: number): Promise<string | null> {
  const due = dueWarnings(sql, merchant, at);
  if (due.length === 0) return null;
  const now = Date.now();
  const id = newEventId();
  const object = { object: 'merchant.credentials', merchant: merchant.id, credentials: due };
  const body = JSON.stringify({ id, type: CREDENTIALS_EXPIRING, created: Math.floor(now / 1000), livemode: merchant.livemode, data: { object } });
  // Remembered before anything is sent: a warning is at-most-once per threshold, its webhook at-least-once.
  storage.transactionSync(() => {
    for (const c of due) {
      sql.exec(
        'INSERT OR IGNORE INTO credential_alerts (merchant, credential, serial, threshold, event_id, created) VALUES (?, ?, ?, ?, ?, ?)',
        merchant.id,
        c.credential,
        c.serial,
        c.threshold_days,
        id,
        now,
      );
    }
    sql.exec(
      'INSERT INTO credential_events (event_id, merchant, body, created, delivery, webhook_tries, webhook_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
      id,
      merchant.id,
      body,
      now,
      merchant.webhook ? 'pending' : 'none',
      merchant.webhook ? now : null,
    );
  });
  const event = { id, type: CREDENTIALS_EXPIRING, created: now, session: '', body };
  await eventLogFor(env, merchant.id, utcDay(now)).appendEvent(merchant.id, event);
  // The merchant's API endpoints subscribed to it get it from its webhook shard (webhooks/endpoints.ts).
  await webhooksFor(env, merchant.id).fanOutMerchantEvent(merchant.id, event);
  await rearm(storage, sql);
  return id;
}

type EventRow = { event_id: string; merchant: string; body: string; delivery: string; webhook_tries: number; webhook_at: number | null };

/** The shard's alarm: sends every due `merchant.credentials_expiring` webhook once, and re-arms. */
export async function credentialAlertsAlarm(env: Env, storage: DurableObjectStorage, sql: SqlStorage): Promise<void> {
  const now = Date.now();
  const due = sql.exec<EventRow>('SELECT * FROM credential_events WHERE webhook_at IS NOT NULL AND webhook_at <= ?', now).toArray();
  if (due.length === 0) return rearm(storage, sql);
  // Leased before the first await: an alarm that fires again meanwhile finds nothing due.
  for (const r of due) sql.exec('UPDATE credential_events SET webhook_at = ? WHERE event_id = ?', now + LEASE_MS, r.event_id);
  for (const row of due) await deliver(publicBaseUrl(env), sql, await merchantById(env, row.merchant), row, now);
  await rearm(storage, sql);
}

async function deliver(publicBase: string, sql: SqlStorage, merchant: MerchantConfig | undefined, row: EventRow, now: number): Promise<void> {
  const done = (delivery: string) => sql.exec('UPDATE credential_events SET delivery = ?, webhook_at = NULL WHERE event_id = ?', delivery, row.event_id);
  if (!merchant?.webhook) return void done('none');
  const tryNo = row.webhook_tries + 1;
  const { status, error, retry_after_ms } = await sendWebhook(publicBase, merchant.webhook, row.event_id, now, row.body);
  sql.exec('INSERT OR REPLACE INTO credential_deliveries (event_id, try, at, status, error) VALUES (?, ?, ?, ?, ?)', row.event_id, tryNo, now, status, error);
  sql.exec('UPDATE credential_events SET webhook_tries = ? WHERE event_id = ?', tryNo, row.event_id);
  if (status !== null && status >= 200 && status < 300) return void done('delivered');
  // The schedule every Shouyin webhook follows (docs/webhooks.md#delivery-and-retries).
  const delay = retryDelay(row.webhook_tries, retry_after_ms);
  if (delay === undefined) return void done('failed');
  sql.exec('UPDATE credential_events SET webhook_at = ? WHERE event_id = ?', now + delay, row.event_id);
}

/**
 * Sets the shard's one alarm for the next due delivery unless an earlier one is set. Never deletes it:
 * the reconciliation run that may share the alarm (bills/run.ts) keeps its own.
 */
async function rearm(storage: DurableObjectStorage, sql: SqlStorage): Promise<void> {
  const next = sql.exec<{ t: number | null }>('SELECT MIN(webhook_at) AS t FROM credential_events').one().t;
  if (next === null) return;
  const current = await storage.getAlarm();
  if (current === null || current > next) await storage.setAlarm(next);
}

/** What the check has done for a merchant: each event, its delivery and tries, and the warnings it carried. */
export function credentialAlertState(sql: SqlStorage, merchant: string) {
  const events = sql
    .exec<{ event_id: string; body: string; delivery: string; webhook_tries: number; webhook_at: number | null }>(
      'SELECT event_id, body, delivery, webhook_tries, webhook_at FROM credential_events WHERE merchant = ? ORDER BY created, event_id',
      merchant,
    )
    .toArray();
  const alerts = sql
    .exec<{ credential: string; serial: string; threshold: number; event_id: string }>(
      'SELECT credential, serial, threshold, event_id FROM credential_alerts WHERE merchant = ? ORDER BY created, credential, threshold',
      merchant,
    )
    .toArray();
  const deliveries = (id: string) =>
    sql
      .exec<{ try: number; at: number; status: number | null; error: string | null }>(
        'SELECT try, at, status, error FROM credential_deliveries WHERE event_id = ? ORDER BY try',
        id,
      )
      .toArray();
  return {
    alerts,
    events: events.map((e) => ({ id: e.event_id, delivery: e.delivery, webhook_at: e.webhook_at, tries: e.webhook_tries, deliveries: deliveries(e.event_id) })),
  };
}

/** The Cron Trigger: every merchant's check at the trigger's time. One merchant's failure never stops the others. */
export async function scheduledCredentialCheck(env: Env, scheduledTime: number): Promise<void> {
  let merchants: MerchantConfig[];
  try {
    merchants = await allMerchants(env);
  } catch (e) {
    console.error('credential check skipped: the configuration does not load', e instanceof Error ? e.message : String(e));
    return;
  }
  const results = await Promise.allSettled(
    merchants.map((m) => env.MERCHANT_SHARDS.getByName(credentialsShardName(m.id)).checkCredentials(m.id, scheduledTime)),
  );
  for (const r of results) if (r.status === 'rejected') console.error('credential check failed', r.reason);
}
