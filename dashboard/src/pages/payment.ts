// One payment's page: its summary, its whole timeline (GET /v1/checkout/sessions/:id/timeline) — session
// created, attempts, every provider message with Shouyin's verdict and the message itself, paid / expired /
// canceled, anomalies and automatic refunds, refunds, every event with each webhook delivery and a resend
// button (POST /v1/events/:id/retry) — and a refund: amount, reason, a confirmation restating the amount,
// one Idempotency-Key per confirmed refund (a double click refunds once), its progress until final.

import { html, nothing, type TemplateResult } from 'lit';
import { ApiError, api, isMissingRoute, newIdempotencyKey } from '../api';
import { beijingTime, money, parseYuan, yuan } from '../format';
import { Page, settle, type Load } from '../page';
import { href } from '../router';
import { refundable } from '../model';
import type { Refund, Timeline } from '../types';

/** How long the page follows a refund before it says "still pending" and stops asking. */
const FOLLOW_MS = 120_000;
const FOLLOW_EVERY_MS = 1_000;

interface Entry {
  at: number;
  rank: number;
  body: TemplateResult;
}

type RefundState =
  | { step: 'form'; error?: string }
  | { step: 'confirm'; amount: number; reason: string; key: string }
  | { step: 'sending'; amount: number; reason: string; key: string }
  | { step: 'following'; refund: Refund }
  | { step: 'done'; refund: Refund }
  | { step: 'failed'; message: string };

export class PaymentPage extends Page {
  static override properties = {
    ...Page.properties,
    timeline: { attribute: false },
    refundState: { attribute: false },
    resent: { attribute: false },
  };
  declare timeline: Load<Timeline>;
  declare refundState: RefundState;
  declare resent: Record<string, string>;
  /** Set synchronously on the first click: a second click before the page re-renders sends nothing. */
  private submitting = false;

  constructor() {
    super();
    this.timeline = { state: 'loading' };
    this.refundState = { step: 'form' };
    this.resent = {};
  }

  protected async load(signal: AbortSignal): Promise<void> {
    this.timeline = await settle(() => api<Timeline>(`/checkout/sessions/${this.route.id}/timeline`, { signal }));
  }

  private async refresh(): Promise<void> {
    const next = await settle(() => api<Timeline>(`/checkout/sessions/${this.route.id}/timeline`));
    if (next.state === 'ok') this.timeline = next;
  }

  // ── refund ────────────────────────────────────────────────────────────────────────────────────

  private review(e: SubmitEvent): void {
    e.preventDefault();
    if (this.timeline.state !== 'ok') return;
    const t = this.t;
    const max = refundable(this.timeline.value);
    const f = new FormData(e.target as HTMLFormElement);
    const p = parseYuan(String(f.get('amount') ?? ''));
    const reason = String(f.get('reason') ?? '').trim();
    if (!p.ok)
      return void (this.refundState = { step: 'form', error: p.reason === 'empty' ? t.amountEmpty : p.reason === 'zero' ? t.amountZero : t.amountFormat });
    if (p.fen > max) return void (this.refundState = { step: 'form', error: t.amountTooLarge(money(max, this.lang)) });
    if ([...reason].length > 80) return void (this.refundState = { step: 'form', error: t.reasonTooLong });
    // One key for this confirmed refund: every send of it (a double click, a retry) is the same refund.
    this.refundState = { step: 'confirm', amount: p.fen, reason, key: newIdempotencyKey() };
    void this.updateComplete.then(() => this.querySelector<HTMLDialogElement>('dialog#confirm-refund')?.showModal());
  }

  private closeDialog(): void {
    this.querySelector<HTMLDialogElement>('dialog#confirm-refund')?.close();
  }

  private cancelRefund(): void {
    this.closeDialog();
    this.refundState = { step: 'form' };
  }

