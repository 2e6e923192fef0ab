// Checks real answers of the Worker against its own GET /openapi.json: the status must be documented
// for the operation, and the body must match the documented schema. Objects are checked strictly
// here (a field the document does not list is a failure), so the document cannot fall behind what
// the API actually returns. Used by worker/test/openapi.test.ts; any test may use it.

import { SELF } from 'cloudflare:test';
import { Validator } from '@cfworker/json-schema';
import { BASE } from './helpers';

type Schema = Record<string, unknown>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema: Schema }> }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
  [k: string]: unknown;
}

let loaded: Promise<OpenApiDocument> | undefined;
export function openApiDocument(): Promise<OpenApiDocument> {
  loaded ??= SELF.fetch(`${BASE}/openapi.json`).then(async (res) => {
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
    return (await res.json()) as OpenApiDocument;
  });
  return loaded;
}

/** A copy where every object schema with properties refuses properties it does not list. */
function strict<T>(node: T): T {
  if (Array.isArray(node)) return node.map(strict) as T;
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = strict(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out as T;
}

const validators = new Map<Schema, Validator>();
async function validatorFor(schema: Schema): Promise<Validator> {
  let v = validators.get(schema);
  if (!v) {
    const doc = await openApiDocument();
    // The schema's $refs (#/components/schemas/…) resolve against this root.
    v = new Validator(strict({ components: doc.components, ...schema }), '2020-12', false);
    validators.set(schema, v);
  }
  return v;
}

async function check(schema: Schema, value: unknown, what: string): Promise<void> {
  const r = (await validatorFor(schema)).validate(value);
  if (!r.valid) {
    const detail = r.errors
      .filter((e) => !e.error.startsWith('A subschema had errors') && !e.error.includes('does not match schema'))
      .slice(0, 8)
      .map((e) => `  ${e.instanceLocation}: ${e.error} (${e.keywordLocation})`)
      .join('\n');
    throw new Error(`${what} does not match the document:\n${detail}\n${JSON.stringify(value).slice(0, 600)}`);
  }
}

/** The documented path template a concrete path belongs to (`/v1/refunds/re_1` → `/v1/refunds/{id}`). */
export function templateOf(doc: OpenApiDocument, path: string): string | undefined {
  const bare = path.split('?')[0]!;
  const matches = Object.keys(doc.paths).filter((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
  // The most literal one wins: `/v1/checkout/sessions/{id}/cancel` over a looser template.
  return matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

/** `METHOD template status` of every answer checked so far. */
export const exercised = new Set<string>();

/**
 * Checks an answer of `METHOD path` against the document and returns its parsed body. Fails when the
 * route, the status or the body is not as documented.
 */
export async function conform(method: string, path: string, res: Response): Promise<any> {
  const doc = await openApiDocument();
  const template = templateOf(doc, path);
  if (!template) throw new Error(`${method} ${path} is not in the document`);
  const op = doc.paths[template]![method.toLowerCase()];
  if (!op) throw new Error(`${method} ${template} is not in the document`);
  const status = String(res.status);
  const documented = op.responses?.[status] ?? op.responses?.[`${status[0]}XX`] ?? op.responses?.default;
  const text = await res.text();
  if (!documented) throw new Error(`${method} ${template} answered ${status}, which the document does not list: ${text.slice(0, 300)}`);
  exercised.add(`${method.toUpperCase()} ${template} ${status}`);
  // The media type answered must be one the document lists for this status (JSON, or e.g. text/csv).
  const media = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (text !== '' && media !== 'application/json') {
    const described = documented.content?.[media]?.schema;
    if (!described) throw new Error(`${method} ${template} ${status} answered ${media}, which the document does not list`);
    await check(described, text, `${method} ${template} ${status} (${media})`);
    return text;
  }
  const schema = documented.content?.['application/json']?.schema;
  if (!schema) {
    if (text !== '') throw new Error(`${method} ${template} ${status} has a body the document does not describe`);
    return undefined;
  }
  const body = JSON.parse(text) as unknown;
  await check(schema, body, `${method} ${template} ${status}`);
  return body;
}

/** Checks a webhook body against the document's webhook of its type. */
export async function conformWebhook(body: string): Promise<{ type: string }> {
  const doc = await openApiDocument();
  const event = JSON.parse(body) as { type: string };
  const hook = doc.webhooks?.[event.type]?.post;
  if (!hook?.requestBody) throw new Error(`webhook ${event.type} is not in the document`);
  await check(hook.requestBody.content['application/json']!.schema, event, `webhook ${event.type}`);
  exercised.add(`WEBHOOK ${event.type}`);
  return event;
}
