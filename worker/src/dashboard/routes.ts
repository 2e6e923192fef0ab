// The merchant dashboard, served by the Worker (docs/dashboard.md):
//   POST /v1/admin/merchants/:id/dashboard_links   the operator makes a one-time sign-in link (admin key)
//   GET  /dashboard/signin?token=…                 the link: whose dashboard, and a Sign in button
//   POST /dashboard/signin                          uses the link, sets the session cookie
//   GET  /dashboard/api/session                     who is signed in, and the anti-CSRF token
//   POST /dashboard/api/signout
//   *    /dashboard/api/v1/…                        the merchant API itself (routes/merchant.ts,
//                                                   routes/reconciliation.ts) with the cookie instead of
//                                                   a secret key: nothing a merchant's code cannot do
//   GET  /dashboard/…                               the app (Lit, built by Vite into widget/dist/dashboard)
// Every /dashboard/api call needs the session cookie and a same-origin request; every /dashboard/api/v1
// call and the sign-out also need the X-CSRF-Token header, and every state change an Origin header
// naming this origin. No dashboard answer carries CORS headers.

import { Hono, type Context } from 'hono';
import type { MerchantConfig } from '../config';
import type { Env } from '../env';
import { ErrorCode, ErrorType, ShouyinError, invalid, notFound } from '../lib/errors';
import { merchantById, publicBaseUrl } from '../merchants';
import { registeredChannels } from '../providers/registry';
import { merchantCredentials, withDaysLeft, type CredentialStatus } from '../registry/health';
import { authenticateAdmin } from '../routes/admin-auth';
import { parseJsonObject, readBody, type AppEnv } from '../routes/http';
import { merchantRoutes } from '../routes/merchant';
import { dashboardShardFor } from '../shards';
import {
  ABSOLUTE_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  LINK_PREFIX,
  LINK_TTL_DEFAULT_S,
  LINK_TTL_MAX_S,
  LINK_TTL_MIN_S,
  clearedCookie,
  csrfMatches,
  csrfToken,
  isLinkToken,
  newToken,
  sessionCookie,
  sessionTokenFrom,
  tokenHash,
} from './auth';
import { SIGN_IN_PAGE_CSP, linkProblemPage, signInPage, type LinkProblem } from './pages';
import type { DashboardSessionRow } from './store';

type C = Context<AppEnv>;

export const dashboardRoutes = new Hono<AppEnv>();

const isHttps = (c: C): boolean => new URL(c.req.url).protocol === 'https:';
const selfOrigin = (c: C): string => new URL(c.req.url).origin;
const seconds = (ms: number): number => Math.floor(ms / 1000);
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Headers on everything the dashboard answers: never cached, never framed, and no Referer to another
 * site (the sign-in page's URL holds its token). `same-origin`, not `no-referrer`: under no-referrer a
 * browser sends `Origin: null` on the page's own form posts and fetches, and the Origin check needs it.
 */
function hardened(res: Response, csp?: string): Response {
  const out = new Response(res.body, res);
  out.headers.set('cache-control', 'no-store');
  out.headers.set('x-frame-options', 'DENY');
  out.headers.set('x-content-type-options', 'nosniff');
  out.headers.set('referrer-policy', 'same-origin');
  if (csp) out.headers.set('content-security-policy', csp);
  return out;
}

// ── the operator: sign-in links ───────────────────────────────────────────────────────────────────

// The admin API's own context (routes/admin-auth.ts): no merchant is ever set on it.
const admin = new Hono<{ Bindings: Env }>();
admin.post('/v1/admin/merchants/:id/dashboard_links', async (c) => {
  authenticateAdmin(c);
  const id = c.req.param('id');
  const merchant = await merchantById(c.env, id);
  if (!merchant) throw notFound('merchant', id);
  const body = parseJsonObject(await readBody(c.req.raw, 4096));
  for (const k of Object.keys(body)) {
    if (k !== 'ttl_seconds' && k !== 'email')
      throw invalid(k, `Received unknown parameter: ${k}. A sign-in link takes ttl_seconds and email.`, 'parameter_unknown');
  }
  const ttl = body.ttl_seconds ?? LINK_TTL_DEFAULT_S;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < LINK_TTL_MIN_S || ttl > LINK_TTL_MAX_S) {
    throw invalid('ttl_seconds', `ttl_seconds must be an integer from ${LINK_TTL_MIN_S} to ${LINK_TTL_MAX_S}.`);
  }
  const email = body.email ?? null;
  if (email !== null && (typeof email !== 'string' || email.length > 254 || !/^[^\s@<>"]+@[^\s@<>"]+$/.test(email))) {
    throw invalid('email', 'email must be an email address (who the link is for; shown on the sign-in page and in the dashboard).');
  }
  const token = `${LINK_PREFIX}${newToken()}`;
  const hash = await tokenHash('link', token);
  const now = Date.now();
  const expires = now + ttl * 1000;
  await dashboardShardFor(c.env, 'links', hash).createDashboardLink(hash, merchant.id, email, now, expires);
  return c.json(
    { object: 'dashboard_link', merchant: merchant.id, url: `${publicBaseUrl(c.env)}/dashboard/signin?token=${token}`, expires_at: seconds(expires) },
    201,
  );
});
dashboardRoutes.route('/', admin);

