// A stand-in for the Worker's admin API, for the CLI's tests: the routes and answer shapes of the
// admin API contract (docs/deploy.md#the-shouyin-cli), kept in memory, every request recorded. It
// checks what the real Worker checks at the door — the admin key, no browser — and answers unknown
// routes 404 route_not_found. Merchant summaries never carry a secret, as the contract says.

import { createServer } from 'node:http';

const CHANNELS = ['wechat_pay', 'alipay', 'unionpay'];

/**
 * @typedef {{ method: string, path: string, headers: import('node:http').IncomingHttpHeaders, body: any }} Recorded
 */

/**
 * @param {{ adminKey: string }} options
 * @returns {Promise<{ url: string, requests: Recorded[], merchants: Map<string, any>, close: () => Promise<void> }>}
 */
export async function startAdminStub({ adminKey }) {
  /** @type {Recorded[]} */
  const requests = [];
  /** @type {Map<string, any>} the stored entries, secrets included (never sent back) */
  const merchants = new Map();
  let seq = 0;
  const now = () => 1_765_000_000 + seq;

  const summary = (m) => ({
    id: m.id,
    object: 'merchant',
    name: m.entry.name,
    livemode: m.livemode,
    allowed_origins: m.entry.allowed_origins ?? [],
    webhook: m.entry.webhook ? { url: m.entry.webhook.url } : null,
    channels: CHANNELS.filter((c) => m.entry.providers?.[c] !== undefined),
    apple: m.entry.apple !== undefined,
    api_keys: m.keys.filter((k) => !k.revoked).map((k) => ({ id: k.id, prefix: k.secret.slice(0, 12), created: k.created, expires_at: k.expires_at })),
    version: m.version,
    created: m.created,
    updated: m.updated,
    source: 'registry',
  });
  const newKey = (live) => {
    seq++;
    return {
      id: `key_${String(seq).padStart(8, '0')}`,
      secret: `sk_${live ? 'live' : 'test'}_${'K'.repeat(20)}${String(seq).padStart(8, '0')}`,
      created: now(),
      expires_at: null,
    };
  };
  const error = (status, type, code, message, param) => ({ status, body: { error: { type, code, message, ...(param ? { param } : {}) } } });

  /** @returns {{ status: number, body: unknown }} */
  function route(method, path, body) {
    let m;
    if (method === 'GET' && path === '/v1/admin/merchants') return { status: 200, body: { object: 'list', data: [...merchants.values()].map(summary) } };
    if ((m = /^\/v1\/admin\/merchants\/([^/]+)$/.exec(path))) {
      const id = decodeURIComponent(m[1]);
      const cur = merchants.get(id);
      if (method === 'PUT') {
        if (typeof body?.name !== 'string') return error(500, 'configuration_error', 'config_invalid', 'SHOUYIN_CONFIG name is missing.', 'name');
        if (body.id !== undefined && body.id !== id) return error(400, 'invalid_request_error', 'parameter_invalid', 'id differs from the URL.', 'id');
        const { livemode, secret_keys, ...entry } = body;
        seq++;
        if (cur) {
          Object.assign(cur, { entry, version: cur.version + 1, updated: now() });
          return { status: 200, body: { merchant: summary(cur) } };
        }
        if (secret_keys === undefined && typeof livemode !== 'boolean') {
          return error(400, 'invalid_request_error', 'parameter_missing', 'livemode is required when there are no secret_keys.', 'livemode');
        }
        const live = secret_keys ? String(secret_keys[0]).startsWith('sk_live_') : livemode;
        const key = newKey(live);
        const created = { id, entry, livemode: live, keys: [key], version: 1, created: now(), updated: now() };
        merchants.set(id, created);
        return { status: 201, body: { merchant: summary(created), ...(secret_keys ? {} : { api_key: key.secret }) } };
      }
      if (!cur) return error(404, 'not_found_error', 'resource_missing', `No such merchant: '${id}'.`, 'id');
      if (method === 'GET') return { status: 200, body: summary(cur) };
      if (method === 'DELETE') {
        merchants.delete(id);
        return { status: 200, body: { id, deleted: true } };
      }
    }
    if ((m = /^\/v1\/admin\/merchants\/([^/]+)\/providers\/([^/]+)$/.exec(path))) {
      const cur = merchants.get(decodeURIComponent(m[1]));
      if (!cur) return error(404, 'not_found_error', 'resource_missing', 'No such merchant.', 'id');
      if (!CHANNELS.includes(m[2])) return error(400, 'invalid_request_error', 'parameter_invalid', 'channel is not a channel.', 'channel');
      cur.entry.providers ??= {};
      if (method === 'PUT') cur.entry.providers[m[2]] = body;
      else if (method === 'DELETE') delete cur.entry.providers[m[2]];
      cur.version++;
      return { status: 200, body: summary(cur) };
    }
    if ((m = /^\/v1\/admin\/merchants\/([^/]+)\/api_keys$/.exec(path)) && method === 'POST') {
      const cur = merchants.get(decodeURIComponent(m[1]));
      if (!cur) return error(404, 'not_found_error', 'resource_missing', 'No such merchant.', 'id');
      const overlap = body?.expire_previous_in ?? 86400;
      const at = now() + overlap;
      for (const k of cur.keys) if (!k.revoked && (k.expires_at === null || k.expires_at > at)) k.expires_at = at;
      const key = newKey(cur.livemode);
      cur.keys.push(key);
      return { status: 200, body: { id: key.id, api_key: key.secret, prefix: key.secret.slice(0, 12), previous_expire_at: cur.keys.length > 1 ? at : null } };
    }
    if ((m = /^\/v1\/admin\/merchants\/([^/]+)\/api_keys\/([^/]+)$/.exec(path)) && method === 'DELETE') {
      const key = merchants.get(decodeURIComponent(m[1]))?.keys.find((k) => k.id === m[2] && !k.revoked);
      if (!key) return error(404, 'not_found_error', 'resource_missing', `No such API key: '${m[2]}'.`, 'key_id');
      key.revoked = true;
      return { status: 200, body: { id: key.id, revoked: true } };
    }
    if ((m = /^\/v1\/admin\/merchants\/([^/]+)\/dashboard_links$/.exec(path)) && method === 'POST') {
      if (!merchants.has(decodeURIComponent(m[1]))) return error(404, 'not_found_error', 'resource_missing', 'No such merchant.', 'id');
      return { status: 200, body: { url: `https://pay.example.com/dashboard/signin#t_${seq}`, expires_at: now() + (body?.ttl_seconds ?? 900) } };
    }
    if (method === 'POST' && path === '/v1/admin/master_key/rotate') return { status: 200, body: { key_id: 'k2', re_encrypted: merchants.size * 3 } };
    if (method === 'GET' && path.startsWith('/v1/admin/credentials')) {
      const data = [
        {
          merchant: 'shop',
          channel: 'alipay',
          credential: 'providers.alipay.alipay_cert',
          subject: 'CN=支付宝(中国)网络技术有限公司-2088000000000002, O=Ant Financial',
          serial: '4B1D0A11CE0002',
          not_after: '2027-01-01T00:00:00.000Z',
          days_left: 25,
        },
      ];
      const within = new URL(path, 'http://x').searchParams.get('expiring_within_days');
      return { status: 200, body: { object: 'list', data: within !== null && Number(within) < 25 ? [] : data, has_more: false, next_cursor: null } };
    }
    if (method === 'POST' && path === '/v1/admin/check') {
      const ok = typeof body?.name === 'string' || Array.isArray(body?.merchants);
      return {
        status: 200,
        body: ok
          ? { ok: true, errors: [], flows: { [body.id ?? 'merchant']: { alipay: { qr: 'ready' } } } }
          : { ok: false, errors: [{ param: 'name', message: 'name is missing.' }], flows: {} },
      };
    }
    if (method === 'POST' && path === '/v1/admin/import') return { status: 200, body: { imported: (body?.merchants ?? []).map((x) => x.id) } };
    return error(404, 'not_found_error', 'route_not_found', 'No such route. See the README for the API.');
  }

  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      let body;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      requests.push({ method, path, headers: req.headers, body });
      /** @type {{ status: number, body: unknown }} */
      let answer;
      if (req.headers.origin !== undefined)
        answer = error(403, 'authentication_error', 'admin_browser_refused', 'The admin API is not callable from a browser.');
      else if (req.headers.authorization !== `Bearer ${adminKey}`)
        answer = error(401, 'authentication_error', 'invalid_api_key', 'Invalid admin key provided: sk_admin_…');
      else answer = route(method, path, body);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    merchants,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
