import { describe, expect, it } from 'vitest';
import type { SessionStatus, StatusView } from '../../../worker/src/contract';
import { ApiError } from '../api';
import { isNewer, MIN_INTERVAL_MS, nextBackoff, PING_MS, PONG_MS, STABLE_MS, StatusSource, type SocketLike } from './status-source';

/** A hand-driven clock: timers run only when the test advances time. */
class Clock {
  now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  set = (fn: () => void, ms: number): number => {
    const id = this.next++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  };
  clear = (id: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  /** Delays of the pending timers. */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.now);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.now = due.at;
      this.clear(due.id);
      due.fn();
      await flush();
    }
    this.now = end;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

interface Call {
  version: number | undefined;
  signal: AbortSignal;
  resolve(v: StatusView): void;
  reject(e: unknown): void;
}

function setup() {
  const clock = new Clock();
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const statuses: StatusView[] = [];
  const health: number[] = [];
  const fatal: unknown[] = [];
  const poller = new StatusSource({
    onStatus: (v) => statuses.push(v),
    onHealth: (n) => health.push(n),
    onFatal: (e) => fatal.push(e),
    setTimeout: clock.set,
    clearTimeout: clock.clear,
    now: () => clock.now,
  });
  const fetch = (version: number | undefined, signal: AbortSignal) =>
    new Promise<StatusView>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => inFlight--;
      const call: Call = {
        version,
        signal,
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      };
      // Like fetch: an abort rejects the pending request.
      signal.addEventListener('abort', () => call.reject(new DOMException('aborted', 'AbortError')));
      calls.push(call);
    });
  const view = (version: number, status: SessionStatus = 'open'): StatusView => ({
    id: 'cs_1',
    status,
    version,
    active_attempt: null,
  });
  const last = () => calls[calls.length - 1]!;
  return { clock, calls, last, poller, fetch, view, statuses, health, fatal, maxInFlight: () => maxInFlight };
}

