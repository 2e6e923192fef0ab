// Cursor pagination over the merchant API's lists: `{object: "list", data, has_more, next_cursor}`,
// newest first, the next page asked for with `starting_after=<next_cursor>` (docs/merchant-api.md).

import type { ListPage } from './types.js';

/**
 * A list call. Nothing is fetched until it is used:
 * - `for await (const item of list)` walks every item, fetching pages as it goes (stop with `break`);
 * - `await list.page()` fetches one page (the first, or the one after `starting_after`);
 * - `for await (const page of list.pages())` walks page by page;
 * - `await list.toArray({ max })` collects up to `max` items.
 */
export class ListRequest<T> implements AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (startingAfter: string | undefined) => Promise<ListPage<T>>,
    private readonly startingAfter: string | undefined,
  ) {}

  /** One page: the first, or the one after the `starting_after` the list was called with. */
  page(): Promise<ListPage<T>> {
    return this.fetchPage(this.startingAfter);
  }

  /** Every page in turn, until one says `has_more: false`. */
  async *pages(): AsyncGenerator<ListPage<T>, void, undefined> {
    let cursor = this.startingAfter;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield page;
      if (!page.has_more || page.next_cursor === null) return;
      // A cursor that comes back again would loop forever: stop loudly instead.
      if (seen.has(page.next_cursor)) throw new Error(`The list returned the cursor ${page.next_cursor} twice; stopping.`);
      seen.add(page.next_cursor);
      cursor = page.next_cursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Up to `max` items, fetching only the pages needed. `max` is required so a long list cannot exhaust memory. */
  async toArray({ max }: { max: number }): Promise<T[]> {
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer.');
    const out: T[] = [];
    for await (const item of this) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  }
}
