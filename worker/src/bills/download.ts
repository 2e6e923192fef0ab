// What every provider's bill.ts shares: turning a file problem into a provider error the report shows.

import { toHex } from '../crypto/encoding';
import { sha1 } from '../crypto/digest';
import { ProviderError } from '../lib/errors';
import { StatementFormatError } from './decode';

/** Runs `parse`, turning a malformed file into a ProviderError that names the file and what is wrong. */
export function readStatement<T>(provider: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof StatementFormatError) throw new ProviderError('statement_unreadable', `${provider} statement: ${e.message}`);
    throw e;
  }
}

export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha1(bytes));
}

/** Bytes of a GET, or a retryable ProviderError. */
export async function fetchBytes(fetch: (r: Request) => Promise<Response>, req: Request, what: string): Promise<{ status: number; bytes: Uint8Array }> {
  let res: Response;
  try {
    res = await fetch(req);
    return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
  } catch (e) {
    throw new ProviderError('provider_unreachable', `Could not download the ${what} from ${new URL(req.url).origin}: ${(e as Error).message}`, true);
  }
}

export const isGzip = (b: Uint8Array): boolean => b[0] === 0x1f && b[1] === 0x8b;
