// What every simulator's ledger (one Durable Object per provider) does alike: SQLite storage, the
// simulated clock and its one alarm, the settings it keeps so the alarm can work without a request,
// and the due-work loop — the provider's own due kinds first (a refund settling, say), then every
// notify whose send is due. Each ledger plugs in its tables, its outbox and `settleDue`; orders,
// refunds and wire formats stay in the provider's ledger.

import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { readMutations, writeMutations, type BillMutation } from '../bills';
import { LedgerClock } from './clock';
import type { Trigger } from './outbox';

/** What the ledger keeps of SHOUYIN_CONFIG; each provider's settings add their keys. */
export interface BaseLedgerSettings {
  time_scale: number;
  notify_delay_seconds: number;
}

/** The part of a provider's outbox the due-work loop drives. */
export interface DueOutbox<S, Sent> {
  dueBy(until: number): string[];
  deliver(settings: S, id: string, trigger: Trigger): Promise<Sent>;
}

export abstract class SimulatorLedger<S extends BaseLedgerSettings, Sent, O extends DueOutbox<S, Sent>> extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  /** Test clock: the ledger's now = wall clock + offset (moved by advanceClock). */
  protected readonly testClock: LedgerClock;
  protected readonly outbox: O;
  /** The latest settings a request passed in (`remember`), in memory only; null until the first. */
  protected saved: S | null = null;

  constructor(ctx: DurableObjectState, env: Env, outbox: (sql: SqlStorage, now: () => number) => O) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.testClock = new LedgerClock(this.sql, ctx.storage);
    this.outbox = outbox(this.sql, () => this.now());
  }

  /**
   * Creates the ledger's tables (`createTables`, between the shared `settings` and `due` tables) and
   * loads the clock before any request. Call last in the provider's constructor.
   */
  protected open(createTables: () => void): void {
    void this.ctx.blockConcurrencyWhile(async () => {
      this.sql.exec('CREATE TABLE IF NOT EXISTS settings (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
      createTables();
      // Due work of every kind ('notify', and the provider's own), on the ledger's clock.
      this.sql.exec('CREATE TABLE IF NOT EXISTS due (kind TEXT NOT NULL, ref TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (kind, ref))');
      this.testClock.load();
      // Keys stay in configuration, never in a ledger (docs/test-mode.md): a copy an older sandbox
      // stored here (the merchants' APIv3/APIv2 keys, the signing keys) is deleted.
      this.sql.exec("DELETE FROM settings WHERE k = 'settings'");
    });
  }

  /**
   * The provider's settings as the configuration gives them now (SHOUYIN_CONFIG and the registry's
   * test merchants, fetched by this Durable Object itself: config.ts refreshConfig), or null when its
   * simulator is not configured. The alarm works with these: no key is ever written to the ledger's
   * storage.
   */
  protected abstract configured(): Promise<S | null>;

  /** The provider's own due work up to `until` (e.g. refunds that settle), before notifies are sent. */
  protected abstract settleDue(settings: S, until: number): Promise<void>;

  /** The ledger's clock (ms), which tests can move forward. */
  clock(): number {
    return this.now();
  }

  override async alarm(): Promise<void> {
    await this.runDue(this.now(), 'schedule');
  }

  /** Everything due, now, whatever the schedule: the provider's due work, then queued notifies. */
  protected flushDue(settings: S): Promise<Sent[]> {
    this.remember(settings);
    return this.runDue(Number.MAX_SAFE_INTEGER, 'flush');
  }

  /** Idempotent: a due item is done once (state + due row change together), then the alarm re-arms. */
  protected async runDue(until: number, trigger: 'schedule' | 'flush'): Promise<Sent[]> {
    const settings = (await this.configured()) ?? this.saved;
    if (!settings) return [];
    await this.settleDue(settings, until);
    const sent = await Promise.all(this.outbox.dueBy(until).map((id) => this.outbox.deliver(settings, id, trigger)));
    await this.rearm();
    return sent;
  }

  /** Works through the due items of `kind` up to `until`, each taken off the `due` table as it is done. */
  protected async eachDue<T>(kind: string, until: number, settle: (ref: T) => Promise<void>): Promise<void> {
    for (const { ref } of this.sql.exec<{ ref: string }>('SELECT ref FROM due WHERE kind = ? AND due_at <= ? ORDER BY due_at', kind, until).toArray()) {
      this.sql.exec('DELETE FROM due WHERE kind = ? AND ref = ?', kind, ref);
      await settle(JSON.parse(ref) as T);
    }
  }

  protected rearm(): Promise<void> {
    return this.testClock.rearm();
  }

  protected now(): number {
    return this.testClock.now();
  }

  // Statements (../bills.ts): the discrepancies a test asked the merchant's next bills to show.

  billMutations(merchantKey: string): BillMutation[] {
    return readMutations(this.sql, merchantKey);
  }

  setBillMutations(merchantKey: string, mutations: BillMutation[]): void {
    writeMutations(this.sql, merchantKey, mutations);
  }

  /** Keeps the settings a request passed in, in memory (they hold keys: never stored). */
  protected remember(settings: S): void {
    this.saved = settings;
  }

  protected setting(k: string): string | undefined {
    return this.sql.exec<{ v: string }>('SELECT v FROM settings WHERE k = ?', k).toArray()[0]?.v;
  }
}
