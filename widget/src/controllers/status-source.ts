/**
 * Where the widget learns the session's status, free of Lit and the DOM so it can be tested with a
 * fake socket, an injected fetch and injected timers. `StatusController` ties it to the element.
 *
 * - a WebSocket to the session's Durable Object first: the server sends the status at once and on
 *   every change, so "paid" arrives the moment the notify is accepted;
 * - the long-poll (`/status?wait=25&version=N`) when the socket cannot open, or keeps failing;
 * - one thing at a time: a socket, or one request, or one wait (never two requests in flight);
 * - drops stale answers: lower versions and answers from a superseded request or socket;
 * - backs off on transient failures (network, time-out, 408/429/5xx) 1 s → 2 s → 4 s → 8 s → 15 s;
 * - stops for good on a terminal status, and on an error retrying cannot fix (4xx).
 */
import type { SessionStatus, StatusView } from '../../../worker/src/contract';
import { ApiError } from '../api';

/** paid, expired and canceled are final: nothing changes after them. */
export const isTerminal = (status: SessionStatus): boolean => status !== 'open';

export const BACKOFF_MAX_MS = 15000;
/** Floor between two requests that brought nothing new (a proxy that cuts holds short must not cause a hot loop). */
export const MIN_INTERVAL_MS = 1000;
/** A quiet socket sends `ping` this often; proxies drop idle connections (Cloudflare's edge after 100 s). */
export const PING_MS = 30000;
/** No `pong` (or any message) within this after a ping: the socket is dead even if it looks open. */
export const PONG_MS = 5000;
/** A socket that closes sooner than this after opening dropped "quickly"; two quick drops = flapping. */
export const STABLE_MS = 10000;

/** Next delay after a failure, given the previous delay (0 = no failure yet). */
export function nextBackoff(previousMs: number): number {
  return previousMs > 0 ? Math.min(previousMs * 2, BACKOFF_MAX_MS) : 1000;
}

/** Whether a status answer is news: same version = nothing changed, lower = stale (dropped). */
export function isNewer(current: number | undefined, incoming: number): boolean {
  return current === undefined || incoming > current;
}

export type FetchStatus = (version: number | undefined, signal: AbortSignal) => Promise<StatusView>;

/** The part of the browser's WebSocket this uses. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}
export type OpenSocket = () => SocketLike;

type Timer = unknown;

export interface SourceOptions {
  /** A newer status arrived. */
  onStatus(view: StatusView): void;
  /** An error retrying will not fix; watching has stopped. */
  onFatal?(error: unknown): void;
  /** The count of consecutive failures changed (0 = healthy again). */
  onHealth?(failures: number): void;
  setTimeout?: (fn: () => void, ms: number) => Timer;
  clearTimeout?: (t: Timer) => void;
  now?: () => number;
}

export class StatusSource {
  /** Newest version applied. */
  version: number | undefined;
  /** Consecutive failures (requests or sockets). */
  failures = 0;
  /** A terminal status (or a fatal error) was seen: this watch is over. */
  done = false;
  /** Sockets of this watch that closed within STABLE_MS of opening. */
  private quickDrops = 0;
  /** How status arrives now: `socket` while one is open or opening, else `poll`. */
  mode: 'socket' | 'poll' = 'poll';

  private readonly o: SourceOptions;
  private readonly set: (fn: () => void, ms: number) => Timer;
  private readonly clear: (t: Timer) => void;
  private readonly now: () => number;
  /** Allowed to run (the host is connected). */
  private on = false;
  private fetch: FetchStatus | undefined;
  private openSocket: OpenSocket | undefined;
  /** Bumped by every cancel: callbacks of anything older are ignored. */
  private seq = 0;
  private delay = 0;
  private timer: Timer | undefined;
  private inflight: { ctrl: AbortController; started: number } | undefined;
  private sock: SocketLike | undefined;
  /** Give up on the current socket (closed, errored, or silent after a ping). */
  private lost: () => void = () => {};

  constructor(o: SourceOptions) {
    this.o = o;
    this.set = o.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clear = o.clearTimeout ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
    this.now = o.now ?? Date.now;
  }

  /**
   * Follow a new session from `version` (nothing, with no arguments), dropping the old one. With
   * `openSocket`, a socket is tried first and the long-poll `fetch` is the fallback.
   */
  watch(fetch?: FetchStatus, version?: number, openSocket?: OpenSocket): void {
    this.cancel();
    Object.assign(this, { fetch, version, openSocket, done: false, failures: 0, delay: 0, quickDrops: 0 });
    this.run();
  }

  /** Allow watching (again). */
  start(): void {
    if (this.on) return;
    this.on = true;
    this.run();
  }

  /** Pause: close the socket, abort the request in flight and any wait. `start()` resumes. */
  stop(): void {
    this.on = false;
    this.cancel();
  }

