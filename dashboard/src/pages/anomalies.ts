// Anomalies: payments Shouyin did not take as a session's (late, duplicate, mismatched — the
// payment.anomaly events of the last 7 days, GET /v1/events), their automatic refunds and whether
// anything needs a person; and the refunds that failed (refund.failed).

import { html, nothing, type TemplateResult } from 'lit';
import { walk } from '../api';
import { beijingTime, money } from '../format';
import { Page, settle, type Load } from '../page';
import { href } from '../router';
import type { Event, Refund } from '../types';
import { anomalies, type AnomalyRow } from './data';

export class AnomaliesPage extends Page {
  static override properties = { ...Page.properties, rows: { attribute: false }, failed: { attribute: false } };
  declare rows: Load<AnomalyRow[]>;
  declare failed: Load<Event<Refund>[]>;

  constructor() {
    super();
    this.rows = { state: 'loading' };
    this.failed = { state: 'loading' };
  }

  protected async load(signal: AbortSignal): Promise<void> {
    await Promise.all([
      settle(() => anomalies(signal)).then((r) => (this.rows = r)),
      settle(() => walk<Event<Refund>>('/events', { type: 'refund.failed' }, signal)).then((r) => (this.failed = r)),
    ]);
  }

  private table(rows: AnomalyRow[]): TemplateResult {
    const t = this.t;
    if (rows.length === 0) return html`<p class="muted">${t.noAnomalies}</p>`;
    const sorted = [...rows].sort((a, b) => Number(b.needsPerson) - Number(a.needsPerson) || b.event.created - a.event.created);
    return html`<div class="scroll" tabindex="0" role="region" aria-label=${t.nav.anomalies}>
      <table>
        <thead>
          <tr>
            <th scope="col">${t.created}</th>
            <th scope="col">${t.reason}</th>
            <th scope="col" class="num">${t.amount}</th>
            <th scope="col">${t.channelCol}</th>
            <th scope="col">${t.orderNo}</th>
            <th scope="col">${t.txnCol}</th>
            <th scope="col">${t.autoRefund}</th>
            <th scope="col">${t.statusCol}</th>
          </tr>
        </thead>
        <tbody>
          ${sorted.map((a) => {
            const o = a.event.data.object;
            return html`<tr>
              <td class="nowrap">${beijingTime(a.event.created)}</td>
              <td>${t.reasons[o.reason] ?? o.reason}</td>
              <td class="num">${money(o.amount, this.lang)}</td>
              <td>${o.channel ? t.channel[o.channel] : '—'}</td>
              <td><a href=${href('payment', {}, o.session)}>${o.merchant_order_id || o.session}</a></td>
              <td><code>${o.provider_transaction_id}</code></td>
              <td>${t.autoRefundStatus[a.refund] ?? a.refund}</td>
              <td>${a.needsPerson ? html`<strong class="bad">${t.needsPerson}</strong>` : a.refund === 'succeeded' ? t.handled : t.refundStatus.pending}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }

  private failedTable(events: Event<Refund>[]): TemplateResult {
    const t = this.t;
    if (events.length === 0) return html`<p class="muted">${t.noFailedRefunds}</p>`;
    return html`<ul class="plain">
      ${events.map(
        (e) => html`<li>
          <a href=${href('payment', {}, e.data.object.session)}><code>${e.data.object.id}</code></a> · ${money(e.data.object.amount, this.lang)}
          ${e.data.object.automatic ? html` · ${t.autoRefund}` : nothing} · <span class="bad">${e.data.object.failure_reason ?? t.failed}</span>
          <span class="muted">${beijingTime(e.created)}</span>
        </li>`,
      )}
    </ul>`;
  }

  protected override render(): TemplateResult {
    const t = this.t;
    return html`<h1 tabindex="-1">${t.nav.anomalies}</h1>
      <p class="muted">${t.anomaliesIntro}</p>
      <section class="card">${this.view(this.rows, (r) => this.table(r))}</section>
      <section class="card" aria-labelledby="failed-h">
        <h2 id="failed-h">${t.failedRefunds}</h2>
        ${this.view(this.failed, (e) => this.failedTable(e))}
      </section>`;
  }
}

customElements.define('sy-anomalies', AnomaliesPage);
