/**
 * `<shouyin-checkout client-secret="cs_…_secret_…">`: the shopper's side of a Shouyin checkout.
 *
 * Shows the merchant, description and amount; lets the shopper pick WeChat Pay / Alipay / UnionPay;
 * shows the QR code with a countdown; flips to "paid" when, and only when, the server says so.
 *
 * @attr client-secret - required; the session's client secret from the merchant's server
 * @attr api-base - optional; the Shouyin API origin (default: the origin this script was loaded from)
 * @attr locale - optional; `zh-CN` or `en` (default: from the browser's language list)
 *
 * @event shouyin-paid - `{session_id, merchant_order_id, amount}` once the server reports `paid`
 * @event shouyin-status - `{session_id, status, previous}` on every status change
 * @event shouyin-error - `{type, code, message, param?}` when a call fails
 *
 * @csspart container - the card
 * @csspart amount - the amount
 * @csspart qr - the QR code `<svg>`
 * @csspart button - every button (channel buttons are also `method`, text buttons also `link`)
 * @csspart status - the `aria-live` status area
 * @csspart badge - the TEST MODE badge
 * @csspart countdown - the QR countdown line
 * @csspart sandbox-link - the test-mode sandbox wallet link
 *
 * @cssproperty --shouyin-accent - buttons, links, focus ring (#1a66e0)
 * @cssproperty --shouyin-radius - card corner radius (12px)
 * @cssproperty --shouyin-font - font family
 * @cssproperty --shouyin-text-color, --shouyin-muted-color, --shouyin-border-color, --shouyin-background
 * @cssproperty --shouyin-max-width - card width (380px)
 * @cssproperty --shouyin-qr-size - QR code width (216px)
 */
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type {
  Channel,
  NextAction,
  PublicAttempt,
  PublicSessionView,
  SessionStatus,
  StatusView,
} from '../../worker/src/contract';
import { ApiError, type ClientApi, createClientApi, errorKind } from './api';
import { defaultApiBase } from './api-base';
import { CHANNEL_GLYPH, offeredChannels } from './channels';
import { parseClientSecret } from './client-secret';
import { CountdownController } from './controllers/countdown-controller';
import { LONG_POLL_WAIT, StatusController } from './controllers/status-controller';
import type { ShouyinEventMap } from './events';
import { formatAmount } from './format';
import { pickLocale, translations, type Translation } from './i18n';
import type { ErrorKind } from './i18n/translation';
import { formPostTop, redirectTop, safeUrl } from './next-action';
import { qrPath } from './qr';
import { styles } from './styles';

type View = 'loading' | 'pick' | 'qr' | 'redirect' | 'error';
type QrAction = Extract<NextAction, { type: 'display_qr' }>;

/** Server clock minus ours, from an attempt the server just created; small differences are noise. */
function skewFrom(attempt: PublicAttempt): number {
  const created = attempt.created < 1e12 ? attempt.created * 1000 : attempt.created;
  const skew = created - Date.now();
  return Math.abs(skew) > 5000 ? skew : 0;
}

export class ShouyinCheckout extends LitElement {
  static override styles = styles;
  static override properties = {
    clientSecret: { attribute: 'client-secret' },
    apiBase: { attribute: 'api-base' },
    locale: {},
    view: { state: true },
    session: { state: true },
    status: { state: true },
    busy: { state: true },
    attempt: { state: true },
    qr: { state: true },
    err: { state: true },
  };

  // Declared, not initialised as fields: Lit's reactive accessors must not be shadowed whatever
  // the class-fields semantics of the build (see README).
  declare clientSecret?: string | null;
  declare apiBase?: string | null;
  declare locale?: string | null;
  declare private view: View;
  declare private session: PublicSessionView | undefined;
  declare private status: SessionStatus | undefined;
  declare private busy: Channel | undefined;
  declare private attempt: PublicAttempt | undefined;
  declare private qr: (QrAction & { svg: { size: number; d: string } }) | undefined;
  declare private err: { kind: ErrorKind; retry: () => void; canSwitch: boolean } | undefined;

  private api: ClientApi | undefined;
  private loadCtrl: AbortController | undefined;
  private readonly countdown = new CountdownController(this);
  private readonly statusCtl = new StatusController(this, {
    onStatus: (v) => this.onStatus(v),
    onFatal: (e) => this.fail(e, 'invalid', () => this.load(), false),
  });

  constructor() {
    super();
    this.view = 'loading';
  }

  private get t(): Translation {
    return translations[pickLocale(this.locale, navigator.languages)];
  }

