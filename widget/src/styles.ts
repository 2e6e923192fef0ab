import { css } from 'lit';

/**
 * Styling API: only the `--shouyin-*` custom properties used here and the documented parts.
 * Everything else is private to the shadow root. (Whitespace is stripped at build time.)
 */
export const styles = css`
  :host {
    --a: var(--shouyin-accent, #1a66e0);
    --r: var(--shouyin-radius, 12px);
    --m: var(--shouyin-muted-color, #6b7280);
    --b: 1px solid var(--shouyin-border-color, #e5e7eb);
    display: block;
    color: var(--shouyin-text-color, #1f2328);
    font: 15px/1.5 var(--shouyin-font, system-ui, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif);
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
    background: var(--shouyin-background, #fff);
    border: var(--b);
    border-radius: var(--r);
    box-shadow: 0 8px 24px #0000000f;
  }
  .top, .method, .channel { display: flex; align-items: center; gap: 10px; }
  .top { justify-content: space-between; font-weight: 600; }
  .badge { padding: 0 8px; border-radius: 99px; background: #fff1bf; color: #7a5200; font-size: 11px; font-weight: 700; }
  .desc, .muted, .status, .label { color: var(--m); font-size: 13px; }
  .label { margin-top: 14px; }
  .amount { font-size: 32px; font-weight: 700; line-height: 1.3; }
  header ~ .body, .done > header ~ .status, .error > header ~ .status { padding-top: 18px; border-top: var(--b); }
  .body:empty, .status:empty { display: none; }
  h2 { font-size: 14px; }
  button { font: inherit; color: inherit; cursor: pointer; }
  .method { width: 100%; margin-top: 10px; padding: 12px 14px; border: var(--b); border-radius: calc(var(--r) - 4px); background: none; }
  .method:hover { border-color: var(--a); }
  .glyph { display: grid; place-items: center; width: 28px; height: 28px; border-radius: 7px; color: #fff; font-weight: 700; }
  .wechat_pay { background: #07c160; }
  .alipay { background: #1677ff; }
  .unionpay { background: #d7000f; }
  .chev { margin-left: auto; color: var(--m); }
  .center, .status { text-align: center; }
  .channel { justify-content: center; font-weight: 600; }
  .code { position: relative; width: var(--shouyin-qr-size, 216px); margin: 12px auto; }
  svg { display: block; width: 100%; border: var(--b); border-radius: 8px; }
  .dead svg { opacity: 0.1; }
  .over { position: absolute; inset: 0; display: grid; place-content: center; gap: 10px; font-weight: 600; }
  .primary { padding: 9px 18px; border: 0; border-radius: calc(var(--r) - 4px); background: var(--a); color: #fff; font-weight: 600; }
  .link { display: block; margin: 10px auto 0; border: 0; background: none; color: var(--a); font-size: 13px; }
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
  .body { outline: 0; }
  .error .body { order: 3; padding: 0; border: 0; }
  .icon { display: grid; place-items: center; width: 56px; height: 56px; margin: 8px auto 12px; border-radius: 50%; background: #9ca3af; color: #fff; font-size: 28px; }
  .paid .icon { background: #16a34a; }
  .error .icon { background: #d1242f; }
  .title { display: block; font-size: 18px; }
  .spin {
    display: inline-block;
    width: 14px;
    height: 14px;
    margin-right: 6px;
    border: 2px solid #ddd;
    border-top-color: var(--a);
    border-radius: 50%;
    animation: s 0.8s linear infinite;
  }
  @keyframes s { to { transform: rotate(1turn); } }
`;
