// The demo till's page: an amount in yuan, a box the USB scanner types into (focused; Enter submits),
// a live status line, and sandbox payment codes for a till without a scanner. The page never sees the
// secret key: it talks to the shop's own server (demo/pos.ts), which talks to Shouyin.

import { html, raw } from 'hono/html';
import { layout } from './pages';

const POS_STYLE = raw(`<style>
  .pos { max-width: 560px; margin: 0 auto; }
  .pos form { background: #fff; border: 1px solid var(--line); border-radius: 14px; padding: 20px; display: grid; gap: 14px; }
  .pos label { display: grid; gap: 6px; font-weight: 600; }
  .pos label small { font-weight: 400; color: var(--muted); }
  .pos input {
    font: inherit; font-size: 22px; padding: 10px 12px; border: 1px solid #c9d3cf; border-radius: 10px;
    font-variant-numeric: tabular-nums; letter-spacing: 0.02em;
  }
  .pos input:focus-visible { outline: 3px solid #99d5cc; outline-offset: 1px; border-color: var(--jade); }
  .pos .row { display: flex; gap: 10px; flex-wrap: wrap; }
  .pos button { padding: 10px 16px; border: 0; border-radius: 10px; background: var(--jade); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
  .pos button.secondary { background: #eef2f0; color: var(--ink); }
  .pos button:disabled { opacity: 0.55; cursor: progress; }
  .pos button:focus-visible { outline: 3px solid #99d5cc; outline-offset: 2px; }
  .till-status { margin-top: 16px; padding: 14px 16px; border-radius: 12px; background: #fff; border: 1px solid var(--line); min-height: 56px; }
  .till-status[data-state="succeeded"] { background: #e7f6ef; border-color: #a6dcc3; color: #0b4d3a; }
  .till-status[data-state="failed"], .till-status[data-state="reversed"], .till-status[data-state="error"] { background: #fdf0ef; border-color: #f2c4bf; color: #7a1d14; }
  .till-status[data-state="charging"], .till-status[data-state="processing"], .till-status[data-state="reversing"] { background: #fff8db; border-color: #e3b341; color: #5c3d00; }
  .till-status strong { display: block; font-size: 17px; }
  .till-status .detail { display: block; margin-top: 4px; font-size: 14px; overflow-wrap: anywhere; }
  .codes { margin-top: 18px; font-size: 14px; color: var(--muted); }
  .codes .row { margin-top: 8px; }
  .codes button { background: #eef2f0; color: var(--ink); font-weight: 500; padding: 6px 10px; font-size: 13px; }
</style>`);

// Plain browser JS (no build step): the status line is role=status, so each change is announced.
const SCRIPT = raw(`<script type="module">
  const $ = (id) => document.getElementById(id);
  const form = $('till'), amount = $('amount'), code = $('auth-code'), status = $('till-status'), submit = $('charge');
  const nonce = () => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => (b % 36).toString(36)).join('');
  let sale = nonce();
  let polling = null;

  const TEXT = {
    charging: ['正在收款…', 'Charging…'],
    processing: ['等待顾客确认…', 'Waiting for the shopper (password) or the wallet’s answer…'],
    succeeded: ['收款成功', 'Paid'],
    failed: ['支付失败', 'Declined: nothing was charged'],
    reversing: ['正在撤销…', 'Reversing: the till gave up, the shopper will not be charged'],
    reversed: ['已撤销', 'Reversed: the shopper was not charged'],
    error: ['出错了', 'Error'],
  };
  function show(state, detail) {
    const [zh, en] = TEXT[state];
    status.dataset.state = state;
    status.innerHTML = '';
    const strong = document.createElement('strong');
    strong.textContent = zh + ' · ' + en;
    const more = document.createElement('span');
    more.className = 'detail';
    more.textContent = detail || '';
    status.append(strong, more);
  }
  const yuan = (fen) => '¥' + Math.floor(fen / 100) + '.' + String(fen % 100).padStart(2, '0');
  function describe(p) {
    const parts = [];
    if (p.amount) parts.push(yuan(p.amount));
    if (p.channel) parts.push(p.channel === 'alipay' ? '支付宝 Alipay' : '微信支付 WeChat Pay');
    if (p.failure) parts.push(p.failure.code + ': ' + p.failure.message);
    if (p.session) parts.push(p.session);
    return parts.join(' · ');
  }
  function settle(p) {
    show(p.status, describe(p));
    const done = p.status === 'succeeded' || p.status === 'failed' || p.status === 'reversed';
    if (done) {
      submit.disabled = false;
      code.value = '';
      if (p.status === 'succeeded') { sale = nonce(); amount.value = ''; amount.focus(); } else { code.focus(); }
    } else if (!polling) {
      polling = setInterval(async () => {
        try {
          const res = await fetch('/demo/pos/sessions/' + p.session + '/status', { headers: { accept: 'application/json' } });
          if (!res.ok) return;
          const next = await res.json();
          next.session = p.session;
          if (next.status !== status.dataset.state || next.status !== 'processing') {
            if (next.status === 'succeeded' || next.status === 'failed' || next.status === 'reversed') { clearInterval(polling); polling = null; }
            settle(next);
          }
        } catch {}
      }, 1000);
    }
  }

  amount.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); code.focus(); } });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    if (!amount.value.trim()) { show('error', '请先输入金额 · Enter the amount first.'); amount.focus(); return; }
    if (!code.value.trim()) { show('error', '请扫描顾客的付款码 · Scan the shopper’s payment code.'); code.focus(); return; }
    submit.disabled = true;
    show('charging', amount.value.trim());
    try {
      const res = await fetch('/demo/pos/charge', {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ amount: amount.value, auth_code: code.value, sale, scan: nonce() }),
      });
      const p = await res.json();
      if (p.error) {
        submit.disabled = false;
        show('error', p.error.message + (p.error.param ? ' (' + p.error.param + ')' : ''));
        (p.error.param === 'amount' ? amount : code).select();
        return;
      }
      settle(p);
    } catch (err) {
      submit.disabled = false;
      show('error', '网络错误，请重试 · Network error, try again.');
    }
  });
  $('new-sale').addEventListener('click', () => {
    if (polling) { clearInterval(polling); polling = null; }
    sale = nonce(); amount.value = ''; code.value = ''; submit.disabled = false;
    status.dataset.state = ''; status.textContent = '';
    amount.focus();
  });
  // Sandbox payment codes: the third digit is what the simulated shopper does (sandbox/src/payment-codes.ts).
  for (const b of document.querySelectorAll('[data-code]')) {
    b.addEventListener('click', () => {
      const digits = Array.from(crypto.getRandomValues(new Uint8Array(15)), (x) => String(x % 10)).join('');
      code.value = b.dataset.code + digits;
      code.focus();
    });
  }
  (amount.value ? code : amount).focus();
</script>`);

