import type { Response } from 'express';
import type { z } from 'zod';
import type { FieldError } from '../../domain/settings';
import type { StoreRecord } from '../../store/stores';

/** Who is calling: an API token, or an operator signed in to the console (its pages call the API too). */
export type Caller =
  | { kind: 'token'; id: number; name: string; scope: 'read' | 'write'; storeId: string | null }
  | { kind: 'operator'; id: number; email: string; role: 'admin' | 'viewer' };

export const actorOf = (caller: Caller): string => (caller.kind === 'token' ? `token:${caller.name}` : caller.email);
export const canWrite = (caller: Caller): boolean => (caller.kind === 'token' ? caller.scope === 'write' : caller.role === 'admin');
/** The store a caller is limited to, if any. */
export const onlyStore = (caller: Caller): string | null => (caller.kind === 'token' ? caller.storeId : null);

export interface ApiContext {
  caller: Caller;
  actor: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** Loaded for every route whose path names {storeId}. */
  store: StoreRecord | null;
}

export interface ApiResult {
  status: number;
  body?: unknown;
  /** Seconds a refused caller should wait (429), sent as Retry-After. */
  retryAfter?: number;
}

export interface ApiResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One route of /api/v1. The express router and the OpenAPI document are both built from this table, so
 * a route cannot exist without being documented, and its request is validated by the schema it shows.
 */
export interface ApiRoute {
  method: HttpMethod;
  /** OpenAPI style: /stores/{storeId}. */
  path: string;
  summary: string;
  tag: string;
  /** Managing stores (register, remove) needs an admin or a write token for every store. */
  admin?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Documented only: the service's own validation (the same schema) judges the body, as for the other callers. */
  bodyDoc?: z.ZodType;
  /** POSTs that create something honour Idempotency-Key. */
  idempotent?: boolean;
  /** For routes that name another resource: the store it belongs to, so a store-scoped token is held to its store. */
  storeOf?: (params: Record<string, string>) => Promise<string | null>;
  responses: Record<number, ApiResponseSpec>;
  handler: (ctx: ApiContext) => Promise<ApiResult>;
}

export const ok = (body: unknown, status = 200): ApiResult => ({ status, body });
export const fail = (status: number, error: string, message: string, fields?: FieldError[]): ApiResult => ({
  status,
  body: fields ? { error, message, fields } : { error, message },
});
export const invalid = (fields: FieldError[]): ApiResult =>
  fail(400, 'invalid_request', `Invalid request: ${fields.map((f) => `${f.field} ${f.message}`).slice(0, 5).join('; ')}`, fields);

/** The one error shape of /api/v1: {error, message, fields?}. */
export function sendApiError(res: Response, status: number, error: string, message: string, fields?: FieldError[]): void {
  const result = fail(status, error, message, fields);
  res.status(result.status).json(result.body);
}