describe('pure helpers', () => {
  it('backs off 1 s → 2 s → 4 s → 8 s → 15 s and stays at 15 s', () => {
    const seq: number[] = [];
    let d = 0;
    for (let i = 0; i < 7; i++) seq.push((d = nextBackoff(d)));
    expect(seq).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('treats only a higher version as news', () => {
    expect(isNewer(undefined, 0)).toBe(true);
    expect(isNewer(3, 4)).toBe(true);
    expect(isNewer(4, 4)).toBe(false);
    expect(isNewer(4, 3)).toBe(false);
  });
});

describe('StatusSource', () => {
  it('long-polls with the last version, one request at a time', async () => {
    const t = setup();
    t.poller.watch(t.fetch);
    t.poller.start();
    expect(t.calls).toHaveLength(1);
    expect(t.last().version).toBeUndefined();
    t.last().resolve(t.view(1));
    await flush();
    expect(t.statuses.map((s) => s.version)).toEqual([1]);
    // A change: ask again at once, from the new version.
    expect(t.calls).toHaveLength(2);
    expect(t.last().version).toBe(1);
    await t.clock.advance(24_000); // the server holds…
    t.last().resolve(t.view(1)); // …and times out with no change
    await flush();
    expect(t.calls).toHaveLength(3);
    expect(t.last().version).toBe(1);
    expect(t.statuses).toHaveLength(1);
    expect(t.maxInFlight()).toBe(1);
  });

  it('waits a moment before re-asking when an unchanged answer came back early', async () => {
    const t = setup();
    t.poller.watch(t.fetch, 5);
    t.poller.start();
    t.last().resolve(t.view(5));
    await flush();
    expect(t.calls).toHaveLength(1);
    expect(t.clock.pending()).toEqual([MIN_INTERVAL_MS]);
    await t.clock.advance(MIN_INTERVAL_MS);
    expect(t.calls).toHaveLength(2);
  });

  it('drops stale answers: lower versions and superseded requests', async () => {
    const t = setup();
    t.poller.watch(t.fetch, 5);
    t.poller.start();
    t.last().resolve(t.view(3, 'expired'));
    await flush();
    expect(t.statuses).toEqual([]);
    expect(t.poller.version).toBe(5);
    expect(t.poller.done).toBe(false);

    await t.clock.advance(MIN_INTERVAL_MS);
    const old = t.last();
    await t.clock.advance(2000);
    t.poller.recheck(); // aborts `old` and asks again
    expect(old.signal.aborted).toBe(true);
    expect(t.calls).toHaveLength(3);
    old.resolve(t.view(9, 'paid')); // arrives anyway: ignored
    await flush();
    expect(t.statuses).toEqual([]);
    expect(t.maxInFlight()).toBe(1);
  });

  it('backs off on network errors and recovers', async () => {
    const t = setup();
    t.poller.watch(t.fetch);
    t.poller.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.last().reject(new ApiError(0, { type: 'network_error', code: 'network', message: 'offline' }));
      await flush();
      const [d] = t.clock.pending();
      delays.push(d!);
      await t.clock.advance(d!);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
    expect(t.health).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.poller.failures).toBe(6);
    t.last().resolve(t.view(1));
    await flush();
    expect(t.health.at(-1)).toBe(0);
    t.last().reject(new ApiError(503, { type: 'api_error', code: 'http_503', message: '' }));
    await flush();
    expect(t.clock.pending()).toEqual([1000]); // the backoff starts over
  });

  it('treats an abort it did not ask for (browser, bfcache) as a failure, not an end', async () => {
    const t = setup();
    t.poller.watch(t.fetch);
    t.poller.start();
    t.last().reject(new DOMException('aborted', 'AbortError'));
    await flush();
    expect(t.health).toEqual([1]);
    await t.clock.advance(1000);
    expect(t.calls).toHaveLength(2);
  });

  it('stops for good on a terminal status', async () => {
    for (const status of ['paid', 'expired', 'canceled'] as const) {
      const t = setup();
      t.poller.watch(t.fetch);
      t.poller.start();
      t.last().resolve(t.view(2, status));
      await flush();
      expect(t.statuses.map((s) => s.status)).toEqual([status]);
      expect(t.poller.done).toBe(true);
      await t.clock.advance(60_000);
      t.poller.recheck();
      expect(t.calls).toHaveLength(1);
    }
  });

  it('stops on an error retrying cannot fix', async () => {
    const t = setup();
    t.poller.watch(t.fetch);
    t.poller.start();
    const e = new ApiError(401, { type: 'authentication_error', code: 'invalid_client_secret', message: '' });
    t.last().reject(e);
    await flush();
    expect(t.fatal).toEqual([e]);
    await t.clock.advance(60_000);
    expect(t.calls).toHaveLength(1);
  });

  it('aborts on stop, resumes on start, and rechecks immediately during a backoff', async () => {
    const t = setup();
    t.poller.watch(t.fetch, 1);
    t.poller.start();
    const first = t.last();
    t.poller.stop();
    expect(first.signal.aborted).toBe(true);
    await t.clock.advance(60_000);
    expect(t.calls).toHaveLength(1);
    t.poller.start();
    expect(t.calls).toHaveLength(2);
    expect(t.last().version).toBe(1);

    t.last().reject(new ApiError(0, { type: 'network_error', code: 'network', message: '' }));
    await flush();
    t.last(); // nothing new until the backoff ends…
    expect(t.calls).toHaveLength(2);
    t.poller.recheck(); // …unless the tab comes back into view
    expect(t.calls).toHaveLength(3);
    t.poller.recheck(); // a second event right after does not restart the fresh request
    expect(t.calls).toHaveLength(3);
    expect(t.maxInFlight()).toBe(1);
  });

  it('does nothing before start() and switches cleanly between watches', async () => {
    const t = setup();
    t.poller.watch(t.fetch);
    expect(t.calls).toHaveLength(0);
    t.poller.start();
    const a = t.last();
    t.poller.watch(t.fetch, 10);
    expect(a.signal.aborted).toBe(true);
    expect(t.last().version).toBe(10);
    t.poller.watch();
    expect(t.last().signal.aborted).toBe(true);
    await t.clock.advance(60_000);
    expect(t.calls).toHaveLength(2);
  });
});

describe('StatusSource without optional callbacks', () => {
  it('still counts failures and recovers', async () => {
    const clock = new Clock();
    let reply: ((v: StatusView) => void) | undefined;
    let fail: ((e: unknown) => void) | undefined;
    const poller = new StatusSource({ onStatus: () => {}, setTimeout: clock.set, clearTimeout: clock.clear, now: () => clock.now });
    poller.watch(() => new Promise<StatusView>((res, rej) => ((reply = res), (fail = rej))));
    poller.start();
    fail!(new ApiError(0, { type: 'network_error', code: 'network', message: '' }));
    await flush();
    expect(poller.failures).toBe(1);
    await clock.advance(1000);
    reply!({ id: 'cs', status: 'open', version: 1, active_attempt: null });
    await flush();
    expect(poller.failures).toBe(0);
    expect(poller.version).toBe(1);
  });
});

/** A WebSocket stand-in the test drives: it opens, talks and closes when told. */
class FakeSocket implements SocketLike {
  sent: string[] = [];
  closed: number | undefined;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closed = code ?? 1005;
  }
  open(): void {
    this.onopen?.({} as Event);
  }
  push(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) } as MessageEvent);
  }
  drop(): void {
    this.onclose?.({} as CloseEvent);
  }
}

function socketSetup() {
  const t = setup();
  const sockets: FakeSocket[] = [];
  const open = () => {
    const s = new FakeSocket();
    sockets.push(s);
    return s;
  };
  const sock = () => sockets[sockets.length - 1]!;
  return { ...t, sockets, open, sock };
}

