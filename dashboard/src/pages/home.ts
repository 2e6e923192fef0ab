// Home: today's and the last 30 days' volume, count and success rate per channel (GET /v1/reports/daily),
// and what needs someone now: open anomalies and failing webhook endpoints.

import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../api';
import { meter, stackedBars } from '../charts';
import { beijingTime, money, percent } from '../format';
import { Page, settle, type Load } from '../page';
import { href } from '../router';
import type { Channel, DailyReport, DayStats } from '../types';
import { anomalies, endpoints, type AnomalyRow, type EndpointRow } from './data';

interface Totals {
  amount: number;
  paid: number;
  tried: number;
}

function sum(days: DayStats[], ch?: Channel): Totals {
  const t = { amount: 0, paid: 0, tried: 0 };
  for (const d of days) {
    if (ch) {
      const c = d.channels[ch];
      t.amount += c?.paid_amount ?? 0;
      t.paid += c?.paid ?? 0;
      t.tried += c?.tried ?? 0;
    } else {
      t.amount += d.paid_amount;
      t.paid += d.paid;
      t.tried += d.ended;
    }
  }
  return t;
}

export class HomePage extends Page {
  static override properties = { ...Page.properties, report: { attribute: false }, open: { attribute: false }, failing: { attribute: false } };
  declare report: Load<DailyReport>;
  declare open: Load<AnomalyRow[]>;
  declare failing: Load<EndpointRow[] | null>;

  constructor() {
    super();
    this.report = { state: 'loading' };
    this.open = { state: 'loading' };
    this.failing = { state: 'loading' };
  }

  protected async load(signal: AbortSignal): Promise<void> {
    await Promise.all([
      settle(() => api<DailyReport>('/reports/daily', { signal })).then((r) => (this.report = r)),
      settle(async () => (await anomalies(signal)).filter((a) => a.refund !== 'succeeded')).then((r) => (this.open = r)),
      settle(async () => (await endpoints(signal, 5))?.filter((e) => e.failing) ?? null).then((r) => (this.failing = r)),
    ]);
  }

  private kpis(label: string, t: Totals): TemplateResult {
    return html`<section class="card kpi" aria-label=${label}>
      <h2>${label}</h2>
      <dl>
        <div><dt>${this.t.volume}</dt><dd>${money(t.amount, this.lang)}</dd></div>
        <div><dt>${this.t.count}</dt><dd>${t.paid.toLocaleString(this.lang)}</dd></div>
        <div><dt>${this.t.successRate}</dt><dd>${percent(t.paid, t.tried)}</dd></div>
      </dl>
    </section>`;
  }

  private stats(r: DailyReport): TemplateResult {
    const t = this.t;
    const channels = this.session.merchant.channels;
    const days = r.days;
    const today = days.slice(-1);
    const series = channels.map((ch) => ({ label: t.channel[ch], cls: `c-${ch}`, values: days.map((d) => d.channels[ch]?.paid_amount ?? 0) }));
    const all = sum(days);
    return html`<div class="kpis">${this.kpis(t.today, sum(today))}${this.kpis(t.last30, all)}</div>
      <section class="card">
        ${stackedBars(
          days.map((d) => d.date),
          series,
          t.volumeChart,
          t.volumeChartSummary(money(all.amount, this.lang), days.length),
        )}
      </section>
      <section class="card">
        <h2>${t.perChannel}</h2>
        <div class="scroll" tabindex="0" role="region" aria-label=${t.perChannel}>
          <table>
            <thead>
              <tr>
                <th scope="col">${t.channelCol}</th>
                <th scope="col" class="num">${t.today} · ${t.volume}</th>
                <th scope="col" class="num">${t.today} · ${t.count}</th>
                <th scope="col">${t.today} · ${t.successRate}</th>
                <th scope="col" class="num">${t.last30} · ${t.volume}</th>
                <th scope="col" class="num">${t.last30} · ${t.count}</th>
                <th scope="col">${t.last30} · ${t.successRate}</th>
              </tr>
            </thead>
            <tbody>
              ${channels.map((ch) => {
                const d = sum(today, ch);
                const m = sum(days, ch);
                return html`<tr>
                  <th scope="row"><i class="swatch c-${ch}" aria-hidden="true"></i>${t.channel[ch]}</th>
                  <td class="num">${money(d.amount, this.lang)}</td>
                  <td class="num">${d.paid}</td>
                  <td>${meter(d.tried ? d.paid / d.tried : null, percent(d.paid, d.tried))}</td>
                  <td class="num">${money(m.amount, this.lang)}</td>
                  <td class="num">${m.paid}</td>
                  <td>${meter(m.tried ? m.paid / m.tried : null, percent(m.paid, m.tried))}</td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>
        <p class="muted small">${t.successRateNote}</p>
      </section>`;
  }

  protected override render(): TemplateResult {
    const t = this.t;
    return html`<h1 tabindex="-1">${t.nav.home}</h1>
      ${this.view(this.report, (r) => this.stats(r), t.unavailable('GET /v1/reports/daily'))}
      <section class="card" aria-labelledby="attention">
        <h2 id="attention">${t.needsAttention}</h2>
        <h3>${t.openAnomalies}</h3>
        ${this.view(this.open, (rows) =>
          rows.length === 0
            ? html`<p class="muted">${t.noOpenAnomalies}</p>`
            : html`<ul class="plain">
                  ${rows.slice(0, 8).map(
                    (a) =>
                      html`<li>
                        <a href=${href('payment', {}, a.event.data.object.session)}>${a.event.data.object.merchant_order_id || a.event.data.object.session}</a>
                        · ${t.reasons[a.event.data.object.reason] ?? a.event.data.object.reason} · ${money(a.event.data.object.amount, this.lang)} ·
                        ${t.autoRefundStatus[a.refund] ?? a.refund}${a.needsPerson ? html` · <strong class="bad">${t.needsPerson}</strong>` : nothing}
                        <span class="muted">${beijingTime(a.event.created)}</span>
                      </li>`,
                  )}
                </ul>
                <p><a href=${href('anomalies')}>${t.allAnomalies}</a></p>`,
        )}
        <h3>${t.failingEndpoints}</h3>
        ${this.view(this.failing, (rows) =>
          rows === null
            ? html`<p class="muted">${t.webhooksUnavailable}</p>`
            : rows.length === 0
              ? html`<p class="muted">${t.noFailingEndpoints}</p>`
              : html`<ul class="plain">
                  ${rows.map(
                    (e) =>
                      html`<li>
                        <code>${e.endpoint.url}</code> · ${t.endpointStatus[e.endpoint.status]}
                        ${e.deliveries[0] ? html` · ${t.responseCode}: ${e.deliveries[0].status_code ?? t.noResponse}` : nothing}
                      </li>`,
                  )}
                </ul>
                <p><a href=${href('webhooks')}>${t.allWebhooks}</a></p>`,
        )}
      </section>`;
  }
}

customElements.define('sy-home', HomePage);
