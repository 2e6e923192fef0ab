// @shouyin/sdk: the Shouyin merchant API for servers (Node ≥ 20, Deno, Bun, Cloudflare Workers).
// Usage, pagination, errors and webhooks: packages/sdk/README.md and docs/sdk.md.

export { Shouyin, type ShouyinOptions, VERSION } from './client.js';
export {
  ApiError,
  AuthenticationError,
  ConfigurationError,
  ConflictError,
  ConnectionError,
  ERROR_CLASSES,
  type ErrorTypeName,
  IdempotencyError,
  InvalidRequestError,
  NotFoundError,
  ProviderError,
  ShouyinError,
  type ShouyinErrorInit,
} from './errors.js';
export { ListRequest } from './pagination.js';
export type { FetchLike, RequestOptions } from './request.js';
export type { CheckoutSessions, Events, Refunds, WebhookEndpoints } from './resources.js';
export * from './types.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  type SignWebhookParams,
  signWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaders,
  type WebhookVerificationCode,
  WebhookVerificationError,
} from './webhooks.js';
