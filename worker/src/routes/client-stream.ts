// The status WebSocket, `GET /v1/client/sessions/:id/stream` (docs/widget.md, "Status").
//
// Browsers cannot set an Authorization header on a WebSocket, and a URL ends up in access logs,
// proxies and request logs, so the client secret rides in the one header a page can set: the
// widget offers two subprotocols, `new WebSocket(url, ['shouyin.v1', 'shouyin.secret.<client_secret>'])`,
// and the upgrade is answered selecting `shouyin.v1` (RFC 6455 §1.9 and §4.1: a browser fails the
// connection unless one of the protocols it offered is selected). A client secret is letters, digits
// and `_` (session/ids.ts), all valid in a protocol token (RFC 7230 §3.2.6).
//
// Deprecated: `?client_secret=…` in the query, as widgets before this change send it (their hashed
// files are immutable, and a merchant may pin one: docs/widget.md). Still accepted; a request carrying
// both must carry the same secret in each.

import type { Context } from 'hono';
import { ErrorType, ShouyinError } from '../lib/errors';
import { STREAM_SECRET_HEADER, isWellFormedClientSecret, issuedSessionStub } from '../session/ids';
import { originCheck, originRefused } from './client';
import { errorResponse, malformedClientSecret, type AppEnv } from './http';

/** The subprotocol the stream speaks: JSON status views from the server, `status` and `ping` from the page. */
export const STREAM_PROTOCOL = 'shouyin.v1';
/** The prefix of the offered subprotocol that carries the client secret; it is never selected. */
export const SECRET_PROTOCOL_PREFIX = 'shouyin.secret.';
const PROTOCOL_PARAM = 'Sec-WebSocket-Protocol';

/**
 * The client secret of a stream request and whether `shouyin.v1` was offered. Refuses (401) a request
 * without a secret, with a malformed one, with two that differ (the subprotocol and the query, or two
 * subprotocols): all before the session is looked up, so alike for every session id.
 */
export function streamCredentials(req: Request): { secret: string; protocol: string | null } {
  const offered = (req.headers.get('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const fromProtocols = [...new Set(offered.filter((p) => p.startsWith(SECRET_PROTOCOL_PREFIX)).map((p) => p.slice(SECRET_PROTOCOL_PREFIX.length)))];
  if (fromProtocols.length > 1) throw disagree(PROTOCOL_PARAM);
  const fromProtocol = fromProtocols[0];
  const fromQuery = new URL(req.url).searchParams.get('client_secret');
  if (fromProtocol !== undefined && !isWellFormedClientSecret(fromProtocol)) throw malformedClientSecret(PROTOCOL_PARAM);
  if (fromQuery !== null && !isWellFormedClientSecret(fromQuery)) throw malformedClientSecret('client_secret');
  if (fromProtocol !== undefined && fromQuery !== null && fromProtocol !== fromQuery) throw disagree('client_secret');
  const secret = fromProtocol ?? fromQuery;
  if (!secret) {
    throw new ShouyinError(
      ErrorType.authentication,
      'missing_client_secret',
      `Offer the session client secret as the WebSocket subprotocol \`${SECRET_PROTOCOL_PREFIX}cs_…_secret_…\`, next to \`${STREAM_PROTOCOL}\`.`,
    );
  }
  return { secret, protocol: offered.includes(STREAM_PROTOCOL) ? STREAM_PROTOCOL : null };
}

const disagree = (param: string) =>
  new ShouyinError(
    ErrorType.authentication,
    'invalid_client_secret',
    'The request carries two different client secrets (in Sec-WebSocket-Protocol and in the query); send one, as a subprotocol.',
    param,
  );

export async function streamRoute(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param('id') ?? '';
  const missing = () => errorResponse(new ShouyinError(ErrorType.not_found, 'session_not_found', `No such checkout session: '${id}'.`));
  let credentials: ReturnType<typeof streamCredentials>;
  try {
    credentials = streamCredentials(c.req.raw);
  } catch (e) {
    return errorResponse(e);
  }
  const stub = await issuedSessionStub(c.env, id);
  if (!stub) return missing();
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    return errorResponse(new ShouyinError(ErrorType.invalid_request, 'websocket_expected', 'This endpoint takes a WebSocket upgrade.'));
  }
  // Browsers send Origin on WebSocket upgrades; a page the merchant did not list gets no socket. A
  // wrong secret is `missing` here, as it is in the Durable Object.
  const check = await originCheck(c, id, credentials.secret);
  if (check === 'refused') return errorResponse(originRefused(c.req.header('origin')!));
  if (check === 'missing') return missing();
  // What the Durable Object reads: the secret in a header this route sets (the browser's own
  // Sec-WebSocket-Protocol, which holds it, is not passed on) and the subprotocol to select, if any.
  const url = new URL(c.req.url);
  url.search = '';
  const headers = new Headers({ upgrade: 'websocket', [STREAM_SECRET_HEADER]: credentials.secret });
  const ip = c.req.header('cf-connecting-ip');
  if (ip) headers.set('cf-connecting-ip', ip);
  if (credentials.protocol) headers.set('sec-websocket-protocol', credentials.protocol);
  const res = await stub.fetch(new Request(url, { headers }));
  // A wrong secret, or a session deleted by retention: the same 404 as for an id that never existed.
  return res.status === 404 ? missing() : res;
}
