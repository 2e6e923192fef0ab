// A reconciliation run: one merchant, one Beijing day, in the merchant shard named
// `<merchant>:recon:<YYYY-MM-DD>` (the report, the scheduled run and its webhook, driven by the
// shard's one alarm). The Cron Trigger schedules yesterday's run for every merchant; the run
// downloads each provider's statement, diffs it against the day's ledger (ledger.ts), stores the
// report and sends `reconciliation.completed` — after the statements that were not ready yet had
// their retries (hourly, up to RUN_TRIES) — signed per Standard Webhooks and retried like every
// other webhook. `GET /v1/reconciliation/:date` reads the stored report, or computes one.

import type { MerchantConfig } from '../config';
import type { Env } from '../env';
import { providerContext } from '../lib/outbound';
import { allMerchants, merchantById, publicBaseUrl } from '../merchants';
import { eventLogFor, utcDay } from '../shards';
import { configuredProviders, resolveProviderById, type ResolvedProvider } from '../providers/registry';
import { issuedSessionStub, newEventId } from '../session/ids';
import { refundApiId, refundNoFromApiId, sessionIdOfRefundNo } from '../session/refunds';
import { retryDelay, sendWebhook } from '../session/webhooks';
import { ledgerShardName, type LedgerEntry } from './ledger';
import { reconcile, type InFlight, type ProviderInput, type ReconciliationReport } from './reconcile';
import type { StatementRow } from './statement';
import { addDays, beijingDay } from './time';

export const RUN_TRIES = 6;
export const RUN_RETRY_MS = 3600_000;
/** How long an alarm holds due work it is running. */
const LEASE_MS = 10 * 60_000;