const SANDBOX_CODES: { prefix: string; zh: string; en: string }[] = [
  { prefix: '131', zh: '微信 · 直接成功', en: 'WeChat: pays' },
  { prefix: '132', zh: '微信 · 输入密码', en: 'WeChat: password, then pays' },
  { prefix: '134', zh: '微信 · 余额不足', en: 'WeChat: declined' },
  { prefix: '133', zh: '微信 · 不输密码', en: 'WeChat: never confirms (reversed at 30 s)' },
  { prefix: '281', zh: '支付宝 · 直接成功', en: 'Alipay: pays' },
  { prefix: '282', zh: '支付宝 · 输入密码', en: 'Alipay: password, then pays' },
  { prefix: '284', zh: '支付宝 · 余额不足', en: 'Alipay: declined' },
  { prefix: '285', zh: '支付宝 · 无应答', en: 'Alipay: no answer (reversed at 30 s)' },
];

export function posPage() {
  return layout(
    '门店收银台 · In-store cashier',
    html`<main class="pos">
      <h1>门店收银台 · In-store cashier</h1>
      <p class="lead">输入金额，扫描顾客出示的付款码（微信或支付宝），回车收款。<br />Type the amount, scan the shopper's payment code (WeChat Pay or Alipay) and press Enter.</p>
      <form id="till" autocomplete="off">
        <label for="amount">金额（元）· Amount (¥)<small>例如 12.80 · e.g. 12.80</small></label>
        <input id="amount" name="amount" inputmode="decimal" placeholder="0.00" required />
        <label for="auth-code">付款码 · Payment code<small>扫码枪输入后自动回车 · The scanner types the digits and Enter</small></label>
        <input id="auth-code" name="auth_code" inputmode="numeric" placeholder="扫描付款码 · Scan" required />
        <div class="row">
          <button id="charge" type="submit">收款 · Charge</button>
          <button id="new-sale" class="secondary" type="button">新交易 · New sale</button>
        </div>
      </form>
      <div id="till-status" class="till-status" role="status" aria-live="polite"></div>
      <section class="codes" aria-labelledby="codes-title">
        <strong id="codes-title">沙箱付款码 · Sandbox payment codes</strong>
        <div>No scanner? Each button puts a fresh sandbox code in the box; press Enter.</div>
        <div class="row">
          ${SANDBOX_CODES.map((c) => html`<button type="button" data-code="${c.prefix}" aria-label="${c.zh} — ${c.en}">${c.zh}</button>`)}
        </div>
      </section>
      <p class="note">The page talks only to this shop's server (<code>/demo/pos/charge</code>), which holds the secret key and calls
        <code>POST /v1/checkout/sessions/:id/barcode</code>. <a href="/demo/webhooks">Webhook 日志 · Webhook log</a></p>
    </main>`,
    'zh-CN',
    html`${POS_STYLE}${SCRIPT}`,
  );
}
