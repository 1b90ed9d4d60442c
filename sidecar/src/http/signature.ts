import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_CLOCK_SKEW_SECONDS = 300;
export const EVENTS_PATH = '/v1/events';

/**
 * What is signed. Ingest keeps the webhook-style `timestamp.body`; every other endpoint also binds the
 * method and the path, so a signature for one store's GET cannot be replayed as a PUT or on another path.
 */
export function signaturePayload(timestamp: string, method: string, path: string, body: string): string {
  if (method === 'POST' && path === EVENTS_PATH) return `${timestamp}.${body}`;
  return `${timestamp}.${method}.${path}.${body}`;
}

export function sign(secret: string, payload: string): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

export function signaturesMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // Length is not secret (it is fixed); the comparison of the bytes is done in constant time.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Headers for a signed request; the bridge, the tests and the benchmark all sign this way. */
export function signedHeaders(
  store: { id: string; secret: string },
  method: string,
  path: string,
  body: string,
  now = new Date(),
): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    'X-Woom-Store': store.id,
    'X-Woom-Timestamp': timestamp,
    'X-Woom-Signature': sign(store.secret, signaturePayload(timestamp, method.toUpperCase(), path, body)),
  };
}
