import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SignatureClaim, SignedRequestRepository } from '../store/signed-requests';
import type { StoreRecord, StoreRepository } from '../store/stores';
import { readBody, sendTooLarge } from './body';
import { sendError } from './errors';
import { MAX_CLOCK_SKEW_SECONDS, sign, signaturePayload, signaturesMatch } from './signature';

declare module 'express-serve-static-core' {
  interface Request {
    store?: StoreRecord;
    rawBody?: string;
    /** The signature a route claims itself, inside its own transaction (see requireSignature's claimInRoute). */
    signatureClaim?: SignatureClaim;
  }
}

/** Requests that change state: each signature opens one of them, once. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Verifies X-Woom-Store / X-Woom-Timestamp / X-Woom-Signature against the raw body. Every failure is
 * the same 401 to the caller (the log says which), so a prober cannot tell a known store id from an
 * unknown one. What can be judged from the headers (a missing header, a stale timestamp, an unknown
 * store) is answered before the body is read, so a stranger cannot make the sidecar buffer a megabyte.
 * A state-changing request is accepted once: the same signature again (a replay) gets 409.
 * `claimInRoute`: the route records the signature in the transaction that applies the request (the
 * ingest), which then commits once instead of twice, and a failure releases it by its rollback.
 */
export function requireSignature(
  stores: StoreRepository,
  signedRequests: SignedRequestRepository,
  options: { now?: () => Date; claimInRoute?: boolean } = {},
): RequestHandler {
  const now = options.now ?? (() => new Date());
  return async (req: Request, res: Response, next: NextFunction) => {
    const storeId = req.get('X-Woom-Store');
    const timestamp = req.get('X-Woom-Timestamp');
    const signature = req.get('X-Woom-Signature');
    if (!storeId || !timestamp || !signature) {
      return refuse(res, 'X-Woom-Store, X-Woom-Timestamp and X-Woom-Signature headers are required');
    }
    const seconds = Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now().getTime() / 1000 - seconds) > MAX_CLOCK_SKEW_SECONDS) {
      return refuse(res, `X-Woom-Timestamp must be unix seconds within ${MAX_CLOCK_SKEW_SECONDS} s of now`);
    }
    try {
      const store = await stores.find(storeId);
      if (!store) return refuse(res, 'Unknown store or bad signature');
      const body = await readBody(req);
      if (!body.ok) return sendTooLarge(res);
      const expected = sign(store.secret, signaturePayload(timestamp, req.method, req.originalUrl, body.text));
      if (!signaturesMatch(expected, signature)) return refuse(res, 'Unknown store or bad signature');
      if (STATE_CHANGING.has(req.method)) {
        // Remembered until the timestamp leaves the window; after that the timestamp check refuses it.
        const expiresAt = new Date((seconds + MAX_CLOCK_SKEW_SECONDS + 1) * 1000);
        if (options.claimInRoute) {
          req.signatureClaim = { signature, expiresAt };
        } else {
          if (!(await signedRequests.claim(store.id, signature, expiresAt))) return sendReplayed(res);
          forgetUnlessApplied(res, signedRequests, store.id, signature);
        }
      }
      req.store = store;
      req.rawBody = body.text;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The answer to a signed request already accepted. */
export function sendReplayed(res: Response): void {
  sendError(res, 409, 'replayed', 'This signed request was already accepted; sign each request anew (a fresh X-Woom-Timestamp)');
}

function refuse(res: Response, message: string): void {
  // The body may still be on its way: the connection is closed rather than read to the end.
  if (!res.req.complete) res.set('Connection', 'close');
  sendError(res, 401, 'unauthorized', message);
}

/**
 * A request refused (4xx) or failed (5xx) changed nothing, so its signature is released: the sender may
 * send it again as it was. Only an answered success keeps it.
 */
function forgetUnlessApplied(res: Response, signedRequests: SignedRequestRepository, storeId: string, signature: string): void {
  res.on('close', () => {
    if (res.writableFinished && res.statusCode < 300) return;
    // If MariaDB is down the row stays until it expires: the sender then signs anew, as the bridge does.
    signedRequests.release(storeId, signature).catch(() => undefined);
  });
}

/** A store's signature opens only that store's endpoints. */
export function requireSameStore(req: Request, res: Response, next: NextFunction): void {
  if (req.params.id !== req.store?.id) {
    return sendError(res, 403, 'forbidden', 'This signature is for another store');
  }
  next();
}
