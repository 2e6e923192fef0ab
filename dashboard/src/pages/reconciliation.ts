// Reconciliation: one Beijing day's report (GET /v1/reconciliation/:date; the date in the URL) — each
// provider's statement against Shouyin's records, the differences row by row, the day's anomalies — and
// each provider's statement as normalised CSV (GET /v1/reconciliation/:date/statements/:provider).

import { html, nothing, type TemplateResult } from 'lit';
import { api, call } from '../api';
import { addDays, beijingDay, beijingTime, download, isDate, money } from '../format';
import { Page, settle, type Load } from '../page';
import { href, navigate } from '../router';
import type { ReconciliationReport } from '../types';

export class ReconciliationPage extends Page {
  static override properties = { ...Page.properties, report: { attribute: false }, note: { attribute: false } };
  declare report: Load<ReconciliationReport>;
  declare note: string;

  constructor() {
    super();
    this.report = { state: 'loading' };
    this.note = '';
  }

  /** The date shown: the URL's, else yesterday (Beijing), the day the daily run reconciles. */
  get date(): string {
    const d = this.route.query.get('date');
    return isDate(d) ? d : addDays(beijingDay(Date.now()), -1);
  }

  protected async load(signal: AbortSignal, refresh = false): Promise<void> {
    this.report = { state: 'loading' };
    this.note = '';
    this.report = await settle(() => api<ReconciliationReport>(`/reconciliation/${this.date}`, { query: refresh ? { refresh: 'true' } : {}, signal }));
  }

  private refresh(): void {
    this.abort?.abort();
    const ctl = new AbortController();
    this.abort = ctl;
    void this.load(ctl.signal, true);
  }

  private pick(e: SubmitEvent): void {
    e.preventDefault();
    const d = String(new FormData(e.target as HTMLFormElement).get('date') ?? '');
    navigate(href('reconciliation', { date: isDate(d) ? d : undefined }));
  }

  private async downloadStatement(provider: string): Promise<void> {
    this.note = '';
    try {
      const res = await call(`/reconciliation/${this.date}/statements/${provider}`);
      if ((res.headers.get('content-type') ?? '').startsWith('text/csv')) {
        download(`statement-${this.session.merchant.id}-${provider}-${this.date}.csv`, (await res.text()).replace(/^\ufeff/, ''));
      } else {
        const j = (await res.json()) as { status: string; reason: string };
        this.note = this.t.statementEmpty(provider, this.t.providerStatus[j.status] ?? j.status);
      }
    } catch (e) {
      this.note = this.t.error(e instanceof Error ? e.message : String(e));
    }
  }

