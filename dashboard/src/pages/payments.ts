// Payments: the merchant's checkout sessions (GET /v1/checkout/sessions, newest first, 25 a page, the
// cursor in the URL), filtered by status, channel and Beijing dates; a search by merchant order number,
// session id (cs_…) or provider transaction id (GET /v1/provider_transactions/:id); the count and sum
// of the whole filtered set, counted page by page; and the filtered set as CSV.

import { html, nothing, type TemplateResult } from 'lit';
import { api, isMissingRoute, isNotFound, walk } from '../api';
import { beijingDay, beijingTime, download, money } from '../format';
import { CHANNELS, STATUSES, listQuery, sessionsCsv } from '../model';
import { Page, settle, type Load } from '../page';
import { href, navigate } from '../router';
import type { List, Session } from '../types';

export const PAGE_SIZE = 25;

interface Results {
  mode: 'list' | 'search';
  rows: Session[];
  next: string | null;
}

type Totals = { state: 'idle' } | { state: 'counting'; count: number; sum: number } | { state: 'done'; rows: Session[] } | { state: 'unavailable' };

/** Cursors of the pages before this one, per filter set, for "Previous page" within this visit. */
const trail = new Map<string, string[]>();

export class PaymentsPage extends Page {
  static override properties = { ...Page.properties, results: { attribute: false }, totals: { attribute: false }, exporting: { attribute: false } };
  declare results: Load<Results>;
  declare totals: Totals;
  declare exporting: boolean;
  private all: Promise<Session[]> | null = null;

  constructor() {
    super();
    this.results = { state: 'loading' };
    this.totals = { state: 'idle' };
    this.exporting = false;
  }

  private get filterKey(): string {
    const q = new URLSearchParams(this.route.query);
    q.delete('after');
    return q.toString();
  }

  protected async load(signal: AbortSignal): Promise<void> {
    this.results = { state: 'loading' };
    this.totals = { state: 'idle' };
    this.all = null;
    const q = this.route.query;
    const search = (q.get('q') ?? '').trim();
    if (search) {
      this.results = await settle(() => this.search(search, signal));
      if (this.results.state === 'ok') this.totals = { state: 'done', rows: this.results.value.rows };
      return;
    }
    this.results = await settle(async () => {
      const page = await api<List<Session>>('/checkout/sessions', {
        query: { ...listQuery(q), limit: PAGE_SIZE, starting_after: q.get('after') ?? undefined },
        signal,
      });
      return { mode: 'list' as const, rows: page.data, next: page.has_more ? (page.next_cursor ?? null) : null };
    });
    if (this.results.state !== 'ok') {
      if (this.results.state === 'error' && isMissingRoute(this.results.error)) this.totals = { state: 'unavailable' };
      return;
    }
    this.count(signal);
  }

  /** Walks every page of the filtered set in the background for its count and sum (kept for the CSV). */
  private count(signal: AbortSignal): void {
    let count = 0;
    let sum = 0;
    this.totals = { state: 'counting', count, sum };
    this.all = walk<Session>('/checkout/sessions', listQuery(this.route.query), signal, (page) => {
      for (const s of page) {
        count++;
        sum += s.payment?.amount ?? s.amount;
      }
      if (!signal.aborted) this.totals = { state: 'counting', count, sum };
    });
    this.all.then(
      (rows) => {
        if (!signal.aborted) this.totals = { state: 'done', rows };
      },
      () => {
        if (!signal.aborted) this.totals = { state: 'idle' };
      },
    );
  }

