import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Keeps the body as the exact text that was signed: the signature is checked on these bytes before
 * anything is parsed.
 */
export function readRawBody(req: Request, res: Response, next: NextFunction): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on('end', () => {
    if (tooLarge) {
      return sendError(res, 413, 'payload_too_large', `The body is over ${MAX_BODY_BYTES} bytes`, [
        { field: '(body)', message: `must be at most ${MAX_BODY_BYTES} bytes` },
      ]);
    }
    req.rawBody = Buffer.concat(chunks).toString('utf8');
    next();
  });
  req.on('error', next);
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(text: string): JsonParse {
  if (text.trim() === '') return { ok: false, message: 'is empty; a JSON object is expected' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `is not valid JSON (${(error as Error).message})` };
  }
}