  private async confirm(): Promise<void> {
    const st = this.refundState;
    if (this.submitting || st.step !== 'confirm') return;
    this.submitting = true;
    this.refundState = { ...st, step: 'sending' };
    try {
      const body = { session: this.route.id, amount: st.amount, ...(st.reason ? { reason: st.reason } : {}) };
      let refund: Refund | null = null;
      for (let i = 0; i < 10 && !refund; i++) {
        try {
          refund = await api<Refund>('/refunds', { method: 'POST', body, idempotencyKey: st.key });
        } catch (e) {
          // The same key still running (a first send not answered yet): ask again, it replays the answer.
          if (e instanceof ApiError && e.code === 'idempotency_key_in_use') await new Promise((r) => setTimeout(r, 500));
          else throw e;
        }
      }
      if (!refund) throw new Error('idempotency_key_in_use');
      this.closeDialog();
      this.refundState = refund.status === 'pending' ? { step: 'following', refund } : { step: 'done', refund };
      await this.refresh();
      if (refund.status === 'pending') await this.follow(refund);
    } catch (e) {
      this.closeDialog();
      this.refundState = { step: 'failed', message: e instanceof ApiError ? `${e.message} (${e.code})` : String(e) };
    } finally {
      this.submitting = false;
    }
  }

  /** Asks for the refund until the provider's final answer (or FOLLOW_MS). */
  private async follow(r: Refund): Promise<void> {
    const end = Date.now() + FOLLOW_MS;
    let cur = r;
    while (cur.status === 'pending' && Date.now() < end && this.isConnected) {
      await new Promise((res) => setTimeout(res, FOLLOW_EVERY_MS));
      cur = await api<Refund>(`/refunds/${r.id}`).catch(() => cur);
      this.refundState = cur.status === 'pending' ? { step: 'following', refund: cur } : { step: 'done', refund: cur };
    }
    await this.refresh();
  }

  private refundPanel(tl: Timeline): TemplateResult {
    const t = this.t;
    const max = refundable(tl);
    const st = this.refundState;
    const progress =
      st.step === 'sending'
        ? t.refundSending
        : st.step === 'following'
          ? t.refundPending(st.refund.id)
          : st.step === 'done'
            ? t.refundDone(st.refund.id, t.refundStatus[st.refund.status] ?? st.refund.status)
            : st.step === 'failed'
              ? t.error(st.message)
              : '';
    const confirming = st.step === 'confirm' || st.step === 'sending' ? st : null;
    const channel = tl.session.payment ? t.channel[tl.session.payment.channel] : '';
    return html`<section class="card" aria-labelledby="refund-h">
      <h2 id="refund-h">${t.refundTitle}</h2>
      <p role="status" aria-live="polite" class=${st.step === 'failed' ? 'bad' : st.step === 'done' && st.refund.status === 'succeeded' ? 'good' : ''}>${progress}</p>
      ${
        max > 0
          ? html`<form class="refund" @submit=${this.review} novalidate>
            <p class="muted">${t.refundable(money(max, this.lang))}</p>
            <div class="field">
              <label for="refund-amount">${t.refundAmount}</label>
              <input
                id="refund-amount"
                name="amount"
                inputmode="decimal"
                autocomplete="off"
                .value=${yuan(max)}
                aria-describedby=${st.step === 'form' && st.error ? 'refund-error' : nothing}
                aria-invalid=${st.step === 'form' && st.error ? 'true' : 'false'}
              />
            </div>
            <div class="field grow">
              <label for="refund-reason">${t.refundReason}</label>
              <input id="refund-reason" name="reason" maxlength="80" autocomplete="off" />
            </div>
            <div class="field actions"><button type="submit" class="primary">${t.refundReview}</button></div>
            ${st.step === 'form' && st.error ? html`<p id="refund-error" class="bad" role="alert">${st.error}</p>` : nothing}
          </form>`
          : html`<p class="muted">${t.notRefundable}</p>`
      }
      <dialog id="confirm-refund" aria-labelledby="confirm-h" @cancel=${() => this.cancelRefund()}>
        ${
          confirming
            ? html`<h2 id="confirm-h">${t.confirmTitle}</h2>
              <p class="big">${money(confirming.amount, this.lang)}</p>
              <p>${t.confirmText(money(confirming.amount, this.lang), channel, tl.session.merchant_order_id)}</p>
              ${confirming.reason ? html`<p class="muted">${t.reason}: ${confirming.reason}</p>` : nothing}
              <div class="actions">
                <button type="button" class="danger" ?disabled=${st.step === 'sending'} @click=${() => this.confirm()}>
                  ${st.step === 'sending' ? t.refundSending : t.confirmRefund(money(confirming.amount, this.lang))}
                </button>
                <button type="button" ?disabled=${st.step === 'sending'} @click=${() => this.cancelRefund()}>${t.cancel}</button>
              </div>`
            : nothing
        }
      </dialog>
    </section>`;
  }

