import { css } from './element-base';

/**
 * Styling API: only the `--shouyin-*` custom properties used here and the documented parts.
 * Everything else is private to the shadow root. (Whitespace is stripped at build time.)
 *
 * Colours meet WCAG 2.2 AA in both themes: text and links ≥ 4.5:1 on the card, the focus ring
 * and borders of controls ≥ 3:1. The QR code is always black on white: scanners need it.
 */
export const styles = css`
  :host {
    --a: var(--shouyin-accent, #1a66e0);
    --on: var(--shouyin-accent-text, #fff);
    --fg: var(--shouyin-text-color, #1f2328);
    --m: var(--shouyin-muted-color, #6b7280);
    --bg: var(--shouyin-background, #fff);
    --bc: var(--shouyin-border-color, #e5e7eb);
    --r: var(--shouyin-radius, 12px);
    --b: 1px solid var(--bc);
    display: block;
    color: var(--fg);
    font: 15px/1.5 var(--shouyin-font, system-ui, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif);
  }
  :host([theme='dark']) {
    --a: var(--shouyin-accent, #6ea8fe);
    --on: var(--shouyin-accent-text, #0d1117);
    --fg: var(--shouyin-text-color, #e6edf3);
    --m: var(--shouyin-muted-color, #9ca3af);
    --bg: var(--shouyin-background, #161b22);
    --bc: var(--shouyin-border-color, #30363d);
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --a: var(--shouyin-accent, #6ea8fe);
      --on: var(--shouyin-accent-text, #0d1117);
      --fg: var(--shouyin-text-color, #e6edf3);
      --m: var(--shouyin-muted-color, #9ca3af);
      --bg: var(--shouyin-background, #161b22);
      --bc: var(--shouyin-border-color, #30363d);
    }
  }
  * { box-sizing: border-box; margin: 0; }
  :focus-visible { outline: 2px solid var(--a); outline-offset: 2px; }
  .card {
    display: flex;
    flex-direction: column;
    gap: 16px;
    max-width: var(--shouyin-max-width, 380px);
    margin: auto;
    padding: 24px;
    background: var(--bg);
    border: var(--b);
    border-radius: var(--r);
    box-shadow: 0 8px 24px #0000000f;
  }
  .top, .method, .channel { display: flex; align-items: center; gap: 10px; }
  .top { justify-content: space-between; font-weight: 600; }
  .badge { flex: none; white-space: nowrap; padding: 0 8px; border-radius: 99px; background: #fff1bf; color: #7a5200; font-size: 11px; font-weight: 700; }
  .desc, .muted, .status, .label, small { color: var(--m); font-size: 13px; }
  .label { margin-top: 14px; }
  .amount { font-size: 32px; font-weight: 700; line-height: 1.3; }
  header ~ .body, .done > header ~ .status, .error > header ~ .status { padding-top: 18px; border-top: var(--b); }
  .body:empty, .status:empty { display: none; }
  h2 { font-size: 14px; }
  button { font: inherit; color: inherit; cursor: pointer; }
  .method { width: 100%; margin-top: 10px; padding: 12px 14px; border: var(--b); border-radius: calc(var(--r) - 4px); background: none; text-align: start; }
  .method:hover { border-color: var(--a); }
  small { display: block; }
  .glyph { display: grid; place-items: center; flex: none; width: 28px; height: 28px; border-radius: 7px; color: #fff; font-weight: 700; }
  .wechat_pay { background: #07c160; }
  .alipay { background: #1677ff; }
  .unionpay { background: #d7000f; }
  .chev { margin-left: auto; color: var(--m); }
  .center, .status { text-align: center; }
  .center > * + * { margin-top: 10px; }
  .channel { justify-content: center; font-weight: 600; }
  .code { position: relative; width: var(--shouyin-qr-size, 216px); max-width: 100%; margin: 12px auto; }
  svg { display: block; width: 100%; border: var(--b); border-radius: 8px; }
  .dead svg { opacity: 0.1; }
  .over { position: absolute; inset: 0; display: grid; place-content: center; gap: 10px; font-weight: 600; }
  .primary {
    display: inline-block;
    padding: 9px 18px;
    border: 0;
    border-radius: calc(var(--r) - 4px);
    background: var(--a);
    color: var(--on);
    font-weight: 600;
    text-decoration: none;
  }
  .link { display: block; margin: 10px auto 0; border: 0; background: none; color: var(--a); font-size: 13px; }
  .status { overflow-wrap: anywhere; }
  .sandbox {
    display: block;
    margin-top: 12px;
    padding: 8px;
    border: 1px dashed #d4a72c;
    border-radius: 8px;
    background: #fffbea;
    color: #7a5200;
    font-weight: 600;
    text-decoration: none;
  }
  .status { order: 3; }
  .error .status, .done .status { order: 2; color: inherit; font-size: 15px; }
  .body, .card { outline: 0; }
  .error .body { order: 3; padding: 0; border: 0; }
  .icon { display: grid; place-items: center; width: 56px; height: 56px; margin: 8px auto 12px; border-radius: 50%; background: #6b7280; color: #fff; font-size: 28px; }
  .paid .icon { background: #16a34a; }
  .error .icon { background: #d1242f; }
  .title { display: block; font-size: 18px; }
  .spin {
    display: inline-block;
    width: 14px;
    height: 14px;
    margin-right: 6px;
    border: 2px solid var(--bc);
    border-top-color: var(--a);
    border-radius: 50%;
    animation: s 0.8s linear infinite;
  }
  @keyframes s { to { transform: rotate(1turn); } }
  @media (prefers-reduced-motion: reduce) {
    .spin { animation-duration: 3s; }
  }
`;