  private body(r: ReconciliationReport): TemplateResult {
    const t = this.t;
    const pair = (a: { count: number; amount: number }) => `${a.count} · ${money(a.amount, this.lang)}`;
    return html`<p class="report-status">
        <span class="badge rs-${r.status}">${t.reportStatus[r.status] ?? r.status}</span>
        <span class="muted">${t.differences}: ${r.counts.discrepancies} · ${t.anomaliesOfDay}: ${r.counts.anomalies} · ${beijingTime(r.created)}</span>
      </p>
      <section class="card" aria-labelledby="providers-h">
        <h2 id="providers-h">${t.provider}</h2>
        <div class="scroll" tabindex="0" role="region" aria-labelledby="providers-h">
          <table>
            <thead>
              <tr>
                <th scope="col">${t.provider}</th>
                <th scope="col">${t.statusCol}</th>
                <th scope="col" class="num">${t.statement} · ${t.paymentsLabel}</th>
                <th scope="col" class="num">${t.shouyin} · ${t.paymentsLabel}</th>
                <th scope="col" class="num">${t.statement} · ${t.refundsLabel}</th>
                <th scope="col" class="num">${t.shouyin} · ${t.refundsLabel}</th>
                <th scope="col" class="num">${t.matched}</th>
                <th scope="col" class="num">${t.differences}</th>
              </tr>
            </thead>
            <tbody>
              ${r.providers.map(
                (p) => html`<tr>
                  <th scope="row">${p.provider}</th>
                  <td>${t.providerStatus[p.status] ?? p.status}${p.reason ? html`<br /><span class="muted small">${p.reason}</span>` : nothing}</td>
                  <td class="num">${pair(p.statement.payments)}</td>
                  <td class="num">${pair(p.shouyin.payments)}</td>
                  <td class="num">${pair(p.statement.refunds)}</td>
                  <td class="num">${pair(p.shouyin.refunds)}</td>
                  <td class="num">${p.matched.payments} / ${p.matched.refunds}</td>
                  <td class="num">${p.discrepancies}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <ul class="plain downloads">
          ${r.providers
            .filter((p) => p.status !== 'unsupported')
            .map(
              (p) =>
                html`<li><button type="button" class="link" @click=${() => this.downloadStatement(p.provider)}>${t.downloadStatement(p.provider)}</button></li>`,
            )}
        </ul>
        <p role="status" class="small">${this.note}</p>
      </section>
      <section class="card" aria-labelledby="diff-h">
        <h2 id="diff-h">${t.differences}</h2>
        ${
          r.discrepancies.length === 0
            ? html`<p class="muted">${t.noDifferences}</p>`
            : html`<div class="scroll" tabindex="0" role="region" aria-labelledby="diff-h">
              <table>
                <thead>
                  <tr>
                    <th scope="col">${t.kind}</th>
                    <th scope="col">${t.provider}</th>
                    <th scope="col">${t.providerOrderNo}</th>
                    <th scope="col">${t.txnCol}</th>
                    <th scope="col" class="num">${t.here}</th>
                    <th scope="col" class="num">${t.atProvider}</th>
                    <th scope="col">${t.created}</th>
                    <th scope="col" class="num">${t.line}</th>
                    <th scope="col">${t.sessionCol}</th>
                  </tr>
                </thead>
                <tbody>
                  ${r.discrepancies.map(
                    (d) => html`<tr>
                      <td>${d.label} <span class="muted small">${d.kind} · ${d.object}</span>${d.note ? html`<br /><span class="small">${d.note}</span>` : nothing}</td>
                      <td>${d.provider ?? '—'}</td>
                      <td><code>${d.out_refund_no ?? d.out_trade_no ?? '—'}</code></td>
                      <td><code>${d.provider_refund_id ?? d.provider_transaction_id ?? '—'}</code></td>
                      <td class="num">${d.amount_here === null ? '—' : money(d.amount_here, this.lang)}</td>
                      <td class="num">${d.amount_provider === null ? '—' : money(d.amount_provider, this.lang)}</td>
                      <td class="nowrap">${d.time ? beijingTime(d.time) : '—'}</td>
                      <td class="num">${d.line ?? '—'}</td>
                      <td>${d.session ? html`<a href=${href('payment', {}, d.session)}><code>${d.session}</code></a>` : '—'}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        }
      </section>
      ${
        r.anomalies.length
          ? html`<section class="card" aria-labelledby="day-anomalies-h">
            <h2 id="day-anomalies-h">${t.anomaliesOfDay}</h2>
            <ul class="plain">
              ${r.anomalies.map(
                (a) => html`<li>
                  <a href=${href('payment', {}, a.session)}><code>${a.session}</code></a> · ${t.reasons[a.reason] ?? a.reason} · ${money(a.amount, this.lang)} ·
                  ${t.onStatement}: ${a.on_statement ? t.yes : t.no}
                </li>`,
              )}
            </ul>
          </section>`
          : nothing
      }`;
  }

  protected override render(): TemplateResult {
    const t = this.t;
    return html`<h1 tabindex="-1">${t.nav.reconciliation} · ${this.date}</h1>
      <form class="filters card" @submit=${this.pick} aria-label=${t.nav.reconciliation}>
        <div class="field"><label for="recon-date">${t.date}</label><input id="recon-date" name="date" type="date" .value=${this.date} max=${beijingDay(Date.now())} /></div>
        <div class="field actions">
          <button type="submit" class="primary">${t.show}</button>
          <button type="button" @click=${() => this.refresh()}>${t.refresh}</button>
        </div>
      </form>
      ${this.view(this.report, (r) => this.body(r))}`;
  }
}

customElements.define('sy-reconciliation', ReconciliationPage);
