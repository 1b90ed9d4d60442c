import type { Response } from 'express';
import type { FieldError } from '../domain/settings';

export function sendError(res: Response, status: number, error: string, message: string, errors?: FieldError[]): void {
  res.status(status).json(errors ? { error, message, errors } : { error, message });
}

export function sendInvalid(res: Response, errors: FieldError[], status = 400): void {
  const named = errors.map((e) => `${e.field} ${e.message}`).slice(0, 5).join('; ');
  sendError(res, status, 'invalid_request', `Invalid request: ${named}`, errors);
}
