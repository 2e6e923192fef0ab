// The demo merchant's webhook inbox: one SQLite-backed Durable Object holding the deliveries the shop
// received, newest first. Deduplicated by `webhook-id`, as Standard Webhooks asks of receivers: a
// retry of an event already stored only bumps its delivery count.

import { DurableObject } from 'cloudflare:workers';

/** Keep the demo's storage bounded; a person looks at the latest few anyway. */
const KEEP = 200;

export interface InboxEntry {
  /** `webhook-id`; the same on every retry of one event. */
  id: string;
  type: string | null;
  /** The checkout session or refund the event is about, when the body names one. */
  object_id: string | null;
  signature_valid: boolean;
  /** Why a delivery was refused (only when `signature_valid` is false). */
  error: string | null;
  received_at: string;
  deliveries: number;
  /** The raw body of verified deliveries; null for refused ones (an unverified body is not kept). */
  body: string | null;
}

export interface InboxRecord {
  id: string;
  type: string | null;
  object_id: string | null;
  signature_valid: boolean;
  error: string | null;
  body: string | null;
}

export class DemoInbox extends DurableObject<object> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      type TEXT,
      object_id TEXT,
      signature_valid INTEGER NOT NULL,
      error TEXT,
      body TEXT,
      received_at TEXT NOT NULL,
      deliveries INTEGER NOT NULL DEFAULT 1
    )`);
  }

  record(r: InboxRecord): { duplicate: boolean } {
    const now = new Date().toISOString();
    const existing = this.sql.exec('SELECT signature_valid FROM deliveries WHERE id = ?', r.id).toArray()[0];
    if (existing && existing.signature_valid === 1) {
      // A verified retry counts; a forged copy of a stored event changes nothing.
      if (r.signature_valid) this.sql.exec('UPDATE deliveries SET deliveries = deliveries + 1 WHERE id = ?', r.id);
      return { duplicate: true };
    }
    // A refused delivery followed by a good one under the same id: keep the good one.
    this.sql.exec('DELETE FROM deliveries WHERE id = ?', r.id);
    this.sql.exec(
      'INSERT INTO deliveries (id, type, object_id, signature_valid, error, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      r.id,
      r.type,
      r.object_id,
      r.signature_valid ? 1 : 0,
      r.error,
      r.body,
      now,
    );
    this.sql.exec('DELETE FROM deliveries WHERE seq <= (SELECT MAX(seq) FROM deliveries) - ?', KEEP);
    return { duplicate: false };
  }

  list(limit = 50): InboxEntry[] {
    const rows = this.sql
      .exec<{
        id: string;
        type: string | null;
        object_id: string | null;
        signature_valid: number;
        error: string | null;
        body: string | null;
        received_at: string;
        deliveries: number;
      }>('SELECT id, type, object_id, signature_valid, error, body, received_at, deliveries FROM deliveries ORDER BY seq DESC LIMIT ?', limit)
      .toArray();
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      object_id: row.object_id,
      signature_valid: row.signature_valid === 1,
      error: row.error,
      received_at: row.received_at,
      deliveries: row.deliveries,
      body: row.body,
    }));
  }
}
