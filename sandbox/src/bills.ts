// What the three simulators share to serve statements (对账单): the day's movements as items, the
// discrepancy switch tests flip through `/_control/bills`, and the control route itself. Each
// simulator turns its ledger into items (<provider>/bill-ledger.ts), applies the switch and writes
// them in its provider's own file format (worker/src/providers/<p>/bill-format.ts).
//
// The switch: `POST /sandbox/<provider>/_control/bills {"mutations":[…]}` (Bearer sk_test_…) sets
// the merchant's list, `{"mutations":[]}` clears it, `GET` shows it. Each mutation names its row:
//   {"kind":"drop_payment","out_trade_no"}                     a payment the statement leaves out (短款)
//   {"kind":"foreign_payment","out_trade_no","amount"}         a payment Shouyin never made (长款)
//   {"kind":"change_amount","out_trade_no","amount"}           a payment with another amount
//   {"kind":"drop_refund","out_refund_no"}                     a refund left out
//   {"kind":"duplicate_refund","out_refund_no"}                a refund listed twice
//   {"kind":"foreign_refund","out_refund_no","out_trade_no","amount"}  a refund Shouyin never made
// and a few change how the statements come, as the real ones can:
//   {"kind":"not_ready","date","until"?}     the statement of `date` is "not generated yet" (WeChat
//                                            STATEMENT_CREATING / "Bill Creating", Alipay
//                                            isv.invalid_arguments, UnionPay respCode 98) until the
//                                            simulator's clock reaches `until` (unix seconds), or until cleared
//   {"kind":"clearing_cutoff","time":"HH:mm"} UnionPay: a movement after `time` clears on the next day's file
//   {"kind":"split_detail","rows"}           Alipay: the detail comes as `…_业务明细_1.csv`, `_2.csv`, … of `rows` rows each

import { Hono, type Context } from 'hono';
import type { MerchantConfig } from '../../worker/src/config';
import { loadConfig, merchantByKey } from './config';
import { dayStart, DAY_MS, parseClock, parseDate } from '../../worker/src/bills/time';
import type { SandboxEnv } from './types';

export interface BillItem {
  kind: 'payment' | 'refund';
  outTradeNo: string;
  outRefundNo?: string;
  /** fen */
  amount: number;
  time: number;
  transactionId: string;
  refundId?: string;
  /** Provider-specific columns (subject, buyer, appid …). */
  extra: Record<string, string>;
  /** A refund the provider had not finished when the statement was made (WeChat lists it PROCESSING). */
  inFlight?: boolean;
}

export type BillMutation =
  | { kind: 'drop_payment'; out_trade_no: string }
  | { kind: 'foreign_payment'; out_trade_no: string; amount: number }
  | { kind: 'change_amount'; out_trade_no: string; amount: number }
  | { kind: 'drop_refund'; out_refund_no: string }
  | { kind: 'duplicate_refund'; out_refund_no: string }
  | { kind: 'foreign_refund'; out_refund_no: string; out_trade_no: string; amount: number }
  | { kind: 'not_ready'; date: string; until?: number }
  | { kind: 'clearing_cutoff'; time: string }
  | { kind: 'split_detail'; rows: number };

const ID = /^[0-9A-Za-z_-]{1,64}$/;
const fen = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** The mutations in a control body, or an error message naming the bad one. */
export function parseMutations(v: unknown): BillMutation[] | string {
  if (!Array.isArray(v)) return 'mutations must be an array';
  const out: BillMutation[] = [];
  for (const [i, m] of v.entries()) {
    const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    const id = (k: string) => typeof o[k] === 'string' && ID.test(o[k] as string);
    const bad = `mutations[${i}] is not a known mutation with valid fields`;
    switch (o.kind) {
      case 'drop_payment':
        if (!id('out_trade_no')) return bad;
        break;
      case 'foreign_payment':
      case 'change_amount':
        if (!id('out_trade_no') || !fen(o.amount)) return bad;
        break;
      case 'drop_refund':
      case 'duplicate_refund':
        if (!id('out_refund_no')) return bad;
        break;
      case 'foreign_refund':
        if (!id('out_refund_no') || !id('out_trade_no') || !fen(o.amount)) return bad;
        break;
      case 'not_ready':
        if (typeof o.date !== 'string' || !parseDate(o.date) || (o.until !== undefined && !fen(o.until))) return bad;
        break;
      case 'clearing_cutoff':
        if (typeof o.time !== 'string' || parseClock(o.time) === null) return bad;
        break;
      case 'split_detail':
        if (!fen(o.rows)) return bad;
        break;
      default:
        return bad;
    }
    out.push(o as unknown as BillMutation);
  }
  return out;
}

/** Whether the switch holds the statement of `date` back as "not generated yet" at `now` (ms, the simulator's clock). */
export function notReady(mutations: readonly BillMutation[], date: string, now: number): boolean {
  return mutations.some((m) => m.kind === 'not_ready' && m.date === date && (m.until === undefined || now < m.until * 1000));
}

/** The clearing cut-off the switch sets (`HH:mm`), or null: the calendar day. */
export const clearingCutoff = (mutations: readonly BillMutation[]): string | null =>
  mutations.find((m): m is Extract<BillMutation, { kind: 'clearing_cutoff' }> => m.kind === 'clearing_cutoff')?.time ?? null;

