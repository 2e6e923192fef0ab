/**
 * Keeps the host's session status current: the long-poll loop of `StatusPoller`, tied to the host's
 * lifecycle (aborting its request on disconnect) and re-checking at once when the tab becomes
 * visible or the page is restored from the back/forward cache: timers and connections are frozen
 * meanwhile, and a payment made on the phone is exactly what happened while this tab was hidden.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type PollerOptions, StatusPoller } from './status-poller';

/** Seconds the server may hold each status request. */
export const LONG_POLL_WAIT = 25;

export class StatusController extends StatusPoller implements ReactiveController {
  constructor(host: ReactiveControllerHost, cb: Pick<PollerOptions, 'onStatus' | 'onFatal'>) {
    // Re-render on health changes: the host shows "reconnecting" while `failures` > 1.
    super({ ...cb, onHealth: () => host.requestUpdate() });
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.onVisibility);
    addEventListener('pageshow', this.onPageShow);
    this.start();
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    removeEventListener('pageshow', this.onPageShow);
    this.stop();
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.recheck();
  };

  private readonly onPageShow = (): void => this.recheck();
}