// ── sign-in ─────────────────────────────────────────────────────────────────────────────────────

const problem = (c: C, p: LinkProblem, status: 400 | 403 | 410): Response => hardened(c.html(linkProblemPage(p), status), SIGN_IN_PAGE_CSP);

dashboardRoutes.get('/dashboard/signin', async (c) => {
  const token = c.req.query('token') ?? '';
  if (!isLinkToken(token)) return problem(c, 'unknown', 400);
  const hash = await tokenHash('link', token);
  const state = await dashboardShardFor(c.env, 'links', hash).peekDashboardLink(hash, Date.now());
  if (state.kind !== 'valid') return problem(c, state.kind, state.kind === 'unknown' ? 400 : 410);
  const merchant = await merchantById(c.env, state.merchant);
  if (!merchant) return problem(c, 'unknown', 400);
  return hardened(c.html(signInPage(token, merchant.name, merchant.livemode, state.email)), SIGN_IN_PAGE_CSP);
});

dashboardRoutes.post('/dashboard/signin', async (c) => {
  // A form on another site must not sign this browser into someone else's dashboard (login CSRF).
  if (c.req.header('origin') !== selfOrigin(c) || !sameSiteFetch(c)) return problem(c, 'cross_site', 403);
  const form = new URLSearchParams(await readBody(c.req.raw, 4096));
  const token = form.get('token') ?? '';
  if (!isLinkToken(token)) return problem(c, 'unknown', 400);
  const hash = await tokenHash('link', token);
  const now = Date.now();
  const state = await dashboardShardFor(c.env, 'links', hash).consumeDashboardLink(hash, now);
  if (state.kind !== 'valid') return problem(c, state.kind, state.kind === 'unknown' ? 400 : 410);
  const merchant = await merchantById(c.env, state.merchant);
  if (!merchant) return problem(c, 'unknown', 400);
  // A fresh token for every sign-in; a session cookie this browser had before is ended.
  const old = sessionTokenFrom(c.req.header('cookie'), isHttps(c));
  if (old) {
    const oldHash = await tokenHash('session', old);
    await dashboardShardFor(c.env, 'sessions', oldHash).endDashboardSession(oldHash);
  }
  const sessionToken = newToken();
  const sessionHash = await tokenHash('session', sessionToken);
  await dashboardShardFor(c.env, 'sessions', sessionHash).createDashboardSession(sessionHash, merchant.id, state.email, now, now + ABSOLUTE_TIMEOUT_MS);
  const res = new Response(null, { status: 303, headers: { location: '/dashboard/' } });
  res.headers.append('set-cookie', sessionCookie(sessionToken, isHttps(c), seconds(ABSOLUTE_TIMEOUT_MS)));
  return hardened(res);
});

// ── the session: cookie, same origin, CSRF ─────────────────────────────────────────────────────────

/** A fetch the browser marks as coming from another site (or a nested navigation) is refused. */
function sameSiteFetch(c: C): boolean {
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin';
}

const authError = (code: 'dashboard_session_missing' | 'dashboard_session_expired', message: string): ShouyinError =>
  new ShouyinError(ErrorType.authentication, ErrorCode.auth[code], message);

interface Signed {
  token: string;
  session: DashboardSessionRow;
  merchant: MerchantConfig;
}

/**
 * Who is signed in. Cheap checks first (same origin, a cookie, the CSRF token derived from it), so a
 * refused request neither reaches storage nor restarts the idle clock.
 */
async function signedIn(c: C, needCsrf: boolean): Promise<Signed> {
  const origin = c.req.header('origin');
  if (!sameSiteFetch(c) || (origin !== undefined && origin !== selfOrigin(c))) {
    throw new ShouyinError(ErrorType.authentication, ErrorCode.auth.cross_site_refused, 'The dashboard answers only its own pages.');
  }
  if (UNSAFE.has(c.req.method) && origin === undefined) {
    throw new ShouyinError(
      ErrorType.authentication,
      ErrorCode.auth.cross_site_refused,
      'A change through the dashboard needs an Origin header naming the dashboard.',
    );
  }
  const token = sessionTokenFrom(c.req.header('cookie'), isHttps(c));
  if (!token) throw authError('dashboard_session_missing', 'Not signed in to the dashboard. Ask your Shouyin operator for a sign-in link.');
  if (needCsrf && !(await csrfMatches(token, c.req.header('x-csrf-token')))) {
    throw new ShouyinError(
      ErrorType.authentication,
      ErrorCode.auth.csrf_token_invalid,
      'Missing or wrong X-CSRF-Token for this dashboard session.',
      'X-CSRF-Token',
    );
  }
  const hash = await tokenHash('session', token);
  const touched = await dashboardShardFor(c.env, 'sessions', hash).touchDashboardSession(hash, Date.now(), IDLE_TIMEOUT_MS);
  if (touched.kind === 'expired')
    throw authError('dashboard_session_expired', 'The dashboard session ended. Ask your Shouyin operator for a new sign-in link.');
  if (touched.kind === 'missing') throw authError('dashboard_session_missing', 'Not signed in to the dashboard. Ask your Shouyin operator for a sign-in link.');
  const merchant = await merchantById(c.env, touched.session.merchant);
  if (!merchant) throw authError('dashboard_session_missing', 'This merchant is no longer configured.');
  return { token, session: touched.session, merchant };
}

