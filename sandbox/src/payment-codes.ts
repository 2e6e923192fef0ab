// Sandbox payment codes (付款码): what the simulated wallet does when a till charges one. The third
// digit picks the story, so every branch of an in-store payment has a code (documented in docs/test-mode.md):
//
//   WeChat Pay 13 1 …  Alipay 28 1 …  pays at once (also 0 and 6–9)
//              13 2 …         28 2 …  asks for a password: USERPAYING / 10003, paid PASSWORD_SECONDS later
//              13 3 …         28 3 …  asks for a password nobody enters: waits until reversed
//              13 4 …         28 4 …  declined: balance too low, nothing charged
//              13 5 …         28 5 …  hangs: the pay call never answers (HANG_SECONDS, then a bodiless 504);
//                                     the order waits for a password until reversed
//
// Any valid prefix works (10–15, 25–30); only the third digit matters. Each code pays once: a code
// used before is refused, as a real one-minute code is.

export type CodeBehavior = 'pay' | 'password' | 'never' | 'decline' | 'hang';

/** How long the simulated shopper takes to enter a password (× sandbox.time_scale). */
export const PASSWORD_SECONDS = 8;
/** How long the simulated provider keeps a hanging pay call before the "connection drops" (× time_scale). */
export const HANG_SECONDS = 15;

export function codeBehavior(code: string): CodeBehavior {
  switch (code[2]) {
    case '2':
      return 'password';
    case '3':
      return 'never';
    case '4':
      return 'decline';
    case '5':
      return 'hang';
    default:
      return 'pay';
  }
}

/** When the shopper's password is in (ledger clock), for a `password` code. */
export const passwordDoneAt = (now: number, timeScale: number): number => now + Math.round(PASSWORD_SECONDS * 1000 * timeScale);

/**
 * A pay call that never answers: wait as long as a provider that lost the request would keep the
 * connection, then a 504 without a body (what a gateway in front of a dead backend sends). A caller
 * with a shorter timeout gives up first, as a till does.
 */
export async function hangUp(timeScale: number): Promise<Response> {
  await new Promise((r) => setTimeout(r, Math.round(HANG_SECONDS * 1000 * timeScale)));
  return new Response(null, { status: 504 });
}
