// Webhooks: the merchant's endpoints (GET /v1/webhook_endpoints), each with its recent deliveries,
// failures first (GET /v1/webhook_endpoints/:id/deliveries); resend a delivery's event to its endpoint
// (POST /v1/events/:id/retry) and rotate an endpoint's signing secret (POST …/rotate_secret), whose
// new secret is shown once. The endpoint from the operator's configuration (we_config) is read-only.

import { html, nothing, type TemplateResult } from 'lit';
import { ApiError, api } from '../api';
import { beijingTime } from '../format';
import { Page, settle, type Load } from '../page';
import type { WebhookEndpoint } from '../types';
import { endpoints, type EndpointRow } from './data';

export class WebhooksPage extends Page {
  static override properties = {
    ...Page.properties,
    rows: { attribute: false },
    notes: { attribute: false },
    rotating: { attribute: false },
    secret: { attribute: false },
  };
  declare rows: Load<EndpointRow[] | null>;
  declare notes: Record<string, string>;
  declare rotating: WebhookEndpoint | null;
  declare secret: string | null;

  constructor() {
    super();
    this.rows = { state: 'loading' };
    this.notes = {};
    this.rotating = null;
    this.secret = null;
  }

  protected async load(signal: AbortSignal): Promise<void> {
    this.rows = await settle(() => endpoints(signal, 20));
  }

  private async resend(eventId: string, endpoint: string, key: string): Promise<void> {
    this.notes = { ...this.notes, [key]: '…' };
    try {
      await api(`/events/${eventId}/retry`, { method: 'POST', body: { endpoint } });
      this.notes = { ...this.notes, [key]: this.t.resent };
    } catch (e) {
      this.notes = { ...this.notes, [key]: this.t.error(e instanceof ApiError ? `${e.message} (${e.code})` : String(e)) };
    }
  }

  private openRotate(ep: WebhookEndpoint): void {
    this.rotating = ep;
    this.secret = null;
    void this.updateComplete.then(() => this.querySelector<HTMLDialogElement>('dialog#rotate')?.showModal());
  }

  private closeRotate(): void {
    this.querySelector<HTMLDialogElement>('dialog#rotate')?.close();
    this.rotating = null;
    this.secret = null;
  }

  private async rotate(): Promise<void> {
    const ep = this.rotating;
    if (!ep) return;
    try {
      const next = await api<WebhookEndpoint>(`/webhook_endpoints/${ep.id}/rotate_secret`, { method: 'POST', body: {} });
      this.secret = next.secret ?? null;
    } catch (e) {
      this.notes = { ...this.notes, [ep.id]: this.t.error(e instanceof ApiError ? `${e.message} (${e.code})` : String(e)) };
      this.closeRotate();
    }
  }

  private endpoint(r: EndpointRow): TemplateResult {
    const t = this.t;
    const ep = r.endpoint;
    const managed = ep.id === 'we_config';
    return html`<section class="card" aria-labelledby=${`ep-${ep.id}`}>
      <h2 id=${`ep-${ep.id}`}><code>${ep.url}</code></h2>
      <p>
        <span class="badge ${ep.status === 'enabled' ? 'good-b' : 'bad-b'}">${t.endpointStatus[ep.status]}</span>
        ${r.failing ? html`<strong class="bad">${t.failed}</strong>` : nothing} · <code>${ep.id}</code> · ${t.events}: ${ep.enabled_events.join(', ')}
        ${ep.description ? html` · ${ep.description}` : nothing}
      </p>
      ${
        managed
          ? html`<p class="muted small">${t.managedByConfig}</p>`
          : html`<button type="button" @click=${() => this.openRotate(ep)}>${t.rotateSecret}</button>`
      }
      <p role="status" class="small">${this.notes[ep.id] ?? ''}</p>
      <h3>${t.recentDeliveries}</h3>
      ${
        r.deliveries.length === 0
          ? html`<p class="muted">${t.noEndpointDeliveries}</p>`
          : html`<div class="scroll" tabindex="0" role="region" aria-label=${`${t.recentDeliveries} ${ep.url}`}>
            <table>
              <thead>
                <tr>
                  <th scope="col">${t.created}</th>
                  <th scope="col">${t.events}</th>
                  <th scope="col">#</th>
                  <th scope="col">${t.responseCode}</th>
                  <th scope="col" class="num">ms</th>
                  <th scope="col">${t.nextRetry}</th>
                  <th scope="col"><span class="sr-only">${t.resend}</span></th>
                </tr>
              </thead>
              <tbody>
                ${r.deliveries.map((d) => {
                  const key = `${ep.id}:${d.id}`;
                  return html`<tr>
                    <td class="nowrap">${beijingTime(d.created)}</td>
                    <td><code>${d.event}</code></td>
                    <td>${d.attempt}</td>
                    <td>
                      <span class=${d.succeeded ? 'good' : 'bad'}>${d.status_code ?? t.noResponse}</span>
                      ${d.error ? html`<span class="small muted">${d.error}</span>` : nothing}
                    </td>
                    <td class="num">${d.duration_ms}</td>
                    <td class="nowrap">${d.next_retry_at ? beijingTime(d.next_retry_at) : '—'}</td>
                    <td>
                      <button type="button" class="small" aria-label=${`${t.resend} ${d.event}`} @click=${() => this.resend(d.event, ep.id, key)}>${t.resend}</button>
                      <span role="status" class="small">${this.notes[key] ?? ''}</span>
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>
          </div>`
      }
    </section>`;
  }

  protected override render(): TemplateResult {
    const t = this.t;
    const cfg = this.session.merchant.webhook;
    return html`<h1 tabindex="-1">${t.nav.webhooks}</h1>
      ${this.view(this.rows, (rows) =>
        rows === null
          ? html`<section class="card">
              <h2>${t.configWebhook}</h2>
              <p>${cfg ? html`<code>${cfg.url}</code>` : t.none}</p>
              <p class="notice" role="status">${t.webhooksUnavailable}</p>
            </section>`
          : html`${[...rows].sort((a, b) => Number(b.failing) - Number(a.failing)).map((r) => this.endpoint(r))}`,
      )}
      <dialog id="rotate" aria-labelledby="rotate-h" @cancel=${() => this.closeRotate()}>
        ${
          this.rotating
            ? html`<h2 id="rotate-h">${t.rotateTitle}</h2>
              <p><code>${this.rotating.url}</code></p>
              ${
                this.secret
                  ? html`<p>${t.newSecret}</p>
                    <p><code class="secret">${this.secret}</code></p>
                    <div class="actions"><button type="button" class="primary" @click=${() => this.closeRotate()}>${t.close}</button></div>`
                  : html`<p>${t.rotateText}</p>
                    <div class="actions">
                      <button type="button" class="danger" @click=${() => this.rotate()}>${t.rotate}</button>
                      <button type="button" @click=${() => this.closeRotate()}>${t.cancel}</button>
                    </div>`
              }`
            : nothing
        }
      </dialog>`;
  }
}

customElements.define('sy-webhooks', WebhooksPage);
