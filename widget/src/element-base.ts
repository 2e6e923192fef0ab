/**
 * The element's base: a shadow root rendered with the widget's template renderer (template.ts),
 * reactive properties, attributes mapped to properties, and Lit's `ReactiveController` protocol
 * (`hostConnected` / `hostDisconnected`).
 *
 * Why not `LitElement`: its ReactiveElement layer (converters, reflection, decorators' metadata,
 * update lifecycle hooks) is 2.8 KB and lit-html another 2.7 KB of the 12 KB gzip budget, and this
 * element uses a handful of string attributes, one hook and four kinds of binding. What it needs is
 * here and in template.ts; the controller interfaces are Lit's own (types only).
 *
 * - Properties named by `reactive()` re-render on change (`!==`), batched to one render per microtask,
 *   and only while connected (changes made while disconnected render on connect).
 * - `willUpdate(changed)` runs before each render; properties set in it render in the same pass.
 * - Styles go to a constructable stylesheet where supported (not subject to a page's CSP
 *   `style-src`), else to a `<style>` in the shadow root.
 * - A property set on the element before it was upgraded (a framework that sets properties first)
 *   is picked up, not shadowed.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { render } from './template';

/** `css` template tag: plain text, so the build's template minifier strips its whitespace. */
export const css = (s: TemplateStringsArray): string => s[0]!;

type Ctor = typeof ElementBase;
type Values = { values: Record<string, unknown> };

export abstract class ElementBase extends HTMLElement implements ReactiveControllerHost {
  /** Attribute name → property name; set by `reactive()`. */
  static attrs: Record<string, string> = {};
  /** All reactive property names; set by `reactive()`. */
  static props: string[] = [];
  static styles = '';
  static get observedAttributes(): string[] {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being defined, whose attrs these are
    return Object.keys(this.attrs);
  }

  readonly renderRoot: ShadowRoot;
  private readonly ctls = new Set<ReactiveController>();
  private changed = new Set<PropertyKey>();
  private pending: Promise<boolean> | undefined;
  /** Reactive property values, read and written by the accessors `reactive()` defines. */
  protected values: Record<PropertyKey, unknown> = {};

  constructor() {
    super();
    const ctor = this.constructor as Ctor;
    const root = (this.renderRoot = this.attachShadow({ mode: 'open' }));
    if ('adoptedStyleSheets' in root && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(ctor.styles);
      root.adoptedStyleSheets = [sheet];
    } else root.appendChild(document.createElement('style')).textContent = ctor.styles;
    for (const p of ctor.props) {
      if (Object.hasOwn(this, p)) {
        const v = (this as Record<string, unknown>)[p];
        delete (this as Record<string, unknown>)[p];
        (this as Record<string, unknown>)[p] = v;
      }
    }
  }

  addController(c: ReactiveController): void {
    this.ctls.add(c);
    if (this.isConnected) c.hostConnected?.();
  }

  removeController(c: ReactiveController): void {
    this.ctls.delete(c);
  }

  connectedCallback(): void {
    for (const c of this.ctls) c.hostConnected?.();
    this.requestUpdate();
  }

  disconnectedCallback(): void {
    for (const c of this.ctls) c.hostDisconnected?.();
  }

  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    (this as Record<string, unknown>)[(this.constructor as Ctor).attrs[name]!] = value;
  }

  /** Schedules a render (once per microtask); `name` is reported to `willUpdate`. */
  requestUpdate(name?: PropertyKey): void {
    if (name !== undefined) this.changed.add(name);
    if (this.pending || !this.isConnected) return;
    this.pending = Promise.resolve().then(() => {
      const changed = this.changed;
      this.changed = new Set();
      this.willUpdate(changed);
      render(this.render(), this.renderRoot);
      this.pending = undefined;
      // Set during willUpdate: already rendered.
      this.changed.clear();
      return true;
    });
  }

  /** Resolves after the pending render, if any. */
  get updateComplete(): Promise<boolean> {
    return this.pending ?? Promise.resolve(true);
  }

  protected willUpdate(_changed: ReadonlySet<PropertyKey>): void {}

  protected abstract render(): unknown;
}

/**
 * Makes `props` reactive on `cls`: an accessor that re-renders on change. `attrs` maps attribute
 * names to some of them (string values, null when removed).
 */
export function reactive(cls: Ctor, props: string[], attrs: Record<string, string> = {}): void {
  Object.assign(cls, { props, attrs });
  for (const p of props) {
    Object.defineProperty(cls.prototype, p, {
      get(this: ElementBase) {
        return (this as unknown as Values).values[p];
      },
      set(this: ElementBase, v: unknown) {
        const values = (this as unknown as Values).values;
        if (values[p] !== v) {
          values[p] = v;
          this.requestUpdate(p);
        }
      },
    });
  }
}
