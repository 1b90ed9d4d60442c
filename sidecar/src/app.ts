import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { readRawBody } from './http/body';
import { requireSameStore, requireSignature } from './http/auth';
import { sendError } from './http/errors';
import { signaturesMatch } from './http/signature';
import { eventsRoutes } from './http/events-routes';
import { acknowledgeRoutes } from './http/acknowledge-routes';
import { lifecycleRoutes, type LifecycleRouteDeps } from './http/lifecycle-routes';
import { pageRoutes, type PageRouteDeps } from './http/page-routes';
import { storeRoutes, type StoreRouteDeps } from './http/store-routes';
import type { Metrics } from './metrics';
import type { CheckScheduler } from './queue/check-scheduler';
import type { HealthMonitor } from './services/health-monitor';
import type { EventRepository } from './store/events';
import type { StoreRepository } from './store/stores';
import { apiRouter, type ApiRouterDeps } from './http/api/router';
import { apiRoutes, type ApiRouteDeps } from './http/api/routes';
import { openApiDocument } from './http/api/openapi';
import { apiDocsRoutes } from './http/api/docs-routes';
import type { LiveEvents } from './services/live-events';
import { consoleRoutes, type ConsoleDeps } from './http/console/routes';

export interface AppDeps extends StoreRouteDeps, PageRouteDeps, LifecycleRouteDeps, ApiRouteDeps, ApiRouterDeps {
  stores: StoreRepository;
  events: EventRepository;
  scheduler: CheckScheduler;
  health: HealthMonitor;
  /** Each dependency the sidecar needs to do its work, and whether it answers. */
  readiness: () => Promise<Record<string, boolean>>;
  /** Lets a browser open the pages without a signature (development only). */
  devPages: boolean;
  metrics: Metrics;
  metricsToken: string | undefined;
  /** PUBLIC_URL: the API document's server, and whether the console's cookie is Secure. */
  publicUrl?: string;
  live?: LiveEvents;
  /** The operator console (issue 14); absent in apps built without it. */
  consolePages?: ConsoleDeps['consolePages'];
  log: Logger;
}

/** Errors that say "try again later", answered 503 so the bridge keeps the events and retries. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'PROTOCOL_CONNECTION_LOST',
  'ETIMEDOUT',
  'ENOTFOUND',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

/** Builds the HTTP app without listening, so tests drive it with supertest. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ ok, checks });
  });

  app.get('/metrics', async (req, res) => {
    // Optional: a deployment that exposes the port sets METRICS_TOKEN; scrapers send it as a bearer token.
    if (deps.metricsToken && !signaturesMatch(`Bearer ${deps.metricsToken}`, req.get('Authorization') ?? '')) {
      return sendError(res, 401, 'unauthorized', 'Send METRICS_TOKEN as "Authorization: Bearer <token>"');
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use('/v1', readRawBody);
  const signed = requireSignature(deps.stores);
  app.use('/v1/events', signed, (req, res, next) => {
    // The console hears of arriving orders (debounced) and of a check-in that may end a silence.
    res.on('finish', () => {
      if (res.statusCode === 202 && req.store) {
        deps.live?.ordersArrived(req.store.id);
        deps.live?.storeChanged(req.store.id);
      }
    });
    next();
  }, eventsRoutes(deps));

  // Development only: a page opened in a browser names its store in the path and is not signed.
  const isDevPage = (req: Request) => deps.devPages && req.path.startsWith('/pages/') && !req.get('X-Woom-Signature');
  const stores = express.Router({ mergeParams: true });
  stores.use(async (req, res, next) => {
    if (!isDevPage(req)) return signed(req, res, () => requireSameStore(req, res, next));
    const store = await deps.stores.find(String(req.params.id));
    if (!store) return sendError(res, 404, 'not_found', 'Store not found');
    req.store = store;
    next();
  });
  stores.use('/pages', pageRoutes(deps, (req) => deps.devPages && !req.get('X-Woom-Signature')));
  stores.use(lifecycleRoutes(deps));
  stores.use(storeRoutes(deps));
  app.use('/v1/stores/:id', stores);
  // Operator console and /api/v1 (issue 14): one route table builds the API and its OpenAPI document.
  const routes = apiRoutes(deps);
  const document = openApiDocument(routes, deps.publicUrl ?? '');
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', apiDocsRoutes());
  app.use('/api/v1', apiRouter(routes, { ...deps, onStoreChanged: (storeId) => deps.live?.storeChanged(storeId) }));
  if (deps.consolePages && deps.live) app.use('/console', consoleRoutes({ ...deps, consolePages: deps.consolePages, live: deps.live }));

  // The acknowledge links of alert e-mails: the signed token in the path is the credential.
  app.use('/acknowledge', acknowledgeRoutes(deps));

  app.use((_req, res) => sendError(res, 404, 'not_found', 'No such endpoint'));
  app.use((error: Error & { code?: string }, req: Request, res: Response, _next: NextFunction) => {
    const unavailable = error.code !== undefined && UNAVAILABLE_CODES.has(error.code);
    deps.log.error({ err: error.message, code: error.code, path: req.path }, 'request failed');
    if (res.headersSent) return;
    if (unavailable || /Knex: Timeout acquiring a connection/.test(error.message)) {
      return sendError(res, 503, 'unavailable', 'The database is busy or not answering; nothing was stored, retry later');
    }
    sendError(res, 500, 'internal_error', 'Something went wrong; nothing was changed by this request');
  });
  return app;
}