describe('StatusSource over a WebSocket', () => {
  it('takes pushed statuses from the socket and sends no requests while it works', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    expect(t.sockets).toHaveLength(1);
    expect(t.poller.mode).toBe('socket');
    t.sock().open();
    t.sock().push(t.view(1));
    t.sock().push(t.view(2));
    t.sock().push(t.view(2)); // a repeat: nothing new
    t.sock().push(t.view(1)); // stale: dropped
    expect(t.statuses.map((s) => s.version)).toEqual([1, 2]);
    t.sock().push('pong');
    t.sock().push('not json');
    t.sock().push({ hello: 1 });
    expect(t.statuses).toHaveLength(2);
    await t.clock.advance(PING_MS - 1);
    expect(t.calls).toHaveLength(0);
    expect(t.sockets).toHaveLength(1);
  });

  it('closes the socket on a terminal status and does nothing after', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    t.sock().open();
    t.sock().push(t.view(4, 'paid'));
    expect(t.statuses.map((s) => s.status)).toEqual(['paid']);
    expect(t.sock().closed).toBe(1000);
    expect(t.poller.done).toBe(true);
    t.poller.recheck();
    await t.clock.advance(120_000);
    expect(t.calls).toHaveLength(0);
    expect(t.sockets).toHaveLength(1);
  });

  it('falls back to the long-poll at once when the socket never opens (blocked, refused)', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, 3, t.open);
    t.poller.start();
    t.sock().drop();
    expect(t.poller.mode).toBe('poll');
    expect(t.calls).toHaveLength(1);
    expect(t.last().version).toBe(3);
    t.last().resolve(t.view(4, 'paid'));
    await flush();
    expect(t.statuses.map((s) => s.status)).toEqual(['paid']);
    expect(t.sockets).toHaveLength(1); // never tried again
  });

  it('falls back when the WebSocket constructor throws (a Content-Security-Policy)', () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, () => {
      throw new DOMException('refused', 'SecurityError');
    });
    t.poller.start();
    expect(t.poller.mode).toBe('poll');
    expect(t.calls).toHaveLength(1);
  });

  it('reconnects a socket that worked and then dropped, after the backoff, and catches up', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    t.sock().open();
    t.sock().push(t.view(1));
    await t.clock.advance(STABLE_MS + 5000);
    t.sock().drop();
    expect(t.poller.failures).toBe(1);
    expect(t.sockets).toHaveLength(1);
    await t.clock.advance(1000);
    expect(t.sockets).toHaveLength(2);
    expect(t.calls).toHaveLength(0);
    t.sock().open();
    t.sock().push(t.view(3, 'paid')); // the server sends the current status on connect
    expect(t.statuses.map((s) => s.version)).toEqual([1, 3]);
    expect(t.poller.failures).toBe(0);
  });

  it('reopens a socket that dropped soon after opening once, and long-polls after a second quick drop', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    t.sock().open();
    await t.clock.advance(2000);
    t.sock().drop(); // a deploy restarted the Durable Object, say
    expect(t.calls).toHaveLength(0);
    await t.clock.advance(1000);
    expect(t.sockets).toHaveLength(2);
    t.sock().open();
    await t.clock.advance(2000);
    t.sock().drop(); // again: flapping
    expect(t.poller.mode).toBe('poll');
    expect(t.calls).toHaveLength(1);
    expect(t.sockets).toHaveLength(2);
  });

  it('pings a quiet socket and treats a missing pong as a dead socket', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    t.sock().open();
    t.sock().push(t.view(1));
    await t.clock.advance(PING_MS);
    expect(t.sock().sent).toEqual(['ping']);
    t.sock().push('pong');
    await t.clock.advance(PING_MS);
    expect(t.sock().sent).toEqual(['ping', 'ping']);
    await t.clock.advance(PONG_MS);
    // Silent: closed and replaced (it had been stable), after the first backoff step.
    expect(t.sockets[0]!.closed).toBe(1000);
    await t.clock.advance(1000);
    expect(t.sockets).toHaveLength(2);
  });

  it('on recheck (tab shown again) asks an open socket for the status instead of trusting it', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    t.sock().open();
    t.sock().push(t.view(1));
    await t.clock.advance(STABLE_MS);
    t.poller.recheck();
    expect(t.sock().sent).toEqual(['status']);
    t.sock().push(t.view(2)); // any message proves it alive
    await t.clock.advance(PONG_MS * 2);
    expect(t.sockets).toHaveLength(1);
    expect(t.statuses.map((s) => s.version)).toEqual([1, 2]);
    // A socket a phone killed while hidden says nothing: replaced.
    t.poller.recheck();
    await t.clock.advance(PONG_MS);
    expect(t.sockets[0]!.closed).toBe(1000);
    await t.clock.advance(1000);
    expect(t.sockets).toHaveLength(2);
  });

  it('closes the socket on stop and on a new watch, ignoring anything it says afterwards', async () => {
    const t = socketSetup();
    t.poller.watch(t.fetch, undefined, t.open);
    t.poller.start();
    const first = t.sock();
    first.open();
    t.poller.stop();
    expect(first.closed).toBe(1000);
    first.push(t.view(9, 'paid'));
    expect(t.statuses).toEqual([]);
    t.poller.start();
    expect(t.sockets).toHaveLength(2);
    const second = t.sock();
    t.poller.watch(t.fetch, 1);
    expect(second.closed).toBe(1000);
    expect(t.calls).toHaveLength(1); // no socket factory this time: long-poll
    expect(t.calls.length + t.sockets.filter((s) => s.closed === undefined).length).toBe(1);
  });
});
