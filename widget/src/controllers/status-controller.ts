/**
 * Keeps the host's session status current: `StatusSource` (WebSocket, falling back to the long-poll)
 * tied to the host's lifecycle, closing its socket or request on disconnect and re-checking at once
 * when the tab becomes visible or the page is restored from the back/forward cache: timers and
 * connections are frozen meanwhile, and a payment made in the wallet app is exactly what happened
 * while this tab was hidden.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type SourceOptions, StatusSource } from './status-source';

/** Seconds the server may hold each status request. */
export const LONG_POLL_WAIT = 25;

export class StatusController extends StatusSource implements ReactiveController {
  constructor(host: ReactiveControllerHost, cb: Pick<SourceOptions, 'onStatus' | 'onFatal'>) {
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
