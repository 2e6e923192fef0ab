/**
 * The long-poll loop behind `StatusController`, free of Lit and the DOM so it can be tested with an
 * injected fetch and injected timers.
 *
 * - one request at a time: a new request starts only after the previous one settled or was aborted;
 * - drops stale answers: a response from a superseded request, or with a lower version than the
 *   newest seen, is ignored;
 * - backs off on transient failures (network, time-out, 408/429/5xx) 1 s → 2 s → 4 s → 8 s → 15 s
 *   (cap), reset on success;
 * - stops for good on a terminal status, and on an error retrying cannot fix (4xx).
 */
import type { SessionStatus, StatusView } from '../../../worker/src/contract';
import { ApiError } from '../api';

/** paid, expired and canceled are final: nothing changes after them. */
export const isTerminal = (status: SessionStatus): boolean => status !== 'open';

export const BACKOFF_MAX_MS = 15000;
/** Floor between two requests that brought nothing new (a proxy that cuts holds short must not cause a hot loop). */
export const MIN_INTERVAL_MS = 1000;

/** Next delay after a failure, given the previous delay (0 = no failure yet). */
export function nextBackoff(previousMs: number): number {
  return previousMs > 0 ? Math.min(previousMs * 2, BACKOFF_MAX_MS) : 1000;
}

/** Whether a status answer is news: same version = nothing changed, lower = stale (dropped). */
export function isNewer(current: number | undefined, incoming: number): boolean {
  return current === undefined || incoming > current;
}

export type FetchStatus = (version: number | undefined, signal: AbortSignal) => Promise<StatusView>;
type Timer = unknown;

export interface PollerOptions {
  /** A newer status arrived. */
  onStatus(view: StatusView): void;
  /** An error retrying will not fix; polling has stopped. */
  onFatal?(error: unknown): void;
  /** The count of consecutive failures changed (0 = healthy again). */
  onHealth?(failures: number): void;
  setTimeout?: (fn: () => void, ms: number) => Timer;
  clearTimeout?: (t: Timer) => void;
  now?: () => number;
}

export class StatusPoller {
  /** Newest version applied; the next request asks the server for anything else. */
  version: number | undefined;
  /** Consecutive failed requests. */
  failures = 0;
  /** A terminal status (or a fatal error) was seen: this watch is over. */
  done = false;

  private readonly o: PollerOptions;
  private readonly set: (fn: () => void, ms: number) => Timer;
  private readonly clear: (t: Timer) => void;
  private readonly now: () => number;
  /** Allowed to poll (the host is connected). */
  private on = false;
  private fetch: FetchStatus | undefined;
  private seq = 0;
  private delay = 0;
  private timer: Timer | undefined;
  private inflight: { ctrl: AbortController; started: number } | undefined;

  constructor(o: PollerOptions) {
    this.o = o;
    this.set = o.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clear = o.clearTimeout ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
    this.now = o.now ?? Date.now;
  }

  /** Follow a new source from `version` (or nothing, with no arguments), dropping the old one. */
  watch(fetch?: FetchStatus, version?: number): void {
    this.cancel();
    Object.assign(this, { fetch, version, done: false, failures: 0, delay: 0 });
    void this.poll();
  }

  /** Allow polling (again). */
  start(): void {
    if (this.on) return;
    this.on = true;
    void this.poll();
  }

  /** Pause: abort the request in flight and any wait. `start()` resumes. */
  stop(): void {
    this.on = false;
    this.cancel();
  }

  /** Ask now (tab visible again, page restored from the back/forward cache), skipping any wait. */
  recheck(): void {
    // A request that started a moment ago is fresh enough (visibilitychange and pageshow come in pairs).
    if (this.inflight && this.now() - this.inflight.started < 1000) return;
    this.delay = 0;
    void this.poll();
  }

  private cancel(): void {
    this.seq++;
    this.clear(this.timer);
    this.inflight?.ctrl.abort();
    this.inflight = undefined;
  }

  private schedule(ms: number): void {
    this.timer = this.set(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    this.cancel();
    const fetch = this.fetch;
    if (!this.on || !fetch || this.done) return;
    const id = this.seq;
    const ctrl = new AbortController();
    const started = this.now();
    this.inflight = { ctrl, started };
    try {
      const view = await fetch(this.version, ctrl.signal);
      if (id !== this.seq) return;
      this.inflight = undefined;
      this.delay = 0;
      if (this.failures) {
        this.failures = 0;
        this.o.onHealth?.(0);
      }
      const newer = isNewer(this.version, view.version);
      if (newer) {
        this.version = view.version;
        this.done = isTerminal(view.status);
        this.o.onStatus(view);
        if (id !== this.seq || this.done) return;
      }
      const wait = MIN_INTERVAL_MS - (this.now() - started);
      if (!newer && wait > 0) this.schedule(wait);
      else void this.poll();
    } catch (e) {
      // Our own aborts (stop, recheck, a new watch) always bump `seq`, so they end here.
      if (id !== this.seq) return;
      this.inflight = undefined;
      if (e instanceof ApiError && !e.transient) {
        this.done = true;
        this.o.onFatal?.(e);
        return;
      }
      this.delay = nextBackoff(this.delay);
      this.failures++;
      this.o.onHealth?.(this.failures);
      this.schedule(this.delay);
    }
  }
}
