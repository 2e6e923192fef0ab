// The simulated clock every sandbox ledger runs on, and the one alarm that works through its `due`
// table. Shared because the offset arithmetic is easy to get subtly wrong: the alarm is set on the
// wall clock, due times are stored on the ledger's (shifted) clock.

const KEY = 'clock_offset_ms';

export class LedgerClock {
  /** The ledger's now = wall clock + offset (moved by tests through `advance`); kept in `settings`. */
  private offset = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /** Reads the saved offset; call once the `settings` table exists. */
  load(): void {
    this.offset = Number(this.sql.exec<{ v: string }>('SELECT v FROM settings WHERE k = ?', KEY).toArray()[0]?.v ?? 0);
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /**
   * Moves the clock forward by `ms`, or back to the wall clock (`null`), and saves it. `exact`
   * adds `ms` as given; otherwise it is rounded and never negative (each ledger keeps its rule).
   */
  advance(ms: number | null, exact = false): void {
    this.offset = ms === null ? 0 : this.offset + (exact ? ms : Math.max(0, Math.round(ms)));
    this.sql.exec('INSERT OR REPLACE INTO settings (k, v) VALUES (?, ?)', KEY, String(this.offset));
  }

  /** Sets the one alarm to the earliest due item (shifted back to the wall clock), or clears it. */
  async rearm(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>('SELECT MIN(due_at) AS t FROM due').one().t;
    if (next === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(Math.max(Date.now(), next - this.offset));
  }
}
