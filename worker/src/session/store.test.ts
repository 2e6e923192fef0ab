// A session stored before webhook endpoints existed has the old `deliveries` table: opening it adds the
// new columns, keeps its rows, and counts them as reported (they were never in the delivery log).

import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SessionStore } from './store';

describe('the session store on an older schema', () => {
  it('adds the delivery columns and keeps the old rows out of the report', async () => {
    // Any SQLite-backed object gives a database to play the old session's.
    await runInDurableObject(env.MERCHANT_SHARDS.getByName('store-migration-test'), (_o, state: DurableObjectState) => {
      const sql = state.storage.sql;
      // A session's tables are made by its create only: an object without them is left as it is.
      new SessionStore(sql);
      expect(sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'deliveries'").toArray()).toEqual([]);
      // An old session: its own row's table and the old deliveries table.
      sql.exec('CREATE TABLE session (id TEXT PRIMARY KEY)');
      sql.exec('CREATE TABLE deliveries (event_id TEXT NOT NULL, try INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT)');
      sql.exec("INSERT INTO deliveries (event_id, try, at, status, error) VALUES ('evt_old', 1, 1000, 503, NULL)");
      const store = new SessionStore(sql);
      const columns = sql
        .exec<{ name: string }>('PRAGMA table_info(deliveries)')
        .toArray()
        .map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(['id', 'endpoint_id', 'duration_ms', 'next_retry_at', 'reported']));
      expect(store.deliveries('evt_old')).toMatchObject([{ try: 1, status: 503, id: null, endpoint_id: null }]);
      expect(sql.exec<{ reported: number }>("SELECT reported FROM deliveries WHERE event_id = 'evt_old'").one().reported).toBe(1);
      // Opening it again changes nothing.
      new SessionStore(sql);
      expect(sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries').one().n).toBe(1);
    });
  });
});
