import { DurableObject } from 'cloudflare:workers';
export class CheckoutSession extends DurableObject {}
export class MerchantShard extends DurableObject {}
export class SandboxLedger extends DurableObject {}
export default { fetch: () => new Response('hi') };
