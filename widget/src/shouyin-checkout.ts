/**
 * `<shouyin-checkout client-secret="cs_…_secret_…">`: the shopper's side of a Shouyin checkout.
 *
 * Shows the merchant, description and amount; offers the channels and flows the server says work
 * where the shopper is (desktop, phone browser, inside WeChat or Alipay); runs the chosen flow (QR
 * code, wallet redirect, WeChat's payment sheet); flips to "paid" when, and only when, the server
 * says so. Rendering is here; behaviour is in `controllers/`, the flows' mechanics in small modules.
 *
 * @attr client-secret - required; the session's client secret from the merchant's server
 * @attr api-base - optional; the Shouyin API origin (default: the origin this script was loaded from)
 * @attr locale - optional; `zh-CN`, `zh-TW` or `en` (default: from the browser's language list)
 * @attr channels - optional; offer only these channels (`wechat_pay alipay unionpay`, spaces or commas)
 * @attr theme - optional; `light` (default), `dark`, or `auto` (follows the system)
 *
 * @event shouyin-ready - `{session_id, status, channels}` once the session is loaded
 * @event shouyin-attempt - `{session_id, attempt_id, channel, flow, next_action}` when a payment starts
 * @event shouyin-paid - `{session_id, merchant_order_id, amount}` once the server reports `paid`
 * @event shouyin-expired - `{session_id, merchant_order_id}` when the session expires
 * @event shouyin-ended - `{session_id, merchant_order_id, status}` when the session expires or is canceled:
 *   set a new session's `client-secret` to start over in place
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
 * @cssproperty --shouyin-accent - buttons, links, focus ring (#1a66e0; dark #6ea8fe)
 * @cssproperty --shouyin-accent-text - text on accent buttons (#fff; dark #0d1117)
 * @cssproperty --shouyin-radius - card corner radius (12px)
 * @cssproperty --shouyin-font - font family
 * @cssproperty --shouyin-text-color, --shouyin-muted-color, --shouyin-border-color, --shouyin-background
 * @cssproperty --shouyin-max-width - card width (380px)
 * @cssproperty --shouyin-qr-size - QR code width (216px)
 */
import type { Channel, Flow, NextAction, PublicAttempt, PublicSessionView, SessionStatus, StatusView } from '../../worker/src/contract';
import { ApiError, type ClientApi, createClientApi, developerHint, errorKind } from './api';
import { defaultApiBase } from './api-base';
import { ElementBase, reactive } from './element-base';
import { CHANNEL_GLYPH, type Offer, offeredChannels } from './channels';
import { parseClientSecret } from './client-secret';
import { copyText } from './clipboard';
import { CountdownController } from './controllers/countdown-controller';
import { LONG_POLL_WAIT, StatusController } from './controllers/status-controller';
import type { ShouyinEventMap } from './events';
import { formatAmount } from './format';
import { fmt, type Locale, loadLocale, pickLocale, translations, type Translation } from './i18n';
import type { ErrorKind } from './i18n/translation';
import { formPostTop, redirectTop, safeUrl } from './next-action';
import { qrPath } from './qr';
import { styles } from './styles';
import { html, nothing, type TemplateResult } from './template';
import { payWithBridge } from './wechat-bridge';

type View = 'loading' | 'pick' | 'qr' | 'redirect' | 'jsapi' | 'guide' | 'error';
type QrAction = Extract<NextAction, { type: 'display_qr' }>;

/** How long "Redirecting…" or "Confirming…" may stay up before the shopper gets their choices back. */
const LEAVE_MS = 8000;
const CONFIRM_MS = 20000;

const ua = (re: RegExp): boolean => re.test(navigator.userAgent);

/** Server clock minus ours, from an attempt the server just created; small differences are noise. */
function skewFrom(attempt: PublicAttempt): number {
  const created = attempt.created < 1e12 ? attempt.created * 1000 : attempt.created;
  const skew = created - Date.now();
  return Math.abs(skew) > 5000 ? skew : 0;
}

export class ShouyinCheckout extends ElementBase {
  static override styles = styles;