export const RECON_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS recon_runs (
    merchant TEXT NOT NULL, date TEXT NOT NULL, report TEXT, computed_at INTEGER, scheduled INTEGER NOT NULL, tries INTEGER NOT NULL,
    run_at INTEGER, event_id TEXT, event_body TEXT, delivery TEXT, webhook_tries INTEGER NOT NULL, webhook_at INTEGER,
    PRIMARY KEY (merchant, date))`,
  `CREATE TABLE IF NOT EXISTS recon_deliveries (
    event_id TEXT NOT NULL, try INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT, PRIMARY KEY (event_id, try))`,
];

export const reconShardName = (merchant: string, date: string): string => `${merchant}:recon:${date}`;

/** Merchants whose configured providers can download a statement. */
export async function reconcilableMerchants(env: Env): Promise<MerchantConfig[]> {
  return (await allMerchants(env)).filter((m) => configuredProviders(m).some((r) => r.provider.downloadStatement !== undefined));
}

/** What a report carries into the next day's: its in-flight list. Null when no report of `date` is stored. */
export function storedInFlight(sql: SqlStorage, merchant: string, date: string): { from: string; items: InFlight[] } | null {
  const row = rowOf(sql, merchant, date);
  if (!row?.report) return null;
  const report = JSON.parse(row.report) as Partial<ReconciliationReport>;
  return { from: date, items: report.in_flight ?? [] };
}

/**
 * Downloads every provider's statement for `date` and diffs them against the ledger, carrying in what
 * the previous day's stored report left in flight. Never throws for a provider's failure.
 */
export async function computeReport(env: Env, merchant: MerchantConfig, date: string, now: number): Promise<ReconciliationReport> {
  const ctx = providerContext(publicBaseUrl(env), merchant.livemode, () => Date.now());
  const download = async (r: ResolvedProvider | null, day: string): Promise<ProviderInput | null> => {
    if (!r) return null;
    const base = { provider: r.provider.id, channel: r.provider.channel, ...(r.entry.bill ? { dating: r.entry.bill.dating } : {}) };
    if (!r.provider.downloadStatement) return { ...base, result: { status: 'unsupported', reason: `${r.provider.id} has no statement download.` } };
    try {
      return { ...base, result: await r.provider.downloadStatement(ctx, r.config, day) };
    } catch (e) {
      return { ...base, result: { status: 'error', reason: e instanceof Error ? e.message : String(e) } };
    }
  };
  const providers = (await Promise.all(configuredProviders(merchant).map((r) => download(r, date)))).filter((p): p is ProviderInput => p !== null);
  const ledgerShard = (day: string) => env.MERCHANT_SHARDS.getByName(ledgerShardName(merchant.id, day));
  const ledger = await ledgerShard(date).ledgerEntries(merchant.id);
  const carried = await env.MERCHANT_SHARDS.getByName(reconShardName(merchant.id, addDays(date, -1))).reconciliationInFlight(merchant.id, addDays(date, -1));
  return reconcile({
    merchant: merchant.id,
    date,
    livemode: merchant.livemode,
    now,
    providers,
    ledger,
    carried,
    neighbours: async (keys) => {
      const days = [addDays(date, -1), addDays(date, 1)];
      const found = await Promise.all(days.map((d) => ledgerShard(d).ledgerLookup(merchant.id, keys)));
      return found.flat() as LedgerEntry[];
    },
    ledgerOf: async (day, keys) => (await ledgerShard(day).ledgerLookup(merchant.id, keys)) as LedgerEntry[],
    providerOf: async (session, attempt) => {
      const stub = session ? await issuedSessionStub(env, session) : null;
      if (!stub) return null;
      const s = await stub.retrieve(merchant.id).catch(() => null);
      return s?.payment?.attempt === attempt ? s.payment.provider : null;
    },
    refundStatus: async (refundNo) => {
      // Only Shouyin's own refund numbers lead to a session; anything else is not Shouyin's refund.
      if (refundNoFromApiId(refundApiId(refundNo)) === null) return null;
      const stub = await issuedSessionStub(env, sessionIdOfRefundNo(refundNo));
      const r = stub ? await stub.retrieveRefund(merchant.id, refundNo).catch(() => null) : null;
      return r?.status ?? null;
    },
    statementOf: async (providerId, day): Promise<StatementRow[] | null> => {
      const p = await download(resolveProviderById(merchant, providerId), day);
      if (!p) return null;
      if (p.result.status === 'ok') return p.result.statement.rows;
      return p.result.status === 'empty' ? [] : null;
    },
  });
}

type RunRow = {
  merchant: string;
  date: string;
  report: string | null;
  computed_at: number | null;
  scheduled: number;
  tries: number;
  run_at: number | null;
  event_id: string | null;
  event_body: string | null;
  delivery: string | null;
  webhook_tries: number;
  webhook_at: number | null;
};

const rowOf = (sql: SqlStorage, merchant: string, date: string): RunRow | undefined =>
  sql.exec<RunRow>('SELECT * FROM recon_runs WHERE merchant = ? AND date = ?', merchant, date).toArray()[0];

function ensureRow(sql: SqlStorage, merchant: string, date: string): RunRow {
  sql.exec(`INSERT OR IGNORE INTO recon_runs (merchant, date, scheduled, tries, webhook_tries) VALUES (?, ?, 0, 0, 0)`, merchant, date);
  return rowOf(sql, merchant, date) as RunRow;
}

/** The stored report, or a fresh one (also when `refresh`). A report asked for over the API sends no webhook. */
export async function reportFor(env: Env, sql: SqlStorage, merchant: MerchantConfig, date: string, refresh: boolean): Promise<ReconciliationReport> {
  const row = ensureRow(sql, merchant.id, date);
  if (row.report !== null && !refresh) return JSON.parse(row.report) as ReconciliationReport;
  const now = Date.now();
  const report = await computeReport(env, merchant, date, now);
  sql.exec('UPDATE recon_runs SET report = ?, computed_at = ? WHERE merchant = ? AND date = ?', JSON.stringify(report), now, merchant.id, date);
  return report;
}

/** The Cron Trigger's call: idempotent per merchant and day (a trigger that fires twice runs once). */
export async function scheduleRun(storage: DurableObjectStorage, sql: SqlStorage, merchant: string, date: string, now: number): Promise<boolean> {
  const row = ensureRow(sql, merchant, date);
  if (row.scheduled) return false;
  sql.exec('UPDATE recon_runs SET scheduled = 1, run_at = ? WHERE merchant = ? AND date = ?', now, merchant, date);
  await rearm(storage, sql);
  return true;
}

export async function runAlarm(env: Env, storage: DurableObjectStorage, sql: SqlStorage): Promise<void> {
  const now = Date.now();
  // Lease the due work before the first await: an alarm that fires again meanwhile finds nothing due,
  // and work whose isolate died is picked up again when the lease runs out.
  const dueRuns = sql.exec<RunRow>('SELECT * FROM recon_runs WHERE run_at IS NOT NULL AND run_at <= ?', now).toArray();
  const dueHooks = sql.exec<RunRow>('SELECT * FROM recon_runs WHERE webhook_at IS NOT NULL AND webhook_at <= ?', now).toArray();
  for (const r of dueRuns) sql.exec('UPDATE recon_runs SET run_at = ? WHERE merchant = ? AND date = ?', now + LEASE_MS, r.merchant, r.date);
  for (const r of dueHooks) sql.exec('UPDATE recon_runs SET webhook_at = ? WHERE merchant = ? AND date = ?', now + LEASE_MS, r.merchant, r.date);
  const completed: RunRow[] = [];
  for (const row of dueRuns) {
    const merchant = await merchantById(env, row.merchant);
    if (!merchant) {
      sql.exec('UPDATE recon_runs SET run_at = NULL WHERE merchant = ? AND date = ?', row.merchant, row.date);
      continue;
    }
    const report = await computeReport(env, merchant, row.date, now);
    const tries = row.tries + 1;
    // A statement not generated yet (or a provider that failed) is asked for again an hour later.
    const again = report.status === 'incomplete' && tries < RUN_TRIES;
    sql.exec(
      'UPDATE recon_runs SET report = ?, computed_at = ?, tries = ?, run_at = ? WHERE merchant = ? AND date = ?',
      JSON.stringify(report),
      now,
      tries,
      again ? now + RUN_RETRY_MS : null,
      row.merchant,
      row.date,
    );
    if (!again && row.event_id === null && (await recordCompleted(env, sql, merchant, report, now))) completed.push(row);
  }
  // A run that just completed sends its first delivery in this same alarm (its webhook_at is leased).
  for (const row of [...dueHooks, ...completed]) {
    const merchant = await merchantById(env, row.merchant);
    await deliver(publicBaseUrl(env), sql, merchant, rowOf(sql, row.merchant, row.date) as RunRow, now);
  }
  await rearm(storage, sql);
}

/** The `reconciliation.completed` event: its webhook and its place in the merchant's event log. True when it has a webhook to send. */
async function recordCompleted(env: Env, sql: SqlStorage, merchant: MerchantConfig, report: ReconciliationReport, now: number): Promise<boolean> {
  const id = newEventId();
  const object = {
    object: 'reconciliation.summary',
    date: report.date,
    timezone: report.timezone,
    status: report.status,
    counts: report.counts,
    money: report.money,
    providers: report.providers.map((p) => ({
      provider: p.provider,
      channel: p.channel,
      status: p.status,
      statement: { payments: p.statement.payments, refunds: p.statement.refunds },
      shouyin: p.shouyin,
      matched: p.matched,
      money: p.money,
      discrepancies: p.discrepancies,
    })),
    report: `/v1/reconciliation/${report.date}`,
  };
  const body = JSON.stringify({ id, type: 'reconciliation.completed', created: Math.floor(now / 1000), livemode: merchant.livemode, data: { object } });
  sql.exec(
    'UPDATE recon_runs SET event_id = ?, event_body = ?, delivery = ?, webhook_at = ? WHERE merchant = ? AND date = ?',
    id,
    body,
    merchant.webhook ? 'pending' : 'none',
    merchant.webhook ? now + LEASE_MS : null,
    merchant.id,
    report.date,
  );
  await eventLogFor(env, merchant.id, utcDay(now)).appendEvent(merchant.id, { id, type: 'reconciliation.completed', created: now, session: '', body });
  return merchant.webhook !== undefined;
}

async function deliver(publicBase: string, sql: SqlStorage, merchant: MerchantConfig | undefined, row: RunRow, now: number): Promise<void> {
  const done = (delivery: string) =>
    sql.exec('UPDATE recon_runs SET delivery = ?, webhook_at = NULL WHERE merchant = ? AND date = ?', delivery, row.merchant, row.date);
  if (!merchant?.webhook || row.event_id === null || row.event_body === null) return void done('none');
  const tryNo = row.webhook_tries + 1;
  // The same send as every other Shouyin webhook: signed per try, a 3xx never followed.
  const { status, error, retry_after_ms } = await sendWebhook(publicBase, merchant.webhook, row.event_id, now, row.event_body);
  sql.exec('INSERT OR REPLACE INTO recon_deliveries (event_id, try, at, status, error) VALUES (?, ?, ?, ?, ?)', row.event_id, tryNo, now, status, error);
  sql.exec('UPDATE recon_runs SET webhook_tries = ? WHERE merchant = ? AND date = ?', tryNo, row.merchant, row.date);
  if (status !== null && status >= 200 && status < 300) return void done('delivered');
  // The same schedule as every other Shouyin webhook: 5 s, 30 s, 2 min … then every 12 h.
  const delay = retryDelay(row.webhook_tries, retry_after_ms);
  if (delay === undefined) return void done('failed');
  sql.exec('UPDATE recon_runs SET webhook_at = ? WHERE merchant = ? AND date = ?', now + delay, row.merchant, row.date);
}

async function rearm(storage: DurableObjectStorage, sql: SqlStorage): Promise<void> {
  const next = sql.exec<{ t: number | null }>('SELECT MIN(MIN(COALESCE(run_at, 9e15), COALESCE(webhook_at, 9e15))) AS t FROM recon_runs').one().t;
  if (next === null || next >= 9e15) await storage.deleteAlarm();
  else await storage.setAlarm(next);
}

/** What a run looks like to a test or an operator: state, tries and every webhook delivery. */
export function runState(sql: SqlStorage, merchant: string, date: string) {
  const row = rowOf(sql, merchant, date);
  if (!row) return null;
  const deliveries = row.event_id
    ? sql
        .exec<{ try: number; at: number; status: number | null; error: string | null }>(
          'SELECT try, at, status, error FROM recon_deliveries WHERE event_id = ? ORDER BY try',
          row.event_id,
        )
        .toArray()
    : [];
  return {
    scheduled: row.scheduled === 1,
    tries: row.tries,
    run_at: row.run_at,
    event_id: row.event_id,
    delivery: row.delivery,
    webhook_at: row.webhook_at,
    deliveries,
  };
}

/** The Cron Trigger: yesterday (Beijing) for every merchant that can reconcile. */
export async function scheduledReconciliation(env: Env, scheduledTime: number): Promise<void> {
  const date = addDays(beijingDay(scheduledTime), -1);
  const now = Date.now();
  const results = await Promise.allSettled(
    (await reconcilableMerchants(env)).map((m) => env.MERCHANT_SHARDS.getByName(reconShardName(m.id, date)).scheduleReconciliation(m.id, date, now)),
  );
  for (const r of results) if (r.status === 'rejected') console.error('reconciliation schedule failed', r.reason);
}
