// The operator's API (/v1/admin/…): the merchant registry — merchants, their provider credentials and
// API keys, master-key rotation, checking a configuration and importing SHOUYIN_CONFIG. Admin keys
// only, never from a browser (admin-auth.ts). Thin: authenticate → validate → the registry Durable
// Object (registry/durable-object.ts), which validates every write with the SHOUYIN_CONFIG
// parser and answers field-named errors. No answer carries a secret: provider credentials go in and
// never come out; a generated API key is shown once, in the answer that made it.

import { Hono } from 'hono';
import { checkConfig, parseConfig, parseMerchantEntry, type MerchantConfig } from '../config';
import { CHANNELS, type Channel, type Flow } from '../contract';
import { sha256Hex } from '../crypto/digest';
import { ConfigError } from '../lib/config-fields';
import { ErrorCode, ErrorType, ShouyinError, errorDataResponse, invalid } from '../lib/errors';
import { DEFAULT_EXPIRE_PREVIOUS_IN, fieldError, registryStub, type Rpc } from '../registry/durable-object';
import type { MerchantSummary, OpenedEntry } from '../registry/types';
import { allMerchants, configMerchants, invalidate } from '../merchants';
import { webhooksFor } from '../shards';
import { configuredChannels, configuredProviders } from '../providers/registry';
import { authenticateAdmin } from './admin-auth';
import { parseJsonObject, readBody, type AppEnv } from './http';

/** A merchant entry with every provider in certificate mode is about 20 KB; this leaves room. */
export const MAX_ADMIN_BODY = 256 * 1024;
/** A whole SHOUYIN_CONFIG document for `import` and `check`. */
export const MAX_DOCUMENT_BODY = 1024 * 1024;
/** The longest overlap a key roll grants the keys it replaces: 30 days. */
export const MAX_EXPIRE_PREVIOUS_IN = 30 * 86_400;

// Plain Hono, not the zod-openapi app (api/openapi.ts): the bodies here are config entries, checked by
// the config parser, and zod would more than double the Worker's bundle for one small body.
export const adminApi = new Hono<AppEnv>();

adminApi.use('*', async (c, next) => {
  authenticateAdmin(c);
  await next();
});

function registry(c: { env: Parameters<typeof registryStub>[0] }) {
  const stub = registryStub(c.env);
  if (!stub) {
    throw new ShouyinError(
      ErrorType.configuration,
      ErrorCode.config.config_invalid,
      'The MERCHANT_REGISTRY Durable Object binding is missing from this Worker (wrangler.toml).',
    );
  }
  return stub;
}

/** An RPC answer as HTTP; a successful write is seen by this isolate's lookups at once. */
function answer<T>(r: Rpc<T>, status: 200 | 201 = 200): Response {
  if (!r.ok) return errorDataResponse(r.error);
  invalidate();
  return Response.json(r.value, { status });
}

const managedByConfig = (id: string) =>
  new ShouyinError(
    ErrorType.invalid_request,
    ErrorCode.request.merchant_managed_by_config,
    `Merchant ${id} is in SHOUYIN_CONFIG, not in the registry: change it there, or PUT it to the registry (the registry's entry then wins).`,
    'id',
  );
const noSuchMerchant = (id: string) => new ShouyinError(ErrorType.not_found, ErrorCode.request.resource_missing, `No such merchant: '${id}'.`);

/** A SHOUYIN_CONFIG merchant as the admin API lists it: its keys by prefix, never a secret. */
async function configSummary(m: MerchantConfig): Promise<MerchantSummary> {
  return {
    id: m.id,
    object: 'merchant',
    name: m.name,
    livemode: m.livemode,
    allowed_origins: m.allowed_origins,
    webhook: m.webhook ? { url: m.webhook.url } : null,
    channels: configuredChannels(m),
    apple: m.apple !== undefined,
    api_keys: await Promise.all(
      m.secret_keys.map(async (k) => ({ id: `key_cfg_${(await sha256Hex(k)).slice(0, 12)}`, prefix: k.slice(0, 12), created: null, expires_at: null })),
    ),
    version: 0,
    created: null,
    updated: null,
    source: 'config',
  };
}

