// One class per group of routes of the merchant API (docs/merchant-api.md). Every method takes
// `RequestOptions` last (idempotencyKey, maxRetries, timeoutMs, signal).

import { ListRequest } from './pagination.js';
import { type Call, idSegment, type QueryValue, type RequestOptions, type Transport } from './request.js';
import type {
  AttemptCreateParams,
  AttemptResult,
  BarcodeChargeParams,
  BarcodePayment,
  CheckoutSession,
  CheckoutSessionCreateParams,
  CheckoutSessionListParams,
  DeletedWebhookEndpoint,
  DeliveryList,
  DeliveryListParams,
  EventListParams,
  EventRetryParams,
  ListPage,
  PageParams,
  Refund,
  RefundCreateParams,
  RefundListParams,
  RotateSecretParams,
  ShouyinEvent,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreateParams,
  WebhookEndpointUpdateParams,
  WebhookEndpointWithSecret,
} from './types.js';

abstract class Resource {
  constructor(protected readonly transport: Transport) {}

  protected call<T>(call: Call, options: RequestOptions | undefined): Promise<T> {
    return this.transport.request<T>(call, options);
  }

  /** A lazily fetched list at `path`: `params.starting_after` is where the first page starts, the rest are filters. */
  protected paginate<T>(path: string, params: PageParams | undefined, options: RequestOptions | undefined): ListRequest<T> {
    const { starting_after, ...filters } = (params ?? {}) as PageParams & Record<string, QueryValue>;
    return new ListRequest<T>(
      (cursor) => this.call<ListPage<T>>({ method: 'GET', path, query: { ...filters, starting_after: cursor }, retry: 'safe' }, options),
      starting_after,
    );
  }
}

const sessionPath = (id: string, rest = ''): string => `/checkout/sessions/${idSegment('id', id)}${rest}`;

export class CheckoutSessions extends Resource {
  /** `POST /v1/checkout/sessions` → the open session with its `client_secret`. */
  create(params: CheckoutSessionCreateParams, options?: RequestOptions): Promise<CheckoutSession> {
    return this.call({ method: 'POST', path: '/checkout/sessions', body: params, retry: 'safe' }, options);
  }

  /** `GET /v1/checkout/sessions/:id`, with `payment` once paid and its `refunds`. */
  retrieve(id: string, options?: RequestOptions): Promise<CheckoutSession> {
    return this.call({ method: 'GET', path: sessionPath(id), retry: 'safe' }, options);
  }

  /** `POST /v1/checkout/sessions/:id/cancel`: closes its open provider orders first; 409 session_not_open once it is paid, expired or canceled. */
  cancel(id: string, options?: RequestOptions): Promise<CheckoutSession> {
    return this.call({ method: 'POST', path: sessionPath(id, '/cancel'), retry: 'safe' }, options);
  }

  /** `GET /v1/checkout/sessions`, newest first; filters: status, channel, created, merchant_order_id. */
  list(params?: CheckoutSessionListParams, options?: RequestOptions): ListRequest<CheckoutSession> {
    return this.paginate('/checkout/sessions', params, options);
  }

  /**
   * `POST /v1/checkout/sessions/:id/attempts`: starts a payment attempt for a merchant's own app (e.g.
   * the `app` flow's signed payload). Shouyin does not de-duplicate this call by Idempotency-Key, so
   * it is not retried after a lost answer unless `maxRetries` is passed: a repeat starts another attempt.
   */
  createAttempt(id: string, params: AttemptCreateParams, options?: RequestOptions): Promise<AttemptResult> {
    return this.call({ method: 'POST', path: sessionPath(id, '/attempts'), body: params, retry: 'unsafe' }, options);
  }

  /** `POST /v1/checkout/sessions/:id/barcode`: charges the shopper's payment code at a till (docs/instore.md). While `processing`, ask `retrieveBarcode`. */
  chargeBarcode(id: string, params: BarcodeChargeParams, options?: RequestOptions): Promise<BarcodePayment> {
    return this.call({ method: 'POST', path: sessionPath(id, '/barcode'), body: params, retry: 'safe' }, options);
  }

  /** `GET /v1/checkout/sessions/:id/barcode`: the session's newest payment-code charge. */
  retrieveBarcode(id: string, options?: RequestOptions): Promise<BarcodePayment> {
    return this.call({ method: 'GET', path: sessionPath(id, '/barcode'), retry: 'safe' }, options);
  }
}

export class Refunds extends Resource {
  /** `POST /v1/refunds`: refunds `amount` (default: everything that remains) of a paid session. */
  create(params: RefundCreateParams, options?: RequestOptions): Promise<Refund> {
    return this.call({ method: 'POST', path: '/refunds', body: params, retry: 'safe' }, options);
  }