  // Declared, not initialised as fields: the reactive accessors (`reactive()` below the class) must
  // not be shadowed whatever the class-fields semantics of the build (see docs/widget.md).
  declare clientSecret?: string | null;
  declare apiBase?: string | null;
  declare locale?: string | null;
  declare channels?: string | null;
  declare private view: View;
  declare private session: PublicSessionView | undefined;
  declare private status: SessionStatus | undefined;
  declare private busy: Channel | undefined;
  declare private attempt: PublicAttempt | undefined;
  declare private qr: (QrAction & { svg: { size: number; d: string } }) | undefined;
  /** `retry` is absent when no retry can help (ApiError.final). */
  declare private err: { kind: ErrorKind; retry?: () => void; canSwitch: boolean; qr?: Channel } | undefined;
  /** Phone: the shopper asked for QR codes, to scan with another phone. */
  declare private viaQr: boolean | undefined;
  /** The blocked channel whose "open in a browser" guide is showing. */
  declare private guide: Channel | undefined;
  /** A short line for the status area ("Copied", "Paid already?…", a link to copy by hand). */
  declare private note: string | undefined;

  private api: ClientApi | undefined;
  /** `load()` ran at least once. */
  private loaded = false;
  private loadCtrl: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly countdown = new CountdownController(this);
  private readonly statusCtl = new StatusController(this, {
    onStatus: (v) => this.onStatus(v),
    onFatal: (e) => this.fail(e, 'invalid', () => this.load(), false),
  });

  constructor() {
    super();
    this.view = 'loading';
  }

  /** The shopper's language (docs/widget.md, "Languages"). */
  private get loc(): Locale {
    return pickLocale(this.locale, navigator.languages);
  }

  /** Its strings; Simplified Chinese until Traditional Chinese has arrived (fetched once, then re-rendered). */
  private get t(): Translation {
    const l = this.loc;
    if (!translations[l]) void loadLocale(l, defaultApiBase()).then(() => this.requestUpdate());
    return translations[l] ?? translations['zh-CN']!;
  }

  private get offers(): Offer[] {
    return this.session ? offeredChannels(this.session, this.channels) : [];
  }

