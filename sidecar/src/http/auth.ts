import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { StoreRecord, StoreRepository } from '../store/stores';
import { sendError } from './errors';
import { MAX_CLOCK_SKEW_SECONDS, sign, signaturePayload, signaturesMatch } from './signature';

declare module 'express-serve-static-core' {
  interface Request {
    store?: StoreRecord;
    rawBody?: string;
  }
}

/**
 * Verifies X-Woom-Store / X-Woom-Timestamp / X-Woom-Signature against the raw body. Every failure is
 * the same 401 to the caller (the log says which), so a prober cannot tell a known store id from an
 * unknown one.
 */
export function requireSignature(stores: StoreRepository, now: () => Date = () => new Date()): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const storeId = req.get('X-Woom-Store');
    const timestamp = req.get('X-Woom-Timestamp');
    const signature = req.get('X-Woom-Signature');
    if (!storeId || !timestamp || !signature) {
      return sendError(res, 401, 'unauthorized', 'X-Woom-Store, X-Woom-Timestamp and X-Woom-Signature headers are required');
    }
    const seconds = Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now().getTime() / 1000 - seconds) > MAX_CLOCK_SKEW_SECONDS) {
      return sendError(res, 401, 'unauthorized', `X-Woom-Timestamp must be unix seconds within ${MAX_CLOCK_SKEW_SECONDS} s of now`);
    }
    try {
      const store = await stores.find(storeId);
      const body = req.rawBody ?? '';
      const expected = store ? sign(store.secret, signaturePayload(timestamp, req.method, req.originalUrl, body)) : '';
      if (!store || !signaturesMatch(expected, signature)) {
        return sendError(res, 401, 'unauthorized', 'Unknown store or bad signature');
      }
      req.store = store;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** A store's signature opens only that store's endpoints. */
export function requireSameStore(req: Request, res: Response, next: NextFunction): void {
  if (req.params.id !== req.store?.id) {
    return sendError(res, 403, 'forbidden', 'This signature is for another store');
  }
  next();
}