/** Rows per detail file when the switch splits Alipay's detail, or null. */
export const splitRows = (mutations: readonly BillMutation[]): number | null =>
  mutations.find((m): m is Extract<BillMutation, { kind: 'split_detail' }> => m.kind === 'split_detail')?.rows ?? null;

/** The simulators' fee: `permille` ‰ of `amount`, rounded half up to the fen. */
export const feeOf = (amount: number, permille: number): number => Math.floor((amount * permille + 500) / 1000);

/** The statement the switch asks for: rows dropped, re-priced, duplicated, or made up (dated noon of `date`). */
export function applyMutations(items: readonly BillItem[], mutations: readonly BillMutation[], date: string): BillItem[] {
  let out = [...items];
  const noon = dayStart(date) + DAY_MS / 2;
  let n = 0;
  // 21 digits: fits every provider's id field (UnionPay's queryId is the narrowest).
  const foreignId = () => `9${date.replaceAll('-', '')}${String(++n).padStart(12, '0')}`;
  for (const m of mutations) {
    switch (m.kind) {
      case 'drop_payment':
        out = out.filter((i) => !(i.kind === 'payment' && i.outTradeNo === m.out_trade_no));
        break;
      case 'change_amount':
        out = out.map((i) => (i.kind === 'payment' && i.outTradeNo === m.out_trade_no ? { ...i, amount: m.amount } : i));
        break;
      case 'foreign_payment':
        out.push({ kind: 'payment', outTradeNo: m.out_trade_no, amount: m.amount, time: noon, transactionId: foreignId(), extra: {} });
        break;
      case 'drop_refund':
        out = out.filter((i) => !(i.kind === 'refund' && i.outRefundNo === m.out_refund_no));
        break;
      case 'duplicate_refund': {
        const r = out.find((i) => i.kind === 'refund' && i.outRefundNo === m.out_refund_no);
        if (r) out.push({ ...r });
        break;
      }
      case 'foreign_refund':
        out.push({
          kind: 'refund',
          outTradeNo: m.out_trade_no,
          outRefundNo: m.out_refund_no,
          amount: m.amount,
          time: noon,
          transactionId: foreignId(),
          refundId: foreignId(),
          extra: {},
        });
        break;
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

const SETTING = (merchantKey: string) => `bill_mutations:${merchantKey}`;

/** The switch lives in the simulator ledger's own settings table (called from its Durable Object). */
export function readMutations(sql: SqlStorage, merchantKey: string): BillMutation[] {
  const row = sql.exec<{ v: string }>('SELECT v FROM settings WHERE k = ?', SETTING(merchantKey)).toArray()[0];
  return row ? (JSON.parse(row.v) as BillMutation[]) : [];
}

export function writeMutations(sql: SqlStorage, merchantKey: string, mutations: BillMutation[]): void {
  if (mutations.length === 0) sql.exec('DELETE FROM settings WHERE k = ?', SETTING(merchantKey));
  else sql.exec('INSERT OR REPLACE INTO settings (k, v) VALUES (?, ?)', SETTING(merchantKey), JSON.stringify(mutations));
}

export interface MutationStore {
  billMutations(merchantKey: string): BillMutation[] | Promise<BillMutation[]>;
  setBillMutations(merchantKey: string, mutations: BillMutation[]): void | Promise<void>;
}

/**
 * `/_control/bills` for one simulator: the Bearer key names a test merchant; `keyOf` gives its id at
 * this provider (mchid, app_id, merId) or null when it has none here, and `store` that merchant's ledger.
 */
export function billControl(keyOf: (m: MerchantConfig) => string | null, store: (env: SandboxEnv['Bindings'], merchantKey: string) => MutationStore) {
  const app = new Hono<SandboxEnv>();
  const merchantKey = async (c: Context<SandboxEnv>): Promise<string | Response> => {
    const key = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
    const m = key ? await merchantByKey(loadConfig(c.env), key) : undefined;
    if (!m)
      return c.json(
        { error: { type: 'authentication_error', code: 'invalid_api_key', message: "Send Authorization: Bearer <a test merchant's sk_test_ key>." } },
        401,
      );
    const id = m.livemode ? null : keyOf(m);
    if (id === null)
      return c.json({ error: { type: 'invalid_request_error', code: 'not_found', message: 'This merchant has no test account at this simulator.' } }, 404);
    return id;
  };
  app.get('/', async (c) => {
    const k = await merchantKey(c);
    return typeof k === 'string' ? c.json({ mutations: await store(c.env, k).billMutations(k) }) : k;
  });
  app.post('/', async (c) => {
    const k = await merchantKey(c);
    if (typeof k !== 'string') return k;
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      body = null;
    }
    const parsed = parseMutations((body as { mutations?: unknown } | null)?.mutations);
    if (typeof parsed === 'string')
      return c.json({ error: { type: 'invalid_request_error', code: 'parameter_invalid', message: parsed, param: 'mutations' } }, 400);
    await store(c.env, k).setBillMutations(k, parsed);
    return c.json({ mutations: parsed });
  });
  return app;
}