  // ── resend ────────────────────────────────────────────────────────────────────────────────────

  private async resend(eventId: string): Promise<void> {
    this.resent = { ...this.resent, [eventId]: '…' };
    try {
      await api(`/events/${eventId}/retry`, { method: 'POST', body: {} });
      this.resent = { ...this.resent, [eventId]: this.t.resent };
      await this.refresh();
    } catch (e) {
      this.resent = { ...this.resent, [eventId]: isMissingRoute(e) ? this.t.resendUnavailable : this.t.error(e instanceof Error ? e.message : String(e)) };
    }
  }

  // ── timeline ──────────────────────────────────────────────────────────────────────────────────

  private entries(tl: Timeline): Entry[] {
    const t = this.t;
    const s = tl.session;
    const out: Entry[] = [
      {
        at: s.created,
        rank: 0,
        body: html`<strong>${t.evSessionCreated}</strong> · ${money(s.amount, this.lang)} · ${s.merchant_order_id}`,
      },
    ];
    for (const a of tl.attempts) {
      out.push({
        at: a.created,
        rank: 1,
        body: html`<strong>${t.evAttempt(t.channel[a.channel], a.flow)}</strong> · ${a.provider}
          <br /><span class="muted">${t.providerOrderNo}</span> <code>${a.id}</code>
          ${a.next_action === 'display_qr' ? html`<br />${t.evQrShown}` : a.next_action ? html`<br />${t.evNextAction(a.next_action)}` : nothing}
          <br /><span class="badge a-${a.status}">${t.evAttemptStatus(t.attemptStatus[a.status] ?? a.status)}</span>
          ${a.provider_transaction_id ? html` · ${t.txnCol} <code>${a.provider_transaction_id}</code>` : nothing}`,
      });
    }
    for (const m of tl.provider_messages) {
      const refused = m.outcome.startsWith('anomaly:');
      out.push({
        at: m.created,
        rank: 2,
        body: html`<strong>${t.evMessage(m.source)}</strong> · <code>${m.attempt}</code>
          <br /><span class="badge good-b">${t.evVerified}</span> ${refused ? html`<span class="badge bad-b">${t.evRefused}</span>` : nothing}
          <code>${m.outcome}</code>
          <details>
            <summary>${t.rawEvidence}</summary>
            <pre tabindex="0" role="region" aria-label=${`${t.rawEvidence} ${m.outcome}`}>${JSON.stringify(m.raw, null, 2)}</pre>
          </details>`,
      });
    }
    for (const a of tl.anomalies) {
      out.push({
        at: a.created,
        rank: 4,
        body: html`<strong class="bad">${t.evAnomaly(t.reasons[a.reason] ?? a.reason)}</strong> · <code>${a.attempt}</code> (${a.source})`,
      });
    }
    for (const r of tl.refunds) {
      out.push({
        at: r.created,
        rank: 5,
        body: html`<strong>${t.evRefund(money(r.amount, this.lang), r.automatic)}</strong> · <code>${r.id}</code>
          <br /><span class="badge r-${r.status}">${t.refundStatus[r.status] ?? r.status}</span>
          ${r.reason ? html` · ${r.reason}` : nothing} ${r.failure_reason ? html` · <span class="bad">${r.failure_reason}</span>` : nothing}
          ${r.status !== 'pending' ? html` · <span class="muted">${beijingTime(r.updated)}</span>` : nothing}`,
      });
    }
    const milestone: Record<string, string> = {
      'checkout.session.paid': t.evPaid,
      'checkout.session.expired': t.evExpired,
      'checkout.session.canceled': t.evCanceled,
    };
    for (const e of tl.events) {
      out.push({
        at: e.created,
        rank: 6,
        body: html`${milestone[e.type] ? html`<strong>${milestone[e.type]}</strong> · ` : nothing}${t.evWebhook(e.type)} <code>${e.id}</code>
          ${this.deliveries(e)}`,
      });
    }
    return out.sort((a, b) => a.at - b.at || a.rank - b.rank);
  }

