// Settings, read-only: the merchant's mode, allowed origins, channels, webhook and anomaly refunds, as
// the operator configured them (GET /dashboard/api/session), and where credential health comes from.
// Secret keys are never shown: the operator issues them (docs/dashboard.md).

import { html, type TemplateResult } from 'lit';
import { Page } from '../page';

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
        <p class="muted small">${t.apiKeysNote}</p>
      </section>`;
  }
}

customElements.define('sy-settings', SettingsPage);