  /**
   * Make sure the status is current now (tab visible again, page back from the back/forward cache,
   * the wallet said "ok"), skipping any wait. An open socket is asked for the status: a phone may
   * have killed it while the page was hidden, and only a reply proves it alive.
   */
  recheck(): void {
    if (this.sock) {
      this.ping('status');
      return;
    }
    // A request that started a moment ago is fresh enough (visibilitychange and pageshow come in pairs).
    if (this.inflight && this.now() - this.inflight.started < 1000) return;
    this.delay = 0;
    this.run();
  }

  private cancel(): void {
    this.seq++;
    this.clear(this.timer);
    this.inflight?.ctrl.abort();
    this.inflight = undefined;
    const s = this.sock;
    this.sock = undefined;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      s.close(1000);
    }
  }

  private run(): void {
    this.cancel();
    if (!this.on || !this.fetch || this.done) return;
    if (this.openSocket) this.connect(this.openSocket);
    else void this.request(this.fetch);
  }

  private schedule(ms: number): void {
    this.timer = this.set(() => this.run(), ms);
  }

  private healthy(): void {
    this.delay = 0;
    if (this.failures) {
      this.failures = 0;
      this.o.onHealth?.(0);
    }
  }

  private failed(): void {
    this.delay = nextBackoff(this.delay);
    this.failures++;
    this.o.onHealth?.(this.failures);
  }

  /** Applies a status if it is news; returns false once the watch is over. */
  private apply(view: StatusView): boolean {
    if (isNewer(this.version, view.version)) {
      this.version = view.version;
      this.done = isTerminal(view.status);
      this.o.onStatus(view);
    }
    return !this.done;
  }

  private connect(open: OpenSocket): void {
    const id = this.seq;
    let opened: number | undefined;
    let s: SocketLike;
    this.mode = 'socket';
    const lost = (this.lost = () => {
      if (id !== this.seq) return;
      this.cancel();
      this.failed();
      // Never opened (blocked, refused, no WebSocket through this proxy), or flapping (a second
      // quick drop): long-poll from now on, at once (the socket was the fast path, not a reason to
      // wait). A socket that dropped once (a phone's radio, a deploy restarting the Durable Object)
      // is opened again after the backoff; the server sends the current status on connect.
      if (opened === undefined || (this.now() - opened < STABLE_MS && ++this.quickDrops > 1)) {
        this.openSocket = undefined;
        this.run();
      } else this.schedule(this.delay);
    });
    try {
      s = this.sock = open();
    } catch {
      // A Content-Security-Policy without this origin in connect-src throws right here.
      lost();
      return;
    }
    s.onopen = () => {
      if (id !== this.seq) return;
      opened = this.now();
      this.alive();
    };
    s.onmessage = (e) => {
      if (id !== this.seq) return;
      this.alive();
      if (e.data === 'pong') return;
      let view: StatusView | undefined;
      try {
        view = JSON.parse(String(e.data)) as StatusView;
      } catch {
        // not ours: ignore
      }
      if (view && typeof view.version === 'number' && typeof view.status === 'string') {
        this.healthy();
        if (!this.apply(view)) this.cancel();
      }
    };
    s.onclose = s.onerror = lost;
  }

  /** Heard from the socket: next ping in PING_MS. */
  private alive(): void {
    this.clear(this.timer);
    this.timer = this.set(() => this.ping(), PING_MS);
  }

  /**
   * Ask the socket for a `pong` (answered by the edge without waking the Durable Object) or the
   * `status`; no message within PONG_MS means it is dead.
   */
  private ping(msg = 'ping'): void {
    const s = this.sock;
    if (!s) return;
    const id = this.seq;
    this.clear(this.timer);
    try {
      s.send(msg);
    } catch {
      // still connecting, or already closing: the deadline below decides
    }
    this.timer = this.set(() => id === this.seq && this.lost(), PONG_MS);
  }

  private async request(fetch: FetchStatus): Promise<void> {
    this.mode = 'poll';
    const id = this.seq;
    const ctrl = new AbortController();
    const started = this.now();
    this.inflight = { ctrl, started };
    try {
      const view = await fetch(this.version, ctrl.signal);
      if (id !== this.seq) return;
      this.inflight = undefined;
      this.healthy();
      const newer = isNewer(this.version, view.version);
      if (!this.apply(view) || id !== this.seq) return;
      const wait = MIN_INTERVAL_MS - (this.now() - started);
      if (!newer && wait > 0) this.schedule(wait);
      else this.run();
    } catch (e) {
      // Our own aborts (stop, recheck, a new watch) always bump `seq`, so they end here.
      if (id !== this.seq) return;
      this.inflight = undefined;
      if (e instanceof ApiError && !e.transient) {
        this.done = true;
        this.o.onFatal?.(e);
        return;
      }
      this.failed();
      this.schedule(this.delay);
    }
  }
}
