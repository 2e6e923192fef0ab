// `GET /v1/admin/credentials[?expiring_within_days=N]` (admin API, docs/deploy.md#credential-health):
// every certificate in every merchant's configuration with its expiry date (registry/health.ts), or
// only those that expire within N days (already expired ones included), soonest first. Public
// certificate data only: subjects, serials and dates, never a key. Thin: validate → authenticate →
// read the configuration.

import { Hono } from 'hono';
import { ErrorType, ShouyinError } from '../lib/errors';
import { allMerchants } from '../merchants';
import { expiringWithin, merchantCredentials, withDaysLeft, type CredentialStatus } from '../registry/health';
import { authenticateAdmin } from './admin-auth';
import type { Env } from '../env';

/** A hundred years: room for any certificate's lifetime. */
export const MAX_EXPIRING_WITHIN_DAYS = 36_500;

export type CredentialRow = { merchant: string } & CredentialStatus;

export const adminCredentialsApi = new Hono<{ Bindings: Env }>();

adminCredentialsApi.get('/', async (c) => {
  authenticateAdmin(c);
  const raw = c.req.query('expiring_within_days');
  let days: number | undefined;
  if (raw !== undefined) {
    if (!/^[0-9]{1,5}$/.test(raw) || Number(raw) > MAX_EXPIRING_WITHIN_DAYS) {
      throw new ShouyinError(
        ErrorType.invalid_request,
        'parameter_invalid',
        `expiring_within_days must be a whole number of days from 0 to ${MAX_EXPIRING_WITHIN_DAYS} (got ${JSON.stringify(raw.slice(0, 20))}).`,
        'expiring_within_days',
      );
    }
    days = Number(raw);
  }
  for (const k of Object.keys(c.req.queries())) {
    if (k !== 'expiring_within_days') throw new ShouyinError(ErrorType.invalid_request, 'parameter_unknown', `Received unknown parameter: ${k}.`, k);
  }
  const now = Date.now();
  const data: CredentialRow[] = [];
  for (const m of await allMerchants(c.env)) {
    const all = merchantCredentials(m);
    const rows = days === undefined ? all.map((x) => withDaysLeft(x, now)) : expiringWithin(all, now, days);
    for (const r of rows) data.push({ merchant: m.id, ...r });
  }
  if (days !== undefined) data.sort((a, b) => Date.parse(a.not_after!) - Date.parse(b.not_after!));
  return c.json({ object: 'list', data, has_more: false, next_cursor: null });
});
