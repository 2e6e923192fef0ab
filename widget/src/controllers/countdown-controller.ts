/**
 * Counts down to a server-given deadline, re-rendering the host once per second. Ticks land on the
 * second boundaries of the deadline (a setTimeout chain, not setInterval), so the display never
 * skips or repeats a second.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { formatCountdown, secondsLeft } from '../format';

export class CountdownController implements ReactiveController {
  /** Whole seconds left; 0 once the deadline passed or when no deadline is set. */
  remaining = 0;
  private target: number | undefined;
  /** Server clock minus ours, in ms, when known: a shopper's wrong clock must not expire a fresh QR. */
  private skew = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly host: ReactiveControllerHost;
  private readonly now: () => number;

  constructor(host: ReactiveControllerHost, now: () => number = Date.now) {
    this.host = host;
    this.now = now;
    host.addController(this);
  }

  /** Count down to an ISO 8601 instant (or stop, with undefined). */
  set(expiresAt: string | undefined, skewMs = 0): void {
    const t = expiresAt ? Date.parse(expiresAt) : NaN;
    this.target = Number.isNaN(t) ? undefined : t;
    this.skew = skewMs;
    this.tick();
  }

  get mmss(): string {
    return formatCountdown(this.remaining);
  }

  /** True once a set deadline has passed. */
  get expired(): boolean {
    return this.target !== undefined && this.remaining === 0;
  }

  hostConnected(): void {
    this.tick();
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now() + this.skew;
    const left = this.target === undefined ? 0 : secondsLeft(this.target, now);
    if (left !== this.remaining) {
      this.remaining = left;
      this.host.requestUpdate();
    }
    if (this.target !== undefined && left > 0) {
      // Wake just after the next whole-second boundary of the deadline.
      const ms = this.target - now - (left - 1) * 1000;
      this.timer = setTimeout(this.tick, ms + 15);
    }
  };
}