  private emit<K extends keyof ShouyinEventMap>(type: K, detail: ShouyinEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('clientSecret') || changed.has('apiBase')) this.load();
  }

  /** Fetch the public session view and start watching its status. */
  private async load(): Promise<void> {
    const ctrl = new AbortController();
    this.loadCtrl?.abort();
    this.loadCtrl = ctrl;
    this.statusCtl.watch();
    this.countdown.set(undefined);
    Object.assign(this, { view: 'loading', api: undefined, session: undefined, status: undefined, qr: undefined });
    const parsed = parseClientSecret(this.clientSecret);
    if (!parsed) {
      const e = new ApiError(400, {
        type: 'invalid_request_error',
        code: 'invalid_client_secret',
        message: 'client-secret must look like cs_<id>_secret_<random>',
        param: 'client-secret',
      });
      return this.fail(e, 'invalid', () => this.load(), false);
    }
    const api = createClientApi(this.apiBase || defaultApiBase(), this.clientSecret!.trim(), parsed.sessionId);
    this.api = api;
    try {
      const s = await api.getSession(ctrl.signal);
      if (this.loadCtrl !== ctrl) return;
      this.loadCtrl = undefined;
      this.session = s;
      this.setStatus(s.status);
      const a = s.active_attempt;
      const na = a?.status === 'pending' ? a.next_action : null;
      // Reloading the page keeps the live QR instead of making a new order.
      if (a && na?.type === 'display_qr' && Date.parse(na.expires_at) > Date.now()) this.showQr(a, na, 0);
      else this.view = 'pick';
      if (s.status === 'open') this.statusCtl.watch((v, signal) => api.getStatus(v, LONG_POLL_WAIT, signal));
    } catch (e) {
      if (this.loadCtrl !== ctrl) return;
      this.loadCtrl = undefined;
      this.fail(e, 'generic', () => this.load(), false);
    }
  }

  private setStatus(next: SessionStatus): void {
    const previous = this.status;
    if (next === previous || !this.session) return;
    this.status = next;
    const { id, merchant_order_id, amount } = this.session;
    this.emit('shouyin-status', { session_id: id, status: next, previous });
    if (next !== 'open') this.countdown.set(undefined);
    if (next === 'paid') this.emit('shouyin-paid', { session_id: id, merchant_order_id, amount });
  }

  private onStatus(v: StatusView): void {
    if (!this.session || v.id !== this.session.id) return;
    const a = v.active_attempt;
    if (a && a.id === this.attempt?.id) this.attempt = a;
    this.setStatus(v.status);
  }

  /** Start an attempt on `channel`: the server makes the provider order and says what to do next. */
  private async start(channel: Channel): Promise<void> {
    const api = this.api;
    const flow = this.session && offeredChannels(this.session).find((c) => c.channel === channel)?.flow;
    if (!api || !flow || this.busy || this.status !== 'open') return;
    this.busy = channel;
    // Retrying from the error view: show the picker with this channel's spinner meanwhile.
    if (this.view === 'error') this.view = 'pick';
    try {
      const { attempt, next_action: na } = await api.createAttempt(channel, flow);
      if (this.api !== api || this.status !== 'open') return;
      if (na.type === 'display_qr') return this.showQr(attempt, na, skewFrom(attempt), true);
      this.attempt = attempt;
      this.view = 'redirect';
      const ok =
        na.type === 'redirect' ? redirectTop(na.url) : na.type === 'form_post' ? formPostTop(na.url, na.fields) : false;
      // wechat_jsapi / app_payload only answer flows this widget does not request yet.
      if (!ok) throw new ApiError(400, { type: 'api_error', code: 'unsupported_next_action', message: na.type });
      // Still here a while later: navigation was blocked, or the shopper came Back and the page was
      // restored from the back/forward cache (timers resume then). Never leave "Redirecting…" up.
      setTimeout(() => this.view === 'redirect' && this.pick(), 8000);
    } catch (e) {
      if (this.api !== api) return;
      this.fail(e, 'unavailable', () => this.start(channel), true);
      // A 409 often means the session moved on (paid elsewhere, expired): ask the server now.
      this.statusCtl.recheck();
    } finally {
      this.busy = undefined;
    }
  }

  private showQr(attempt: PublicAttempt, na: QrAction, skew: number, focus = false): void {
    this.attempt = attempt;
    this.qr = { ...na, svg: qrPath(na.data) };
    this.countdown.set(na.expires_at, skew);
    this.view = 'qr';
    if (focus) this.focusBody();
  }

  private pick(): void {
    this.countdown.set(undefined);
    this.err = undefined;
    this.view = 'pick';
    this.focusBody();
  }

  private fail(e: unknown, fallback: ErrorKind, retry: () => void, canSwitch: boolean): void {
    const kind = errorKind(e, fallback);
    this.err = { kind, retry, canSwitch: canSwitch && !!this.session };
    this.view = 'error';
    this.emit(
      'shouyin-error',
      e instanceof ApiError
        ? { type: e.type, code: e.code, message: e.message, param: e.param }
        : { type: 'api_error', code: 'unexpected', message: String(e) },
    );
    this.focusBody();
  }

  /**
   * After a view change the clicked (or disabled) button is gone and focus falls to <body>: put it
   * back at the top of the new view, so keyboard and screen-reader users continue from there.
   * Focus elsewhere on the page is left alone.
   */
  private focusBody(): void {
    void this.updateComplete.then(() => {
      const a = document.activeElement;
      if (a === this || a === document.body) this.renderRoot.querySelector<HTMLElement>('.body')?.focus();
    });
  }

  private money(fen: number): string {
    return formatAmount(fen, this.t.lang);
  }

  protected override render(): TemplateResult {
    const { t, session: s } = this;
    const done = this.status && this.status !== 'open' ? this.status : undefined;
    const view = done ?? this.view;
    return html`<div part="container" class="card ${view}${done ? ' done' : ''}" lang=${t.lang}>
      ${s
        ? html`<header>
            <div class="top">
              <span class="merchant">${s.merchant_name}</span>
              ${s.livemode ? nothing : html`<span class="badge" part="badge">${t.testMode}</span>`}
            </div>
            <p class="desc">${s.description}</p>
            ${done
              ? nothing
              : html`<div class="label">${t.amountDue}</div>
                  <div class="amount" part="amount">${this.money(s.amount)}</div>`}
          </header>`
        : nothing}
      <div class="body" tabindex="-1">${done ? nothing : this.renderBody(this.view, t, s)}</div>
      <div class="status" part="status" role="status" aria-live="polite">${this.renderStatus(view, t, s)}</div>
    </div>`;
  }

  private renderBody(view: View, t: Translation, s: PublicSessionView | undefined): unknown {
    if (view === 'pick' && s) {
      const offered = offeredChannels(s);
      if (!offered.length) return html`<p class="muted">${t.noChannels}</p>`;
      return html`<h2 id="pick">${t.chooseMethod}</h2>
        <div class="methods" role="group" aria-labelledby="pick">
          ${offered.map(
            ({ channel: c }) =>
              html`<button
                class="method"
                part="button method"
                ?disabled=${!!this.busy}
                @click=${() => this.start(c)}
              >
                <span class="glyph ${c}" aria-hidden="true">${CHANNEL_GLYPH[c]}</span>${t.channel[c]}
                <span class="chev" aria-hidden="true">${this.busy === c ? html`<i class="spin"></i>` : '›'}</span>
              </button>`,
          )}
        </div>`;
    }
    if (view === 'qr' && this.qr && this.attempt) {
      const c = this.attempt.channel;
      const { size, d } = this.qr.svg;
      const dead = this.countdown.expired || this.attempt.status !== 'pending';
      const wallet = safeUrl(this.qr.sandbox_wallet_url);
      return html`<div class="center">
        <div class="channel"><span class="glyph ${c}" aria-hidden="true">${CHANNEL_GLYPH[c]}</span>${t.channel[c]}</div>
        <div class="code${dead ? ' dead' : ''}">
          <svg part="qr" role="img" aria-label=${t.qrLabel(t.channel[c])} viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#fff"></rect>
            <path d=${d} fill="#000"></path>
          </svg>
          ${dead
            ? html`<div class="over">
                ${t.qrExpired}
                <button class="primary" part="button" ?disabled=${!!this.busy} @click=${() => this.start(c)}>
                  ${t.regenerate}
                </button>
              </div>`
            : nothing}
        </div>
        <p class="scan">${t.scanWith[c]}</p>
        <p class="muted" part="countdown">${dead ? nothing : t.expiresIn(this.countdown.mmss)}</p>
        ${wallet && !s?.livemode
          ? html`<a class="sandbox" part="sandbox-link" href=${wallet} target="_blank" rel="noopener">${t.sandboxWallet}</a>`
          : nothing}
        <button class="link" part="button link" @click=${() => this.pick()}>${t.switchChannel}</button>
      </div>`;
    }
    if (view === 'error' && this.err) {
      const retry = this.err.retry;
      return html`<div class="center">
        <button class="primary" part="button" @click=${() => retry()}>${t.retry}</button>
        ${this.err.canSwitch
          ? html`<button class="link" part="button link" @click=${() => this.pick()}>${t.switchChannel}</button>`
          : nothing}
      </div>`;
    }
    return nothing;
  }

  private renderStatus(view: View | SessionStatus, t: Translation, s: PublicSessionView | undefined): unknown {
    switch (view) {
      case 'loading':
        return html`<i class="spin"></i>${t.loading}`;
      case 'pick':
        return this.busy ? t.starting : nothing;
      case 'qr':
        return this.statusCtl.failures > 1 ? t.reconnecting : t.waiting;
      case 'redirect':
        return html`<i class="spin"></i>${t.redirecting}`;
      case 'error':
        return html`<div class="icon" aria-hidden="true">!</div>${t.error[this.err?.kind ?? 'generic']}`;
      case 'paid':
        return html`<div class="icon" aria-hidden="true">✓</div>
          <strong class="title">${t.paid}</strong>
          ${s
            ? html`<div class="amount" part="amount">${this.money(s.amount)}</div>
                <div class="muted">${t.orderId} ${s.merchant_order_id}</div>`
            : nothing}`;
      case 'expired':
      case 'canceled':
        return html`<div class="icon" aria-hidden="true">!</div>
          <strong class="title">${t[view]}</strong>
          <p class="muted">${t.restartHint}</p>`;
    }
    return nothing;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'shouyin-checkout': ShouyinCheckout;
  }
}
