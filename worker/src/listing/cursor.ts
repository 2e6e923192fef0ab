// List cursors (`next_cursor` → `starting_after`): opaque to the merchant, and bound to the merchant,
// the list and its filters, so a cursor carried over from another merchant's key, another list or other
// filters is refused (400 invalid_cursor) instead of silently paging through something else. The
// binding is a digest, not a signature: every list query is already limited to the authenticated
// merchant, so a forged cursor can only point somewhere inside the caller's own list.
// A position is the last item's (created, id): pages are keyset ranges, so rows added meanwhile never
// shift a later page (docs/merchant-api.md, "Lists and pagination").

import { sha256Hex } from '../crypto/digest';
import { ErrorCode, ErrorType, ShouyinError } from '../lib/errors';
import type { Position } from './store';

export type ListName = 'checkout_sessions' | 'refunds' | 'webhook_endpoints' | 'event_deliveries' | 'endpoint_deliveries';

const CURSOR = /^([A-Za-z0-9_-]{4,200})\.([0-9a-f]{24})$/;

/** The filters as one canonical string: the same filters in any order bind the same. */
export function filterKey(filters: Record<string, string | number | undefined>): string {
  return JSON.stringify(
    Object.keys(filters)
      .filter((k) => filters[k] !== undefined)
      .sort()
      .map((k) => [k, String(filters[k])]),
  );
}

async function tag(merchant: string, list: ListName, filters: string, payload: string): Promise<string> {
  return (await sha256Hex(`shouyin.cursor.v1\n${merchant}\n${list}\n${filters}\n${payload}`)).slice(0, 24);
}

const b64url = (s: string): string => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64url = (s: string): string => atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));

export async function encodeCursor(merchant: string, list: ListName, filters: string, p: Position): Promise<string> {
  const payload = b64url(`${p.created}:${p.id}`);
  return `${payload}.${await tag(merchant, list, filters, payload)}`;
}

const invalidCursor = (message: string): ShouyinError =>
  new ShouyinError(ErrorType.invalid_request, ErrorCode.request.invalid_cursor, message, 'starting_after');

/** The position a cursor names, or 400 invalid_cursor when it was not made for this merchant, list and filters. */
export async function decodeCursor(merchant: string, list: ListName, filters: string, cursor: string): Promise<Position> {
  const m = CURSOR.exec(cursor);
  if (!m) throw invalidCursor('starting_after must be the next_cursor of a previous page of this list.');
  const [, payload, got] = m as unknown as [string, string, string];
  if ((await tag(merchant, list, filters, payload)) !== got) {
    throw invalidCursor('starting_after was issued for another list, other filters or another merchant; start again without it, with the same filters.');
  }
  let text: string;
  try {
    text = unb64url(payload);
  } catch {
    throw invalidCursor('starting_after must be the next_cursor of a previous page of this list.');
  }
  const p = /^(\d{1,16}):([A-Za-z0-9_]{1,64})$/.exec(text);
  if (!p) throw invalidCursor('starting_after must be the next_cursor of a previous page of this list.');
  return { created: Number(p[1]), id: p[2]! };
}

/** A page of `limit` items from `rows` (fetched with limit + 1), with its has_more and next_cursor. */
export async function pageOf<T>(
  rows: { id: string; created: number; item: T }[],
  limit: number,
  merchant: string,
  list: ListName,
  filters: string,
): Promise<{ object: 'list'; data: T[]; has_more: boolean; next_cursor: string | null }> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  const more = rows.length > limit && last !== undefined;
  return {
    object: 'list',
    data: data.map((r) => r.item),
    has_more: more,
    next_cursor: more ? await encodeCursor(merchant, list, filters, { created: last.created, id: last.id }) : null,
  };
}
