// Settings, read-only: the merchant's mode, allowed origins, channels, webhook and anomaly refunds, as
// the operator configured them (GET /dashboard/api/session), and credential health: each certificate of
// the configuration and when it expires.
// Secret keys are never shown: the operator issues them (docs/dashboard.md).

import { html, nothing, type TemplateResult } from 'lit';
import { beijingTime } from '../format';
import { Page } from '../page';
import type { Credential } from '../types';

export class SettingsPage extends Page {
  protected async load(): Promise<void> {}

  protected override render(): TemplateResult {
    const t = this.t;
    const m = this.session.merchant;
    return html`<h1 tabindex="-1">${t.nav.settings}</h1>
      <p class="notice">${t.readOnly}</p>
      <section class="card">
        <dl class="grid">
          <div><dt>${t.merchantId}</dt><dd><code>${m.id}</code></dd></div>
          <div><dt>${t.mode}</dt><dd><span class="mode ${m.livemode ? 'live' : 'test'}">${m.livemode ? t.liveMode : t.testMode}</span></dd></div>
          <div><dt>${t.channels}</dt><dd>${m.channels.map((c) => t.channel[c]).join(' · ') || t.none}</dd></div>
          <div><dt>${t.webhook}</dt><dd>${m.webhook ? html`<code>${m.webhook.url}</code>` : t.none}</dd></div>
          <div><dt>${t.autoRefundSetting}</dt><dd>${m.auto_refund_anomalies ? t.yes : t.no}</dd></div>
        </dl>
      </section>
      <section class="card" aria-labelledby="origins-h">
        <h2 id="origins-h">${t.allowedOrigins}</h2>
        <ul class="plain">${m.allowed_origins.map((o) => html`<li><code>${o}</code></li>`)}</ul>
        <p class="muted small">${t.allowedOriginsNote}</p>
      </section>
      <section class="card" aria-labelledby="creds-h">
        <h2 id="creds-h">${t.credentialHealth}</h2>
        <p class="muted">${t.credentialHealthNote}</p>
        ${m.credentials.length === 0 ? html`<p>${t.noCredentials}</p>` : this.credentials(m.credentials)}
        <p class="muted small">${t.apiKeysNote}</p>
      </section>`;
  }

  private credentials(rows: Credential[]): TemplateResult {
    const t = this.t;
    return html`<div class="scroll" tabindex="0" role="region" aria-label=${t.credentialHealth}>
      <table>
        <thead>
          <tr>
            <th scope="col">${t.channelCol}</th>
            <th scope="col">${t.credentialCol}</th>
            <th scope="col">${t.subjectCol}</th>
            <th scope="col">${t.serialCol}</th>
            <th scope="col">${t.expiresCol}</th>
            <th scope="col" class="num">${t.daysLeftCol}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map((c) => {
            const d = c.days_left;
            const cls = d === null ? '' : d < 0 || d <= 7 ? 'bad' : d <= 30 ? 'warn' : 'good';
            return html`<tr>
              <td>${c.channel === 'apple' ? 'Apple' : t.channel[c.channel]}</td>
              <td><code>${c.credential}</code></td>
              <td class="small">${c.subject ?? '—'}</td>
              <td><code>${c.serial}</code></td>
              <td>
                <span class="nowrap">${c.not_after ? beijingTime(Math.floor(Date.parse(c.not_after) / 1000)) : t.unknownDate}</span>
                ${c.note ? html`<span class="muted small note">${c.note}</span>` : nothing}
              </td>
              <td class="num"><span class=${cls}>${d === null ? '—' : d < 0 ? t.expiredDays(-d) : d}</span></td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }
}

customElements.define('sy-settings', SettingsPage);