  private async search(text: string, signal: AbortSignal): Promise<Results> {
    const found = new Map<string, Session>();
    const byId = async (id: string) => {
      const s = await api<Session>(`/checkout/sessions/${encodeURIComponent(id)}`, { signal }).catch((e: unknown) => {
        if (isNotFound(e)) return null;
        throw e;
      });
      if (s) found.set(s.id, s);
    };
    if (/^cs_[0-9A-Za-z]{24}$/.test(text)) {
      await byId(text);
    } else {
      const byOrder = api<List<Session>>('/checkout/sessions', { query: { merchant_order_id: text, limit: 100 }, signal }).then(
        (l) => {
          for (const s of l.data) found.set(s.id, s);
        },
        (e: unknown) => {
          // Without the list API, a merchant order number cannot be looked up; the other searches still run.
          if (!isMissingRoute(e)) throw e;
        },
      );
      const byTxn = /^[0-9A-Za-z_-]{6,64}$/.test(text)
        ? api<{ session: string }>(`/provider_transactions/${encodeURIComponent(text)}`, { signal }).then(
            (t) => byId(t.session),
            (e: unknown) => {
              if (!isNotFound(e) && !isMissingRoute(e)) throw e;
            },
          )
        : Promise.resolve();
      await Promise.all([byOrder, byTxn]);
    }
    return { mode: 'search', rows: [...found.values()].sort((a, b) => b.created - a.created), next: null };
  }

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const v = (k: string) => String(f.get(k) ?? '').trim() || undefined;
    navigate(href('payments', { q: v('q'), status: v('status'), channel: v('channel'), from: v('from'), to: v('to') }));
  }

  private pageLink(after: string | undefined): string {
    const q: Record<string, string | undefined> = {};
    for (const [k, v] of this.route.query) q[k] = v;
    q.after = after;
    return href('payments', q);
  }

  private goNext(next: string): void {
    const stack = trail.get(this.filterKey) ?? [];
    stack.push(this.route.query.get('after') ?? '');
    trail.set(this.filterKey, stack);
    navigate(this.pageLink(next));
  }

  private goPrevious(): void {
    const stack = trail.get(this.filterKey) ?? [];
    const prev = stack.pop();
    navigate(this.pageLink(prev || undefined));
  }

  private async exportCsv(): Promise<void> {
    if (this.exporting) return;
    this.exporting = true;
    try {
      const rows = this.totals.state === 'done' ? this.totals.rows : this.all ? await this.all : [];
      const q = this.route.query;
      const name = `payments-${this.session.merchant.id}-${q.get('q') ? 'search' : `${q.get('from') ?? 'all'}_${q.get('to') ?? beijingDay(Date.now())}`}.csv`;
      download(name, sessionsCsv(rows));
    } finally {
      this.exporting = false;
    }
  }

  private filters(): TemplateResult {
    const t = this.t;
    const q = this.route.query;
    return html`<form class="filters card" role="search" aria-label=${t.search} @submit=${this.submit}>
      <div class="field grow">
        <label for="q">${t.searchLabel}</label>
        <input id="q" name="q" type="search" .value=${q.get('q') ?? ''} placeholder=${t.searchPlaceholder} autocomplete="off" spellcheck="false" />
      </div>
      <div class="field">
        <label for="status">${t.statusCol}</label>
        <select id="status" name="status">
          <option value="">${t.anyStatus}</option>
          ${STATUSES.map((s) => html`<option value=${s} ?selected=${q.get('status') === s}>${t.status[s]}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="channel">${t.channelCol}</label>
        <select id="channel" name="channel">
          <option value="">${t.anyChannel}</option>
          ${CHANNELS.map((c) => html`<option value=${c} ?selected=${q.get('channel') === c}>${t.channel[c]}</option>`)}
        </select>
      </div>
      <div class="field"><label for="from">${t.from}</label><input id="from" name="from" type="date" .value=${q.get('from') ?? ''} /></div>
      <div class="field"><label for="to">${t.to}</label><input id="to" name="to" type="date" .value=${q.get('to') ?? ''} /></div>
      <div class="field actions">
        <button type="submit" class="primary">${t.search}</button>
        <a class="button" href=${href('payments')}>${t.clear}</a>
      </div>
    </form>`;
  }

  private summary(): TemplateResult {
    const t = this.t;
    const tot = this.totals;
    let text: string | typeof nothing = nothing;
    if (tot.state === 'counting') text = t.counting(tot.count.toLocaleString(this.lang));
    if (tot.state === 'done')
      text = t.totals(
        tot.rows.length.toLocaleString(this.lang),
        money(
          tot.rows.reduce((n, s) => n + (s.payment?.amount ?? s.amount), 0),
          this.lang,
        ),
      );
    return html`<div class="summary">
      <p role="status" aria-live="polite" class="totals">${text}</p>
      ${
        tot.state === 'done' || tot.state === 'counting'
          ? html`<button type="button" @click=${() => this.exportCsv()} ?disabled=${this.exporting}>${this.exporting ? t.exporting : t.exportCsv}</button>`
          : nothing
      }
    </div>`;
  }

  private table(r: Results): TemplateResult {
    const t = this.t;
    if (r.rows.length === 0) return html`<p class="muted">${t.noPayments}</p>`;
    const after = this.route.query.get('after');
    const canBack = (trail.get(this.filterKey) ?? []).length > 0;
    return html`<div class="scroll" tabindex="0" role="region" aria-label=${t.paymentsTable}>
        <table class="payments">
          <caption class="sr-only">${r.mode === 'search' ? t.searchResults(this.route.query.get('q') ?? '') : t.paymentsTable}</caption>
          <thead>
            <tr>
              <th scope="col">${t.created}</th>
              <th scope="col">${t.orderNo}</th>
              <th scope="col" class="num">${t.amount}</th>
              <th scope="col">${t.statusCol}</th>
              <th scope="col">${t.channelCol}</th>
              <th scope="col">${t.txnCol}</th>
              <th scope="col">${t.sessionCol}</th>
            </tr>
          </thead>
          <tbody>
            ${r.rows.map(
              (s) => html`<tr>
                <td class="nowrap">${beijingTime(s.created)}</td>
                <td>${s.merchant_order_id}</td>
                <td class="num">${money(s.payment?.amount ?? s.amount, this.lang)}${s.amount_refunded ? html`<br /><span class="muted small">${t.refunded} ${money(s.amount_refunded, this.lang)}</span>` : nothing}</td>
                <td><span class="badge s-${s.status}">${t.status[s.status] ?? s.status}</span></td>
                <td>${s.payment ? t.channel[s.payment.channel] : nothing}</td>
                <td><code>${s.payment?.provider_transaction_id ?? ''}</code></td>
                <td><a href=${href('payment', {}, s.id)}><code>${s.id}</code></a></td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${
        r.mode === 'list'
          ? html`<nav class="pager" aria-label=${t.paymentsTable}>
            ${after ? html`<a href=${this.pageLink(undefined)}>${t.first}</a>` : nothing}
            ${canBack && after ? html`<button type="button" @click=${() => this.goPrevious()}>${t.previous}</button>` : nothing}
            ${r.next ? html`<button type="button" class="primary" @click=${() => this.goNext(r.next!)}>${t.next}</button>` : nothing}
          </nav>`
          : nothing
      }`;
  }

  protected override render(): TemplateResult {
    const t = this.t;
    return html`<h1 tabindex="-1">${t.nav.payments}</h1>
      ${this.filters()}
      ${this.results.state === 'ok' ? this.summary() : nothing}
      ${this.view(this.results, (r) => this.table(r), t.listUnavailable)}`;
  }
}

customElements.define('sy-payments', PaymentsPage);