  /** `GET /v1/refunds/:id`. */
  retrieve(id: string, options?: RequestOptions): Promise<Refund> {
    return this.call({ method: 'GET', path: `/refunds/${idSegment('id', id)}`, retry: 'safe' }, options);
  }

  /** `GET /v1/refunds`, newest first; filters: session, status, created. */
  list(params?: RefundListParams, options?: RequestOptions): ListRequest<Refund> {
    return this.paginate('/refunds', params, options);
  }
}

export class Events extends Resource {
  /** `GET /v1/events`: the merchant's events of the last 7 days, newest first; filter: type. */
  list(params?: EventListParams, options?: RequestOptions): ListRequest<ShouyinEvent> {
    return this.paginate('/events', params, options);
  }

  /** `GET /v1/events/:id`. */
  retrieve(id: string, options?: RequestOptions): Promise<ShouyinEvent> {
    return this.call({ method: 'GET', path: `/events/${idSegment('id', id)}`, retry: 'safe' }, options);
  }

  /** `GET /v1/events/:id/deliveries`: every try at sending it, newest first; filter: status. */
  listDeliveries(id: string, params?: DeliveryListParams, options?: RequestOptions): ListRequest<WebhookDelivery> {
    return this.paginate(`/events/${idSegment('id', id)}/deliveries`, params, options);
  }

  /**
   * `POST /v1/events/:id/retry`: sends it again now, with the same `webhook-id`, to `endpoint` or to
   * every enabled endpoint subscribed to it. Not retried after a lost answer unless `maxRetries` is
   * passed (a repeat sends it again; receivers de-duplicate by webhook-id, but it is still a send).
   */
  retry(id: string, params: EventRetryParams = {}, options?: RequestOptions): Promise<DeliveryList> {
    return this.call({ method: 'POST', path: `/events/${idSegment('id', id)}/retry`, body: params, retry: 'unsafe' }, options);
  }
}

const endpointPath = (id: string, rest = ''): string => `/webhook_endpoints/${idSegment('id', id)}${rest}`;

export class WebhookEndpoints extends Resource {
  /**
   * `POST /v1/webhook_endpoints` → the endpoint with its `secret` (shown only here and by rotateSecret).
   * Not retried after a lost answer unless `maxRetries` is passed: a repeat could create a second
   * endpoint whose secret you never saw.
   */
  create(params: WebhookEndpointCreateParams, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.call({ method: 'POST', path: '/webhook_endpoints', body: params, retry: 'unsafe' }, options);
  }

  /** `GET /v1/webhook_endpoints`: the merchant's endpoints, `we_config` (from the deployment's configuration) included. */
  list(params?: PageParams, options?: RequestOptions): ListRequest<WebhookEndpoint> {
    return this.paginate('/webhook_endpoints', params, options);
  }

  /** `GET /v1/webhook_endpoints/:id` (without its secret). */
  retrieve(id: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.call({ method: 'GET', path: endpointPath(id), retry: 'safe' }, options);
  }

  /** `PATCH /v1/webhook_endpoints/:id`: url, enabled_events, status, description. Setting the same values twice is harmless, so it is retried. */
  update(id: string, params: WebhookEndpointUpdateParams, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.call({ method: 'PATCH', path: endpointPath(id), body: params, retry: 'safe' }, options);
  }

  /** `DELETE /v1/webhook_endpoints/:id`. Not retried after a lost answer unless `maxRetries` is passed (a repeat answers 404). */
  delete(id: string, options?: RequestOptions): Promise<DeletedWebhookEndpoint> {
    return this.call({ method: 'DELETE', path: endpointPath(id), retry: 'unsafe' }, options);
  }

  /**
   * `POST /v1/webhook_endpoints/:id/rotate_secret` → the endpoint with its new `secret`. The old one
   * keeps signing beside it for `expire_previous_in` seconds (default 86400). Not retried after a lost
   * answer unless `maxRetries` is passed: a repeat would rotate again, past a secret you never saw.
   */
  rotateSecret(id: string, params: RotateSecretParams = {}, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.call({ method: 'POST', path: endpointPath(id, '/rotate_secret'), body: params, retry: 'unsafe' }, options);
  }

  /** `GET /v1/webhook_endpoints/:id/deliveries`: tries at sending to this endpoint, newest first; filter: status. */
  listDeliveries(id: string, params?: DeliveryListParams, options?: RequestOptions): ListRequest<WebhookDelivery> {
    return this.paginate(endpointPath(id, '/deliveries'), params, options);
  }
}