dashboardRoutes.use('/dashboard/api/*', async (c, next) => {
  await next();
  c.res = hardened(c.res);
});

dashboardRoutes.get('/dashboard/api/session', async (c) => {
  const { token, session, merchant } = await signedIn(c, false);
  return c.json({
    object: 'dashboard_session',
    email: session.email,
    csrf_token: await csrfToken(token),
    idle_timeout_seconds: seconds(IDLE_TIMEOUT_MS),
    expires_at: seconds(session.expires),
    merchant: merchantSummary(merchant),
  });
});

/** What the dashboard shows of the merchant's configuration: never a key or a secret. */
function merchantSummary(m: MerchantConfig) {
  return {
    id: m.id,
    name: m.name,
    livemode: m.livemode,
    allowed_origins: m.allowed_origins,
    webhook: m.webhook ? { url: m.webhook.url } : null,
    auto_refund_anomalies: m.auto_refund_anomalies,
    channels: registeredChannels().filter((ch) => ch in m.providers),
    apple: m.apple !== undefined,
    credentials: credentialHealth(m),
  };
}

/**
 * Credential health (registry/health.ts, the same list the operator's GET /v1/admin/credentials gives):
 * each certificate in the merchant's configuration with its expiry, soonest first, dates unknown last.
 * Subjects, serials and dates only — public certificate data, never a key.
 */
function credentialHealth(m: MerchantConfig): CredentialStatus[] {
  const now = Date.now();
  const rows = merchantCredentials(m).map((c) => withDaysLeft(c, now));
  return rows.sort((a, b) => (a.days_left ?? Number.POSITIVE_INFINITY) - (b.days_left ?? Number.POSITIVE_INFINITY));
}

dashboardRoutes.post('/dashboard/api/signout', async (c) => {
  const { token } = await signedIn(c, true);
  const hash = await tokenHash('session', token);
  await dashboardShardFor(c.env, 'sessions', hash).endDashboardSession(hash);
  const res = c.json({ object: 'dashboard_session', signed_out: true });
  res.headers.append('set-cookie', clearedCookie(isHttps(c)));
  return res;
});

const api = new Hono<AppEnv>();
api.use('*', async (c, next) => {
  c.set('merchant', (await signedIn(c, true)).merchant);
  await next();
});
// The merchant API's own route handlers (reconciliation and reports included), validated by the same
// schemas as under the secret key; an error is the same JSON as there.
api.route('/', merchantRoutes);
dashboardRoutes.route('/dashboard/api/v1', api);

// ── the app ─────────────────────────────────────────────────────────────────────────────────────

/** The app's pages: its own script and stylesheet only, talking only to this origin. */
export const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const notBuilt = (): Response =>
  new Response('dashboard not built: run `npm run build:dashboard` (after `npm run build:widget`)', { status: 404, headers: { 'content-type': 'text/plain' } });

dashboardRoutes.get('/dashboard', (c) => c.redirect('/dashboard/', 301));

dashboardRoutes.get('/dashboard/assets/:file{[A-Za-z0-9._-]+}', async (c) => {
  if (!c.env.ASSETS) return notBuilt();
  const res = await c.env.ASSETS.fetch(c.req.raw);
  if (!res.ok) return res.status === 404 ? notBuilt() : res;
  const out = new Response(res.body, res);
  // Vite names every asset by its content hash.
  out.headers.set('cache-control', 'public, max-age=31536000, immutable');
  out.headers.set('x-content-type-options', 'nosniff');
  return out;
});

// Every other /dashboard/… path is a page of the app (it reads the path and the query itself).
dashboardRoutes.get('/dashboard/*', async (c) => {
  const path = new URL(c.req.url).pathname;
  if (path.startsWith('/dashboard/api/')) return c.notFound();
  if (!c.env.ASSETS) return notBuilt();
  // The built index.html; the assets binding answers a directory with its index.html.
  const res = await c.env.ASSETS.fetch(new Request(new URL('/dashboard/', c.req.url)));
  if (!res.ok) return notBuilt();
  return hardened(new Response(res.body, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } }), APP_CSP);
});