  private emit<K extends keyof ShouyinEventMap>(type: K, detail: ShouyinEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  protected override willUpdate(changed: ReadonlySet<PropertyKey>): void {
    // Also on the first render without a client secret: that is an error to show, not a spinner.
    if (changed.has('clientSecret') || changed.has('apiBase') || !this.loaded) {
      this.loaded = true;
      void this.load();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  /** Show `view`, forget transient lines, and (optionally) come back to the choices after `ms`. */
  private go(view: View, note?: string, ms = 0): void {
    clearTimeout(this.timer);
    Object.assign(this, { view, note });
    if (ms) this.timer = setTimeout(() => this.view === view && this.pick(this.t.returned), ms);
  }

  /** Fetch the public session view and start watching its status. */
  private async load(): Promise<void> {
    const ctrl = new AbortController();
    this.loadCtrl?.abort();
    this.loadCtrl = ctrl;
    this.statusCtl.watch();
    this.countdown.set(undefined);
    this.go('loading');
    Object.assign(this, { api: undefined, session: undefined, status: undefined, qr: undefined, attempt: undefined, viaQr: undefined });
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
    const api = createClientApi(this.apiBase || defaultApiBase(), this.clientSecret!.trim(), parsed.sessionId, undefined, this.loc);
    this.api = api;
    try {
      const s = await api.getSession(ctrl.signal);
      if (this.loadCtrl !== ctrl) return;
      this.loadCtrl = undefined;
      this.session = s;
      this.emit('shouyin-ready', { session_id: s.id, status: s.status, channels: this.offers.map((o) => o.channel) });
      this.setStatus(s.status);
      const a = s.active_attempt;
      const na = a?.status === 'pending' ? a.next_action : null;
      // Reloading the page keeps the live QR instead of making a new order.
      if (a && na?.type === 'display_qr' && Date.parse(na.expires_at) > Date.now()) this.showQr(a, na, 0);
      // Back from a wallet or a cashier page: only the server's status (watched below) can say paid.
      // The wallet's own "quit" return (Alipay's quit_url, docs/widget.md) says nothing was paid.
      else if (/[?&]shouyin_return=quit(&|$)/.test(location.search)) this.go('pick', this.t.notCompleted);
      else this.go('pick', a?.status === 'pending' && a.flow !== 'qr' ? this.t.returned : undefined);
      if (s.status === 'open') {
        this.statusCtl.watch(
          (v, signal) => api.getStatus(v, LONG_POLL_WAIT, signal),
          undefined,
          typeof WebSocket === 'function' ? () => new WebSocket(api.streamUrl, api.streamProtocols) : undefined,
        );
      }
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
    if (next === 'open') return;
    this.countdown.set(undefined);
    clearTimeout(this.timer);
    this.focusBody();
    if (next === 'paid') this.emit('shouyin-paid', { session_id: id, merchant_order_id, amount });
    if (next === 'expired') this.emit('shouyin-expired', { session_id: id, merchant_order_id });
    if (next !== 'paid') this.emit('shouyin-ended', { session_id: id, merchant_order_id, status: next });
  }

  private onStatus(v: StatusView): void {
    if (!this.session || v.id !== this.session.id) return;
    const a = v.active_attempt;
    if (a && a.id === this.attempt?.id) this.attempt = a;
    this.setStatus(v.status);
  }

  /**
   * Start `flow` (default: the channel's first, the server's preference here) on `channel`: the
   * server makes the provider order and says what to do next. A blocked channel shows its guide.
   */
  private async start(channel: Channel, flow?: Flow): Promise<void> {
    const api = this.api;
    const offer = this.offers.find((o) => o.channel === channel);
    flow ??= offer?.flows[0];
    if (offer?.notice) {
      this.guide = channel;
      this.go('guide');
      return this.focusBody();
    }
    if (!api || !flow || this.busy || this.status !== 'open') return;
    this.busy = channel;
    // Retrying from the error view: show the picker with this channel's spinner meanwhile.
    if (this.view === 'error') this.go('pick');
    try {
      const { attempt, next_action: na } = await api.createAttempt(channel, flow);
      if (this.api !== api || this.status !== 'open') return;
      this.emit('shouyin-attempt', {
        session_id: this.session!.id,
        attempt_id: attempt.id,
        channel,
        flow,
        next_action: na.type,
      });
      this.attempt = attempt;
      if (na.type === 'display_qr') return this.showQr(attempt, na, skewFrom(attempt), true);
      // Not awaited: the payment sheet may stay open for minutes, and the choices must not stay disabled.
      if (na.type === 'wechat_jsapi') return void this.jsapi(na.params);
      // Still here a while later: navigation was blocked, or the shopper came Back and the page was
      // restored from the back/forward cache (timers resume then). Never leave "Redirecting…" up.
      this.go('redirect', undefined, LEAVE_MS);
      const ok = na.type === 'redirect' ? redirectTop(na.url) : na.type === 'form_post' ? formPostTop(na.url, na.fields) : false;
      // app_payload answers a flow this widget never requests.
      if (!ok) throw new ApiError(400, { type: 'api_error', code: 'unsupported_next_action', message: na.type });
    } catch (e) {
      if (this.api !== api) return;
      this.fail(e, 'unavailable', () => this.start(channel, flow), true);
      // A wallet redirect that cannot start (H5 not enabled for the merchant, say): the QR still can.
      if (flow !== 'qr' && offer?.flows.includes('qr') && this.err?.retry) this.err.qr = channel;
      // A 409 often means the session moved on (paid elsewhere, expired): ask the server now.
      this.statusCtl.recheck();
    } finally {
      this.busy = undefined;
    }
  }

  /** WeChat's payment sheet. Its "ok" only makes us ask the server; "paid" comes from the server. */
  private async jsapi(params: Record<string, string>): Promise<void> {
    this.go('jsapi', this.t.payInWechat);
    this.focusBody();
    const r = await payWithBridge(params);
    if (this.view !== 'jsapi') return;
    if (r === 'ok') {
      this.go('jsapi', this.t.confirming, CONFIRM_MS);
      this.statusCtl.recheck();
    } else if (r === 'cancel') this.pick(this.t.notCompleted);
    else {
      const e = new ApiError(400, { type: 'wallet_error', code: 'wechat_jsapi_fail', message: 'getBrandWCPayRequest failed' });
      this.fail(e, 'wallet', () => this.start('wechat_pay', 'jsapi'), true);
    }
  }

  private showQr(attempt: PublicAttempt, na: QrAction, skew: number, focus = false): void {
    this.attempt = attempt;
    // The Worker always sends the matrix; one missing throws here, and the caller shows the error.
    this.qr = { ...na, svg: qrPath(na.qr!) };
    this.countdown.set(na.expires_at, skew);
    this.go('qr');
    if (focus) this.focusBody();
  }

  private pick(note?: string): void {
    this.countdown.set(undefined);
    this.err = undefined;
    this.go('pick', note);
    this.focusBody();
  }

  /** Copies a link; when the browser refuses, the status line shows it for copying by hand. */
  private async copy(text: string): Promise<void> {
    this.note = (await copyText(text)) ? this.t.copied : `${this.t.copyByHand} ${text}`;
  }

  private fail(e: unknown, fallback: ErrorKind, retry: () => void, canSwitch: boolean): void {
    const final = e instanceof ApiError && e.final;
    this.err = { kind: errorKind(e, fallback), ...(final ? {} : { retry }), canSwitch: canSwitch && !final && !!this.session };
    const hint = developerHint(e);
    if (hint) console.error(hint);
    this.go('error');
    this.emit(
      'shouyin-error',
      e instanceof ApiError
        ? { type: e.type, code: e.code, message: e.message, param: e.param }
        : { type: 'api_error', code: 'unexpected', message: String(e) },
    );
    this.focusBody();
  }

  /**
   * After a view change the clicked (or disabled) button is gone and focus falls to <body> (or to
   * the shadow host we live in): put it back at the top of the new view, so keyboard and
   * screen-reader users continue from there. Focus elsewhere on the page is left alone.
   */
  private focusBody(): void {
    void this.updateComplete.then(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      if (!a || a === this || a === document.body) {
        // The end states have an empty (hidden) body: then the card itself.
        const r = this.renderRoot;
        r.querySelector<HTMLElement>('.body')?.focus();
        if (!r.activeElement) r.querySelector<HTMLElement>('.card')?.focus();
      }
    });
  }

  private money(fen: number): string {
    return formatAmount(fen, this.t.lang);
  }

  protected render(): TemplateResult {
    const { t, session: s } = this;
    const done = this.status && this.status !== 'open' ? this.status : undefined;
    const view = done ?? this.view;
    return html`<div part="container" class="card ${view}${done ? ' done' : ''}" lang=${t.lang} tabindex="-1">
      ${
        s
          ? html`<header>
            <div class="top">
              <span class="merchant">${s.merchant_name}</span>
              ${s.livemode ? nothing : html`<span class="badge" part="badge">${t.testMode}</span>`}
            </div>
            <p class="desc">${s.description}</p>
            ${
              done
                ? nothing
                : html`<div class="label">${t.amountDue}</div>
                  <div class="amount" part="amount">${this.money(s.amount)}</div>`
            }
          </header>`
          : nothing
      }
      <div class="body" tabindex="-1">${done ? nothing : this.renderBody(this.view, t, s)}</div>
      <div class="status" part="status" role="status" aria-live="polite">${this.renderStatus(view, t, s)}</div>
    </div>`;
  }

  private glyph(c: Channel): TemplateResult {
    return html`<span class="glyph ${c}" aria-hidden="true">${CHANNEL_GLYPH[c]}</span>`;
  }

  private link(label: string, click: () => void): TemplateResult {
    return html`<button class="link" part="button link" @click=${click}>${label}</button>`;
  }

  private renderBody(view: View, t: Translation, s: PublicSessionView | undefined): unknown {
    if (view === 'pick' && s) {
      const offers = this.offers;
      if (!offers.length) return html`<p class="muted">${t.noChannels}</p>`;
      return html`<h2 id="pick">${t.chooseMethod}</h2>
        <div class="methods" role="group" aria-labelledby="pick">
          ${offers.map(
            ({ channel: c, notice, flows }) =>
              html`<button class="method" part="button method" ?disabled=${!!this.busy} @click=${() => this.start(c, this.viaQr && flows.includes('qr') ? 'qr' : undefined)}>
                ${this.glyph(c)}<span class="name">${t.channel[c]}${notice ? html`<small>${t.openInBrowser}</small>` : nothing}</span>
                <span class="chev" aria-hidden="true">${this.busy === c ? html`<i class="spin"></i>` : '›'}</span>
              </button>`,
          )}
        </div>
        ${
          // Phone: the wallet opens on this phone first; the QR is for a wallet on another one.
          !this.viaQr && offers.some((o) => o.flows[0] !== 'qr' && o.flows.includes('qr')) ? this.link(t.otherDevice, () => (this.viaQr = true)) : nothing
        }`;
    }
    if (view === 'qr' && this.qr && this.attempt) {
      const c = this.attempt.channel;
      const { size, d } = this.qr.svg;
      const dead = this.countdown.expired || this.attempt.status !== 'pending';
      const wallet = safeUrl(this.qr.sandbox_wallet_url);
      const mobile = ua(/Mobi|Android|iPhone|iPad|HarmonyOS/i);
      const data = this.qr.data;
      const site = this.offers.find((o) => o.channel === c)?.flows.includes('page') && t.payOnSite[c];
      return html`<div class="center">
        <div class="channel">${this.glyph(c)}${t.channel[c]}</div>
        <div class="code${dead ? ' dead' : ''}">
          <svg part="qr" role="img" aria-label=${fmt(t.qrLabel, t.channel[c])} viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#fff"></rect>
            <path d=${d} fill="#000"></path>
          </svg>
          ${
            dead
              ? html`<div class="over">
                ${t.qrExpired}
                <button class="primary" part="button" ?disabled=${!!this.busy} @click=${() => this.start(c, 'qr')}>
                  ${t.regenerate}
                </button>
              </div>`
              : nothing
          }
        </div>
        <p class="scan">${t.scanWith[c]}</p>
        ${dead ? nothing : html`<p class="muted" part="countdown">${fmt(t.expiresIn, this.countdown.mmss)}</p>`}
        ${
          mobile && !dead
            ? html`${/^https:/.test(data) ? html`<a class="primary" part="button" href=${data}>${fmt(t.openApp, t.channel[c])}</a>` : nothing}
            ${c === 'wechat_pay' ? html`<p class="muted">${t.screenshotHint}</p>` : nothing}
            ${this.link(t.copyLink, () => this.copy(data))}`
            : nothing
        }
        ${wallet && !s?.livemode ? html`<a class="sandbox" part="sandbox-link" href=${wallet} target="_blank" rel="noopener">${t.sandboxWallet}</a>` : nothing}
        ${site ? this.link(site, () => this.start(c, 'page')) : nothing}
        ${this.link(t.switchChannel, () => this.pick())}
      </div>`;
    }
    if (view === 'guide' && this.guide) {
      const c = this.guide;
      return html`<div class="center">
        <div class="channel">${this.glyph(c)}${t.channel[c]}</div>
        <h2>${fmt(t.blocked, ua(/MicroMessenger/i) ? t.app.wechat : t.app.alipay, t.channel[c])}</h2>
        <p class="muted">${t.browserSteps}</p>
        <button class="primary" part="button" @click=${() => this.copy(location.href)}>${t.copyPageLink}</button>
        ${this.link(t.back, () => this.pick())}
      </div>`;
    }
    if (view === 'error' && this.err) {
      const retry = this.err.retry;
      return html`<div class="center">
        ${retry ? html`<button class="primary" part="button" @click=${() => retry()}>${t.retry}</button>` : nothing}
        ${this.err.qr ? this.link(t.useQr, () => this.start(this.err!.qr!, 'qr')) : nothing}
        ${this.err.canSwitch ? this.link(t.switchChannel, () => this.pick()) : nothing}
      </div>`;
    }
    if (view === 'jsapi' || view === 'redirect') return this.link(t.switchChannel, () => this.pick());
    return nothing;
  }

  private renderStatus(view: View | SessionStatus, t: Translation, s: PublicSessionView | undefined): unknown {
    const spin = html`<i class="spin"></i>`;
    switch (view) {
      case 'loading':
        return html`${spin}${t.loading}`;
      case 'pick':
      case 'guide':
        return this.busy ? t.starting : this.note;
      case 'qr':
        // An expired QR says so over the code itself; "waiting" would be wrong.
        return this.note ?? (this.countdown.expired ? nothing : this.statusCtl.failures > 1 ? t.reconnecting : t.waiting);
      case 'redirect':
        return html`${spin}${t.redirecting}`;
      case 'jsapi':
        return html`${spin}${this.note}`;
      case 'error':
        return html`<div class="icon" aria-hidden="true">!</div>${t.error[this.err?.kind ?? 'generic']}`;
      case 'paid':
        return html`<div class="icon" aria-hidden="true">✓</div>
          <strong class="title">${t.paid}</strong>
          ${
            s
              ? html`<div class="amount" part="amount">${this.money(s.amount)}</div>
                <div class="muted">${t.orderId} ${s.merchant_order_id}</div>`
              : nothing
          }`;
      case 'expired':
      case 'canceled': {
        // The merchant's page to go back to (cancel_url, else return_url), in the widget's language.
        const back = safeUrl((s?.cancel_url ?? s?.return_url)?.replaceAll('{LOCALE}', this.loc));
        return html`<div class="icon" aria-hidden="true">!</div>
          <strong class="title">${t[view]}</strong>
          <p class="muted">${t.restartHint}</p>
          ${back ? html`<a class="primary" part="button" href=${back} target="_top">${t.backToShop}</a>` : nothing}`;
      }
    }
    return nothing;
  }
}

reactive(
  ShouyinCheckout,
  ['clientSecret', 'apiBase', 'locale', 'channels', 'view', 'session', 'status', 'busy', 'attempt', 'qr', 'err', 'guide', 'note', 'viaQr'],
  {
    'client-secret': 'clientSecret',
    'api-base': 'apiBase',
    locale: 'locale',
    channels: 'channels',
  },
);

declare global {
  interface HTMLElementTagNameMap {
    'shouyin-checkout': ShouyinCheckout;
  }
}
