// GET /openapi.json: the OpenAPI 3.1 document of the merchant and client API, generated from the
// schemas the routes validate with. Every OpenAPIHono app mounted on the Worker's app (app.route)
// brings its routes along, so a new API file needs nothing here. Added here: what no route declares —
// the security schemes, the error catalogue, and the webhooks (one per event type).

import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../routes/http';
import { CLIENT_SECRET, ErrorBody, SECRET_KEY } from './schemas/common';
import { EVENT_TYPES, eventSchemas, type EventType } from './schemas/events';
import { z } from './openapi';

/** The package's version (package.json; scripts/api-reference.test.mjs keeps them equal). */
export const API_VERSION = '0.1.0';

const INFO = {
  title: 'Shouyin API',
  version: API_VERSION,
  license: { name: 'MIT', identifier: 'MIT' },
  description: [
    'Shouyin (收银) is an open-source checkout for WeChat Pay, Alipay and UnionPay on a Cloudflare Worker.',
    '',
    "The **merchant API** (`/v1/…`) is called by the merchant's server with its secret key. The **client API** (`/v1/client/…`) is called by the `<shouyin-checkout>` widget in the shopper's browser with one session's client secret. Amounts are integer fen (分); times are Unix seconds unless a field says otherwise.",
    '',
    'Every error has the body `{"error": {type, code, message, param?}}`; `param` names the field to fix. The codes are listed in the `ErrorCode` schema, each with what it means. `POST`s that create or change something take an `Idempotency-Key` header.',
    '',
    'Events are delivered as [Standard Webhooks](https://www.standardwebhooks.com/) (the `webhooks` of this document) and listed by `GET /v1/events`. Guides: docs/merchant-api.md, docs/webhooks.md, docs/widget.md in the repository.',
  ].join('\n'),
};

const TAGS = [
  { name: 'Checkout sessions', description: 'Create, read, list, search and cancel checkout sessions; start an attempt for an app.' },
  { name: 'In store', description: "Charge a shopper's payment code at a till (docs/instore.md)." },
  { name: 'Refunds', description: "Refund a paid session's payment." },
  { name: 'Events', description: "The last 7 days of events, for replaying missed webhooks; each event's deliveries, and sending it again." },
  {
    name: 'Webhook endpoints',
    description:
      "The merchant's webhook endpoints (besides the configured `we_config`): their event types, status, secrets and rotation, and each one's deliveries (docs/webhooks.md).",
  },
  { name: 'Reconciliation', description: "The daily reconciliation against the providers' statements (对账), and each provider's statement as CSV." },
  { name: 'Reports', description: 'How checkout sessions ended per day and channel; which session a provider transaction id paid.' },
  { name: 'Apple In-App Purchase', description: 'Verify App Store receipts and StoreKit 2 transactions (docs/apple.md).' },
  {
    name: 'Client API',
    description:
      "What the widget calls from the shopper's browser, with the session's client secret. The hosted checkout page's widget (`GET /pay/{id}`, the session's `url`, an HTML page and no part of this API) calls the same routes under `/pay/v1/client/…`, which answer alike (docs/hosted-checkout.md).",
  },
];

const camel = (type: string): string =>
  type
    .split(/[._]/)
    .map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');

const webhookHeaders = z.object({
  'webhook-id': z
    .string()
    .openapi({ param: { name: 'webhook-id', in: 'header' }, description: 'The event id: the same on every retry; use it to de-duplicate.' }),
  'webhook-timestamp': z
    .string()
    .openapi({ param: { name: 'webhook-timestamp', in: 'header' }, description: 'Unix seconds of this try; refuse it more than 5 minutes from your clock.' }),
  'webhook-signature': z.string().openapi({
    param: { name: 'webhook-signature', in: 'header' },
    description: 'One or more space-separated `v1,<base64 HMAC-SHA256>` of `id.timestamp.body` with your `whsec_…` secret; accept when any one matches.',
  }),
});

/** Everything the routes do not declare themselves; call once, on the app that mounts the API. */
export function describeApi(app: OpenAPIHono<AppEnv>): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', SECRET_KEY, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sk_test_… / sk_live_…',
    description: "The merchant's secret key (SHOUYIN_CONFIG `secret_keys`). Server to server only: never in a browser or an app.",
  });
  registry.registerComponent('securitySchemes', CLIENT_SECRET, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'cs_…_secret_…',
    description: "One checkout session's `client_secret`: it grants the client API for that session, nothing else.",
  });
  registry.register('Error', ErrorBody);
  for (const [type, schema] of Object.entries(eventSchemas) as [EventType, z.ZodObject][]) {
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `${camel(type)}Webhook`,
      tags: ['Webhooks'],
      summary: type,
      // No HTTP authentication: the receiver checks webhook-signature with its secret.
      security: [],
      description: `${EVENT_TYPES[type].when} Signed per Standard Webhooks, retried for about 3 days until your endpoint answers 2xx (docs/webhooks.md).`,
      request: { headers: webhookHeaders, body: { content: { 'application/json': { schema } }, required: true } },
      responses: {
        200: { description: 'Any 2xx: delivered. Anything else (3xx included, or no answer within 15 s) is retried.' },
        '4XX': { description: 'A non-2xx answer: the delivery is retried on the schedule (so is a 5xx, or none).' },
      },
    });
  }
}

/** The document, from everything registered on `app`. */
export function openApiDocument(app: OpenAPIHono<AppEnv>): ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']> {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: INFO,
    servers: [{ url: 'http://127.0.0.1:8787', description: "`npm start` on your machine; in production, your deployment's public_base_url." }],
    tags: [...TAGS, { name: 'Webhooks', description: 'What Shouyin POSTs to your webhook URL, one entry per event type.' }],
  });
}

/** GET /openapi.json, built once per isolate (the routes do not change while it runs). */
export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  let document: string | undefined;
  app.get('/openapi.json', () => {
    document ??= JSON.stringify(openApiDocument(app));
    // Public and the same for every caller: readable by any page (API explorers, the docs).
    return new Response(document, {
      headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=300' },
    });
  });
}