  private deliveries(e: Timeline['events'][number]): TemplateResult {
    const t = this.t;
    return html`<div class="deliveries">
      ${
        e.deliveries.length === 0
          ? html`<p class="muted small">${t.noDeliveries}</p>`
          : html`<table class="compact">
            <caption class="sr-only">${t.deliveries} ${e.id}</caption>
            <thead><tr><th scope="col">#</th><th scope="col">${t.created}</th><th scope="col">${t.responseCode}</th></tr></thead>
            <tbody>
              ${e.deliveries.map(
                (d) => html`<tr>
                  <td>${t.tryNo(d.try)}</td>
                  <td class="nowrap">${beijingTime(d.created)}</td>
                  <td>
                    ${
                      d.status === null
                        ? html`<span class="bad">${t.noResponse}</span> ${d.error ?? ''}`
                        : html`<span class=${d.status >= 200 && d.status < 300 ? 'good' : 'bad'}>${d.status}</span>`
                    }
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`
      }
      ${
        e.delivery === 'none'
          ? nothing
          : html`<button type="button" class="small" @click=${() => this.resend(e.id)} aria-label=${`${t.resend} ${e.type} ${e.id}`}>${t.resend}</button>
            <span role="status" class="small">${this.resent[e.id] ?? ''}</span>`
      }
    </div>`;
  }

  private page(tl: Timeline): TemplateResult {
    const t = this.t;
    const s = tl.session;
    return html`<h1 tabindex="-1">${money(s.amount, this.lang)} · ${s.merchant_order_id} <span class="badge s-${s.status}">${t.status[s.status]}</span></h1>
      <section class="card" aria-labelledby="summary-h">
        <h2 id="summary-h">${t.summary}</h2>
        <dl class="grid">
          <div><dt>${t.sessionCol}</dt><dd><code>${s.id}</code></dd></div>
          <div><dt>${t.orderNo}</dt><dd>${s.merchant_order_id}</dd></div>
          <div><dt>${t.amount}</dt><dd>${money(s.amount, this.lang)}</dd></div>
          <div><dt>${t.refunded}</dt><dd>${money(s.amount_refunded, this.lang)}</dd></div>
          <div><dt>${t.paidWith}</dt><dd>${s.payment ? `${t.channel[s.payment.channel]} (${s.payment.provider})` : '—'}</dd></div>
          <div><dt>${t.txnCol}</dt><dd><code>${s.payment?.provider_transaction_id ?? '—'}</code></dd></div>
          <div><dt>${t.created}</dt><dd>${beijingTime(s.created)}</dd></div>
          <div><dt>${t.description}</dt><dd>${s.description}</dd></div>
        </dl>
      </section>
      ${this.refundPanel(tl)}
      <section class="card" aria-labelledby="timeline-h">
        <h2 id="timeline-h">${t.timeline}</h2>
        <ol class="timeline">
          ${this.entries(tl).map((e) => html`<li><time class="muted small">${beijingTime(e.at)}</time><div>${e.body}</div></li>`)}
        </ol>
      </section>`;
  }

  protected override render(): TemplateResult {
    return html`<p><a href=${href('payments')}>← ${this.t.back}</a></p>
      ${this.view(this.timeline, (tl) => this.page(tl), this.t.unavailable('GET /v1/checkout/sessions/:id/timeline'))}`;
  }
}

customElements.define('sy-payment', PaymentPage);
