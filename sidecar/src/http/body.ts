import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors';

export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyRead = { ok: true; text: string } | { ok: false };

/**
 * Reads the body as the exact text that was signed, stopping at `limit` bytes: a declared length over
 * the limit is refused before a byte is read, a streamed one as soon as it passes it.
 */
export function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.get('Content-Length'));
    if (Number.isFinite(declared) && declared > limit) return resolve({ ok: false });
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      resolve({ ok: false });
    };
    const onEnd = () => {
      cleanup();
      resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Answers 413 and closes the connection, so the rest of an oversized body is never read. */
export function sendTooLarge(res: Response, limit = MAX_BODY_BYTES): void {
  res.set('Connection', 'close');
  sendError(res, 413, 'payload_too_large', `The body is over ${limit} bytes`, [{ field: '(body)', message: `must be at most ${limit} bytes` }]);
}

/** The body of an unsigned request (the development pages), read under the same limit. */
export function readRawBody(req: Request, res: Response, next: NextFunction): void {
  readBody(req).then((body) => {
    if (!body.ok) return sendTooLarge(res);
    req.rawBody = body.text;
    next();
  }, next);
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
