// A scripted fetch for the SDK's unit tests: records every request and answers from a list of
// replies (a Response, a thrown error, or a function of the request), in order.

import type { FetchLike } from '../src/request.js';
import { Shouyin, type ShouyinOptions } from '../src/index.js';

export interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  /** The path and query after the base URL, e.g. `/v1/refunds?session=cs_1`. */
  path: string;
  query: URLSearchParams;
}

export type Reply = Response | Error | ((req: SentRequest, signal: AbortSignal | undefined) => Response | Promise<Response>);

export const BASE_URL = 'https://pay.example.test';
export const API_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export const apiError = (status: number, type: string, code: string, param?: string, headers: Record<string, string> = {}): Response =>
  json({ error: { type, code, message: `${code} happened`, ...(param ? { param } : {}) } }, status, headers);

export function fakeFetch(replies: Reply[]): { fetch: FetchLike; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const queue = [...replies];
  const fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    const req: SentRequest = {
      url,
      method: init.method,
      headers: { ...init.headers },
      body: init.body === undefined ? undefined : JSON.parse(init.body),
      path: `${u.pathname}${u.search}`,
      query: u.searchParams,
    };
    sent.push(req);
    const reply = queue.shift();
    if (reply === undefined) throw new Error(`unexpected request ${init.method} ${url}`);
    if (reply instanceof Error) throw reply;
    if (typeof reply === 'function') return reply(req, init.signal);
    return reply;
  };
  return { fetch, sent };
}

/** A client on a scripted fetch, with retry delays of about a millisecond. */
export function client(replies: Reply[], options: Partial<ShouyinOptions> = {}): { shouyin: Shouyin; sent: SentRequest[] } {
  const { fetch, sent } = fakeFetch(replies);
  const shouyin = new Shouyin({ apiKey: API_KEY, baseUrl: BASE_URL, fetch, retryBaseDelayMs: 1, retryMaxDelayMs: 2, ...options });
  return { shouyin, sent };
}

/** A list page as Shouyin answers it. */
export const page = <T>(data: T[], next_cursor: string | null): Response => json({ object: 'list', data, has_more: next_cursor !== null, next_cursor });
