// What every page of the dashboard shares: light DOM (one stylesheet for the whole app, and axe and the
// browser see one document), the route, the session and the language, and a load that reruns whenever
// the part of the route the page reads changes (its `key`).

import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import { ApiError, isMissingRoute } from './api';
import type { Lang } from './format';
import { STRINGS, type Strings } from './i18n';
import type { Route } from './router';
import type { DashboardSession } from './types';

export type Load<T> = { state: 'loading' } | { state: 'ok'; value: T } | { state: 'error'; error: unknown };

export abstract class Page extends LitElement {
  static override properties = {
    route: { attribute: false },
    session: { attribute: false },
    lang: { attribute: false },
  };
  declare route: Route;
  declare session: DashboardSession;
  declare lang: Lang;
  private loadedKey: string | null = null;
  protected abort: AbortController | null = null;

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  get t(): Strings {
    return STRINGS[this.lang];
  }

  /** The part of the route this page's data depends on. */
  protected key(): string {
    return `${this.route.page}/${this.route.id ?? ''}?${this.route.query.toString()}`;
  }

  /** Fetches the page's data (aborting the previous load's requests first). */
  protected abstract load(signal: AbortSignal): Promise<void>;

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('route') || changed.has('session')) {
      const k = this.key();
      if (k !== this.loadedKey) {
        this.loadedKey = k;
        this.reload();
      }
    }
  }

  reload(): void {
    this.abort?.abort();
    const ctl = new AbortController();
    this.abort = ctl;
    this.load(ctl.signal).catch((e: unknown) => {
      if (!ctl.signal.aborted) console.error(e);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  /** A load's state as markup: a polite "loading", an error with a retry, or `ok`'s rendering. */
  protected view<T>(l: Load<T>, ok: (v: T) => TemplateResult | TemplateResult[], missing?: string): TemplateResult | TemplateResult[] {
    if (l.state === 'loading') return html`<p class="muted" role="status">${this.t.loading}</p>`;
    if (l.state === 'error') return this.problem(l.error, missing);
    return ok(l.value);
  }

  protected problem(e: unknown, missing?: string): TemplateResult {
    if (isMissingRoute(e) && missing) return html`<p class="notice" role="status">${missing}</p>`;
    const message = e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e);
    return html`<div class="error" role="alert"><p>${this.t.error(message)}</p><button type="button" @click=${() => this.reload()}>${this.t.retry}</button></div>`;
  }
}

/** Runs `fn`, as a Load. */
export async function settle<T>(fn: () => Promise<T>): Promise<Load<T>> {
  try {
    return { state: 'ok', value: await fn() };
  } catch (error) {
    return { state: 'error', error };
  }
}
