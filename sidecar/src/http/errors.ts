import type { Response } from 'express';
import type { FieldError } from '../domain/settings';

export function sendError(res: Response, status: number, error: string, message: string, errors?: FieldError[]): void {
  res.status(status).json(errors ? { error, message, errors } : { error, message });
}

export function sendInvalid(res: Response, errors: FieldError[], status = 400): void {
  const named = errors.map((e) => `${e.field} ${e.message}`).slice(0, 5).join('; ');
  sendError(res, status, 'invalid_request', `Invalid request: ${named}`, errors);
}

/** Errors that say "try again later": the database or Redis did not answer, or was busy. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
  'ETIMEDOUT',
  'ENOTFOUND',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/** Seconds a client (the bridge) is asked to wait before trying again. */
export const RETRY_AFTER_SECONDS = 30;

export interface FailureAnswer {
  status: 500 | 503;
  error: string;
  message: string;
  retryAfter?: number;
}

/**
 * What a failed request answers. A connection lost mid-request cannot tell whether its write was
 * committed, so the answer never says "nothing was changed"; it says to retry, which is safe: every
 * write the API takes is idempotent (events by id, settings as a whole).
 */
export function failureAnswer(error: Error & { code?: string }): FailureAnswer {
  const unavailable = (error.code !== undefined && UNAVAILABLE_CODES.has(error.code)) || /Knex: Timeout acquiring a connection/.test(error.message);
  if (unavailable) {
    return {
      status: 503,
      error: 'unavailable',
      message: 'The database or Redis did not answer; whether this request was applied is not known. Retry later: repeating it is safe',
      retryAfter: RETRY_AFTER_SECONDS,
    };
  }
  return { status: 500, error: 'internal_error', message: 'Something went wrong; the sidecar log has the details. Check before repeating the request' };
}
