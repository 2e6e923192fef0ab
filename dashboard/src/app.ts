// <sy-dashboard>: the signed-in frame (merchant, test/live mode, language, sign-out, navigation) and
// the page the URL names. Not signed in, it says how to get in: a one-time link from the operator.

import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { SESSION_ENDED, loadSession, signOut } from './api';
import { beijingTime, type Lang } from './format';
import { STRINGS, initialLang, rememberLang, type Strings } from './i18n';
import { NAVIGATE, href, inAppTarget, navigate, parseRoute, type PageName, type Route } from './router';
import type { DashboardSession } from './types';
import './pages/home';
import './pages/payments';
import './pages/payment';
import './pages/anomalies';
import './pages/reconciliation';
import './pages/webhooks';
import './pages/settings';

type State = { kind: 'loading' } | { kind: 'in'; session: DashboardSession } | { kind: 'out'; ended: boolean } | { kind: 'error'; message: string };

const NAV: Exclude<PageName, 'payment' | 'notfound'>[] = ['home', 'payments', 'anomalies', 'reconciliation', 'webhooks', 'settings'];

export class Dashboard extends LitElement {
  static override properties = { state: { attribute: false }, route: { attribute: false }, lang: { attribute: false } };
  declare state: State;
  declare route: Route;
  declare lang: Lang;

  constructor() {
    super();
    this.state = { kind: 'loading' };
    this.route = parseRoute(location.pathname, location.search);
    this.lang = initialLang();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  private get t(): Strings {
    return STRINGS[this.lang];
  }

  private readonly onNavigate = (): void => {
    const before = this.route;
    this.route = parseRoute(location.pathname, location.search);
    // Another page (not a filter changed on this one): focus its heading, as a screen reader user expects after following a link.
    if (before.page !== this.route.page || before.id !== this.route.id) {
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('main h1')?.focus());
    }
  };
  private readonly onClick = (e: MouseEvent): void => {
    const to = inAppTarget(e);
    if (!to) return;
    e.preventDefault();
    navigate(to);
  };
  private readonly onEnded = (): void => {
    this.state = { kind: 'out', ended: true };
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onNavigate);
    window.addEventListener(NAVIGATE, this.onNavigate);
    window.addEventListener(SESSION_ENDED, this.onEnded);
    this.addEventListener('click', this.onClick);
    void this.start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onNavigate);
    window.removeEventListener(NAVIGATE, this.onNavigate);
    window.removeEventListener(SESSION_ENDED, this.onEnded);
    this.removeEventListener('click', this.onClick);
  }

  private async start(): Promise<void> {
    try {
      const session = await loadSession();
      this.state = session ? { kind: 'in', session } : { kind: 'out', ended: false };
    } catch (e) {
      this.state = { kind: 'error', message: e instanceof Error ? e.message : String(e) };
    }
  }

  private switchLang(): void {
    this.lang = this.lang === 'en' ? 'zh-CN' : 'en';
    rememberLang(this.lang);
  }

  private async signOut(): Promise<void> {
    await signOut().catch(() => undefined);
    this.state = { kind: 'out', ended: false };
  }

  protected override updated(): void {
    document.documentElement.lang = this.lang;
    document.title =
      this.state.kind === 'in' ? `${this.t.nav[this.navOf(this.route.page)]} · ${this.state.session.merchant.name} · ${this.t.title}` : this.t.title;
  }

  private navOf(p: PageName): (typeof NAV)[number] {
    return p === 'payment' ? 'payments' : p === 'notfound' ? 'home' : p;
  }

  private langButton(): TemplateResult {
    // The visible name (in the other language) starts the accessible name; what it does follows, for screen readers.
    return html`<button type="button" class="link" @click=${() => this.switchLang()}>
      <span lang=${this.lang === 'en' ? 'zh-CN' : 'en'}>${this.t.otherLang}</span><span class="sr-only"> · ${this.t.otherLangLabel}</span>
    </button>`;
  }

  protected override render(): TemplateResult {
    const t = this.t;
    const s = this.state;
    if (s.kind !== 'in') {
      const text = s.kind === 'loading' ? t.loading : s.kind === 'error' ? t.error(s.message) : s.ended ? t.sessionEnded : t.signedOut;
      return html`<header class="top"><span class="brand">收银台 Shouyin</span><span class="spacer"></span>${this.langButton()}</header>
        <main id="main" class="narrow">
          <h1 tabindex="-1">${s.kind === 'out' ? t.signedOutTitle : t.title}</h1>
          <p role=${s.kind === 'loading' ? 'status' : 'alert'}>${text}</p>
        </main>`;
    }
    const m = s.session.merchant;
    const current = this.navOf(this.route.page);
    return html`<a class="skip" href="#main">${t.skip}</a>
      <header class="top">
        <span class="brand">收银台 Shouyin</span>
        <span class="merchant">${m.name}</span>
        <span class="mode ${m.livemode ? 'live' : 'test'}" title=${m.livemode ? '' : t.testModeNote}>${m.livemode ? t.liveMode : t.testMode}</span>
        <span class="spacer"></span>
        ${s.session.email ? html`<span class="who">${t.signedInAs(s.session.email)}</span>` : nothing} ${this.langButton()}
        <button type="button" class="link" @click=${() => this.signOut()}>${t.signOut}</button>
      </header>
      ${m.livemode ? nothing : html`<p class="testband">${t.testModeNote}</p>`}
      <nav aria-label=${t.navLabel}>
        <ul>
          ${NAV.map((p) => html`<li><a href=${href(p)} aria-current=${p === current ? 'page' : 'false'}>${t.nav[p]}</a></li>`)}
        </ul>
      </nav>
      <main id="main">${this.page(s.session)}</main>
      <footer class="muted">${t.sessionEnds(beijingTime(s.session.expires_at))}</footer>`;
  }

  private page(session: DashboardSession): TemplateResult {
    const r = this.route;
    const l = this.lang;
    switch (r.page) {
      case 'home':
        return html`<sy-home .route=${r} .session=${session} .lang=${l}></sy-home>`;
      case 'payments':
        return html`<sy-payments .route=${r} .session=${session} .lang=${l}></sy-payments>`;
      case 'payment':
        return html`<sy-payment .route=${r} .session=${session} .lang=${l}></sy-payment>`;
      case 'anomalies':
        return html`<sy-anomalies .route=${r} .session=${session} .lang=${l}></sy-anomalies>`;
      case 'reconciliation':
        return html`<sy-reconciliation .route=${r} .session=${session} .lang=${l}></sy-reconciliation>`;
      case 'webhooks':
        return html`<sy-webhooks .route=${r} .session=${session} .lang=${l}></sy-webhooks>`;
      case 'settings':
        return html`<sy-settings .route=${r} .session=${session} .lang=${l}></sy-settings>`;
      default:
        return html`<h1 tabindex="-1">${this.t.notFound}</h1>`;
    }
  }
}

customElements.define('sy-dashboard', Dashboard);