async function jsonBody(req: Request, limit = MAX_ADMIN_BODY): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(req, limit));
}

const channelParam = (raw: string): Channel => {
  if (!(CHANNELS as readonly string[]).includes(raw)) {
    throw new ShouyinError(ErrorType.invalid_request, ErrorCode.request.parameter_invalid, `channel must be one of ${CHANNELS.join(', ')}.`, 'channel');
  }
  return raw as Channel;
};

// ── merchants ────────────────────────────────────────────────────────────────────────────────────

adminApi.get('/merchants', async (c) => {
  const fromRegistry = await registry(c).summaries();
  const ids = new Set(fromRegistry.map((m) => m.id));
  const fromConfig = await Promise.all(
    configMerchants(c.env)
      .filter((m) => !ids.has(m.id))
      .map(configSummary),
  );
  const data = [...fromRegistry, ...fromConfig].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return c.json({ object: 'list', data });
});

adminApi.get('/merchants/:id', async (c) => {
  const id = c.req.param('id');
  const stub = registry(c);
  const summary = await stub.summary(id);
  if (summary) {
    // A stored entry that no longer opens or validates is not served; say why, by field.
    const [opened] = (await stub.entries([id])) as OpenedEntry[];
    let error: { param: string; message: string } | undefined;
    if (opened && !opened.ok) error = opened.error;
    else if (opened?.ok) {
      try {
        parseMerchantEntry(opened.entry, '', { id, keysOptional: true });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        error = { param: e.path, message: `${e.path} ${e.problem}` };
      }
    }
    return c.json(error ? { ...summary, error } : summary);
  }
  const m = configMerchants(c.env).find((x) => x.id === id);
  if (!m) throw noSuchMerchant(id);
  return c.json(await configSummary(m));
});

adminApi.put('/merchants/:id', async (c) => {
  const r = await registry(c).put(c.req.param('id'), await jsonBody(c.req.raw));
  if (!r.ok) return errorDataResponse(r.error);
  invalidate();
  return c.json({ merchant: r.value.merchant, ...(r.value.api_key ? { api_key: r.value.api_key } : {}) }, r.value.created ? 201 : 200);
});

adminApi.delete('/merchants/:id', async (c) => {
  const id = c.req.param('id');
  const r = await registry(c).remove(id);
  if (!r.ok && r.error.code === ErrorCode.request.resource_missing && configMerchants(c.env).some((m) => m.id === id)) throw managedByConfig(id);
  return answer(r);
});

/** A write to a merchant only SHOUYIN_CONFIG has is refused with what to do instead. */
async function inRegistry<T>(c: { env: Parameters<typeof registryStub>[0] }, id: string, r: Rpc<T>): Promise<Response> {
  if (!r.ok && r.error.code === ErrorCode.request.resource_missing && r.error.param === undefined && configMerchants(c.env).some((m) => m.id === id)) {
    throw managedByConfig(id);
  }
  return answer(r);
}

adminApi.put('/merchants/:id/providers/:channel', async (c) => {
  const id = c.req.param('id');
  const channel = channelParam(c.req.param('channel'));
  return inRegistry(c, id, await registry(c).putProvider(id, channel, await jsonBody(c.req.raw)));
});

adminApi.delete('/merchants/:id/providers/:channel', async (c) => {
  const id = c.req.param('id');
  const channel = channelParam(c.req.param('channel'));
  return inRegistry(c, id, await registry(c).putProvider(id, channel, null));
});

// ── API keys ─────────────────────────────────────────────────────────────────────────────────────

