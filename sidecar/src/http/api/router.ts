import { createHash } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { toFieldErrors } from '../../domain/settings';
import type { ApiTokens } from '../../services/api-tokens';
import type { OperatorAccounts } from '../../services/operator-accounts';
import type { IdempotencyRepository } from '../../store/idempotency';
import type { StoreRepository } from '../../store/stores';
import { sessionOf, tokensMatch } from '../console-session';
import { actorOf, canWrite, onlyStore, sendApiError, type ApiRoute, type Caller } from './define';

export interface ApiRouterDeps {
  stores: StoreRepository;
  apiTokens: ApiTokens;
  operatorAccounts: OperatorAccounts;
  idempotency: IdempotencyRepository;
  /** Told after every write that succeeded, with the store it touched (the console's live events). */
  onStoreChanged?: (storeId: string) => void;
}

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * A bearer token, or the console's session cookie with its CSRF token on every state change (the
 * console's pages call this API; a cross-site form cannot read the token).
 */
export function authenticate(deps: ApiRouterDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const header = req.get('Authorization');
      if (header) {
        const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
        const token = await deps.apiTokens.authenticate(bearer);
        if (!token) return sendApiError(res, 401, 'unauthorized', 'Unknown or revoked token: send "Authorization: Bearer woomtk_..." (npm run woom -- token create)');
        req.caller = { kind: 'token', id: token.id, name: token.name, scope: token.scope, storeId: token.storeId };
        return next();
      }
      const found = await sessionOf(req, deps.operatorAccounts);
      if (!found) return sendApiError(res, 401, 'unauthorized', 'Send "Authorization: Bearer <token>", or sign in to the console');
      if (req.method !== 'GET' && req.method !== 'HEAD' && !tokensMatch(found.session.csrfToken, req.get('X-CSRF-Token') ?? '')) {
        return sendApiError(res, 403, 'csrf', 'The X-CSRF-Token header is missing or wrong: reload the console page and try again');
      }
      const { operator } = found.session;
      req.caller = { kind: 'operator', id: operator.id, email: operator.email, role: operator.role };
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Builds /api/v1 from the route table: auth, scope, the store's own check, validation, idempotency. */
export function apiRouter(routes: ApiRoute[], deps: ApiRouterDeps): Router {
  const router = Router();
  router.use(express.json({ limit: '1mb', type: () => true }));
  router.use((error: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') return sendApiError(res, 413, 'payload_too_large', 'The body is over 1 MB', [{ field: '(body)', message: 'must be at most 1 MB' }]);
    if (error.type === 'entity.parse.failed') return sendApiError(res, 400, 'invalid_request', 'The body is not valid JSON', [{ field: '(body)', message: `is not valid JSON (${error.message})` }]);
    next(error);
  });
  router.use(authenticate(deps));

  for (const route of routes) {
    router[route.method](expressPath(route.path), async (req: Request, res: Response, next: NextFunction) => {
      let claimed: number | null = null;
      try {
        const caller = req.caller!;
        const write = route.method !== 'get';
        if (write && !canWrite(caller)) {
          return sendApiError(res, 403, 'forbidden', caller.kind === 'token' ? 'This token is read-only' : 'Viewers can look but not change anything; ask an admin');
        }
        const only = onlyStore(caller);
        if (route.admin && (only || !canWrite(caller))) {
          return sendApiError(res, 403, 'forbidden', only ? 'A token for one store cannot register or remove stores' : 'Only an admin can do this');
        }
        const params = route.params ? route.params.safeParse(req.params) : null;
        if (params && !params.success) return sendApiError(res, 400, 'invalid_request', 'Invalid path', toFieldErrors(params.error));
        const rawParams = req.params as Record<string, string>;
        // A store-scoped token is refused before anything about another store is looked up.
        let storeId: string | null = rawParams.storeId ?? null;
        if (!storeId && route.storeOf) {
          storeId = await route.storeOf(rawParams);
          if (!storeId) return sendApiError(res, 404, 'not_found', 'Not found');
        }
        if (only && storeId && storeId !== only) return sendApiError(res, 403, 'forbidden', 'This token is for another store');
        const store = rawParams.storeId ? await deps.stores.find(rawParams.storeId) : null;
        if (rawParams.storeId && !store) return sendApiError(res, 404, 'not_found', `No store ${rawParams.storeId}`);

        const query = route.query ? route.query.safeParse(req.query) : null;
        if (query && !query.success) return sendApiError(res, 400, 'invalid_request', 'Invalid query', toFieldErrors(query.error));
        const body = route.body ? route.body.safeParse(req.body ?? {}) : null;
        if (body && !body.success) {
          const fields = toFieldErrors(body.error);
          return sendApiError(res, 400, 'invalid_request', `Invalid request: ${fields.map((f) => `${f.field} ${f.message}`).slice(0, 5).join('; ')}`, fields);
        }

        const key = route.idempotent ? req.get('Idempotency-Key') : undefined;
        if (key !== undefined) {
          if (key.length < 1 || key.length > 200) return sendApiError(res, 400, 'invalid_request', 'Idempotency-Key must be 1 to 200 characters', [{ field: 'Idempotency-Key', message: 'must be 1 to 200 characters' }]);
          const hash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`).digest('hex');
          const claim = await deps.idempotency.claim(`${caller.kind}:${caller.id}`, key, hash);
          if (claim.state === 'replay') return res.status(claim.status).set('Idempotent-Replayed', 'true').type('json').send(claim.body);
          if (claim.state === 'in_progress') return sendApiError(res, 409, 'in_progress', 'A request with this Idempotency-Key is still being handled; retry shortly');
          if (claim.state === 'mismatch') return sendApiError(res, 422, 'idempotency_key_reused', 'This Idempotency-Key was used for a different request', [{ field: 'Idempotency-Key', message: 'was used for a different request' }]);
          claimed = claim.id;
        }

        const result = await route.handler({
          caller,
          actor: actorOf(caller),
          params: rawParams,
          query: query?.success ? (query.data as Record<string, unknown>) : {},
          body: body?.success ? body.data : req.body,
          store,
        });
        const text = result.body === undefined ? '' : JSON.stringify(result.body);
        if (claimed !== null) {
          // Only a success is remembered: a refused request may be corrected and sent again with its key.
          if (result.status < 300) await deps.idempotency.complete(claimed, result.status, text);
          else await deps.idempotency.release(claimed);
        }
        if (write && result.status < 300) {
          const changed = storeId ?? (result.body as { store?: { id?: string }; alert?: { store_id?: string } } | undefined)?.store?.id ?? (result.body as { alert?: { store_id?: string } } | undefined)?.alert?.store_id;
          if (changed) deps.onStoreChanged?.(changed);
        }
        if (result.retryAfter) res.set('Retry-After', String(result.retryAfter));
        if (result.body === undefined) return res.status(result.status).end();
        res.status(result.status).type('json').send(text);
      } catch (error) {
        if (claimed !== null) await deps.idempotency.release(claimed).catch(() => undefined);
        next(error);
      }
    });
  }
  router.use((_req, res) => sendApiError(res, 404, 'not_found', 'No such endpoint: see /api/v1/openapi.json'));
  return router;
}