adminApi.post('/merchants/:id/api_keys', async (c) => {
  const id = c.req.param('id');
  // An empty body is {}: the default overlap.
  const body = parseJsonObject(await readBody(c.req.raw, 4096));
  for (const k of Object.keys(body)) {
    if (k !== 'expire_previous_in')
      throw invalid(k, `Received unknown parameter: ${k}. This call takes expire_previous_in.`, ErrorCode.request.parameter_unknown);
  }
  const n = body.expire_previous_in ?? DEFAULT_EXPIRE_PREVIOUS_IN;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_EXPIRE_PREVIOUS_IN) {
    throw invalid(
      'expire_previous_in',
      `expire_previous_in must be a whole number of seconds from 0 to ${MAX_EXPIRE_PREVIOUS_IN} (0: the keys in use stop now).`,
    );
  }
  return inRegistry(c, id, await registry(c).rollKey(id, n));
});

adminApi.delete('/merchants/:id/api_keys/:key_id', async (c) => {
  const id = c.req.param('id');
  return inRegistry(c, id, await registry(c).revokeKey(id, c.req.param('key_id')));
});

// ── the master key ───────────────────────────────────────────────────────────────────────────────

adminApi.post('/master_key/rotate', async (c) => {
  const r = await registry(c).rotateMasterKey();
  if (!r.ok) return answer(r);
  // Webhook endpoint secrets are sealed under the same keys (webhooks/secret-box.ts): each merchant's
  // webhook shard seals its own again, so the old key can be dropped once this answers.
  let endpoints = 0;
  for (const m of await allMerchants(c.env)) endpoints += await webhooksFor(c.env, m.id).resealEndpointSecrets(m.id);
  return answer({ ok: true, value: { ...r.value, re_encrypted: r.value.re_encrypted + endpoints } });
});

// ── check and import ─────────────────────────────────────────────────────────────────────────────

type FlowReport = Record<string, Record<string, Record<string, string>>>;

/** For each configured channel, each flow its provider has: `ready`, or what the config lacks for it. */
function flowsOf(m: MerchantConfig): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of configuredProviders(m)) {
    const all: Flow[] = [...r.entry.provider.flows, ...(r.provider.payWithCode ? (['barcode'] as const) : [])];
    const flows: Record<string, string> = {};
    for (const f of all) {
      flows[f] = f === 'barcode' || r.provider.flows.includes(f) ? 'ready' : `missing: ${r.entry.flowRequires?.[f] ?? 'configuration'}`;
    }
    out[r.provider.channel] = flows;
  }
  return out;
}

const problemOf = (e: ConfigError): { param: string; message: string } => ({ param: e.path, message: `${e.path} ${e.problem}` });

adminApi.post('/check', async (c) => {
  const text = await readBody(c.req.raw, MAX_DOCUMENT_BODY);
  const body = parseJsonObject(text);
  const flows: FlowReport = {};
  const errors: { param: string; message: string }[] = [];
  if (body.merchants !== undefined || body.public_base_url !== undefined) {
    const r = checkConfig(text);
    errors.push(...r.problems.map(problemOf));
    for (const m of r.merchants) flows[m.id] = flowsOf(m);
  } else {
    const id = typeof body.id === 'string' ? body.id : 'entry';
    try {
      const m = parseMerchantEntry(body, '', { id, keysOptional: true });
      flows[m.id] = flowsOf(m);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.push(problemOf(e));
    }
  }
  return c.json({ ok: errors.length === 0, errors, flows });
});

adminApi.post('/import', async (c) => {
  const text = await readBody(c.req.raw, MAX_DOCUMENT_BODY);
  let merchants: unknown[];
  try {
    parseConfig(text);
    merchants = (JSON.parse(text) as { merchants: unknown[] }).merchants;
  } catch (e) {
    if (e instanceof ConfigError) return errorDataResponse(fieldError(e));
    throw e;
  }
  return answer(await registry(c).importConfig(merchants));
});
