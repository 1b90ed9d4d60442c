import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { readRawBody } from './http/body';
import { requireSameStore, requireSignature } from './http/auth';
import { failureAnswer, sendError } from './http/errors';
import { securityHeaders } from './http/security-headers';
import { devCsrfToken, hasDevCsrfToken } from './http/dev-csrf';
import { signaturesMatch } from './http/signature';
import { eventsRoutes } from './http/events-routes';
import { acknowledgeRoutes } from './http/acknowledge-routes';
import { lifecycleRoutes, type LifecycleRouteDeps } from './http/lifecycle-routes';
import { stateRoutes } from './http/state-routes';
import { pageRoutes, settingsForm, type PageRouteDeps } from './http/page-routes';
import { storeRoutes, type StoreRouteDeps } from './http/store-routes';
import { figuresRoutes, type FiguresRouteDeps } from './http/figures-routes';
import { rulesRoutes, type RulesRouteDeps } from './http/rules-routes';
import type { Metrics } from './metrics';
import type { CheckScheduler } from './queue/check-scheduler';
import type { HealthMonitor } from './services/health-monitor';
import type { IngestGroups } from './services/ingest-groups';
import type { StoreRepository } from './store/stores';
import type { SignedRequestRepository } from './store/signed-requests';
import { apiRouter, type ApiRouterDeps } from './http/api/router';
import { apiRoutes, type ApiRouteDeps } from './http/api/routes';
import { openApiDocument } from './http/api/openapi';
import { apiDocsRoutes } from './http/api/docs-routes';
import type { LiveEvents } from './services/live-events';
import { consoleRoutes, type ConsoleDeps } from './http/console/routes';

export interface AppDeps extends StoreRouteDeps, PageRouteDeps, LifecycleRouteDeps, FiguresRouteDeps, RulesRouteDeps, ApiRouteDeps, ApiRouterDeps {
  stores: StoreRepository;
  signedRequests: SignedRequestRepository;
  ingestGroups: IngestGroups;
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

/** The peer's address as the socket saw it (trust proxy is off, so no header can claim loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const ip = address.replace(/^::ffff:/, '');
  return ip === '::1' || /^127\.\d+\.\d+\.\d+$/.test(ip);
}

/** Builds the HTTP app without listening, so tests drive it with supertest. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // First, so every answer has them, also the pages other routers add.
  app.use(securityHeaders());

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ ok, checks });
  });

  app.get('/metrics', async (req, res) => {
    // Store ids, alert counts and the process's figures are not for everyone who can reach the port: a
    // scraper elsewhere sends METRICS_TOKEN as a bearer token; without one, only this machine may read.
    if (deps.metricsToken) {
      if (!signaturesMatch(`Bearer ${deps.metricsToken}`, req.get('Authorization') ?? '')) {
        return sendError(res, 401, 'unauthorized', 'Send METRICS_TOKEN as "Authorization: Bearer <token>"');
      }
    } else if (!isLoopback(req.socket.remoteAddress)) {
      return sendError(res, 403, 'forbidden', 'Metrics answer this machine only; set METRICS_TOKEN to scrape from elsewhere');
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const signed = requireSignature(deps.stores, deps.signedRequests);
  // The ingest records the signature in its own transaction: one commit per batch instead of two.
  app.use('/v1/events', requireSignature(deps.stores, deps.signedRequests, { claimInRoute: true }), (req, res, next) => {
    // The console hears of arriving orders and check-ins, debounced: one event a store every two seconds
    // at most. An alert a check-in or a health snapshot opens or ends is announced by the check that
    // judges it; comparing the store's open alerts on every request cost a query a request (a third of
    // the ingest's time in MariaDB with 100 stores sending at once).
    res.on('finish', () => {
      if (res.statusCode === 202 && req.store) deps.live?.ordersArrived(req.store.id);
    });
    next();
  }, eventsRoutes(deps));

  // Development only: a page opened in a browser names its store in the path and is not signed.
  // Only a browser on this machine: the flag must not open a store's pages to the network.
  const isDevPage = (req: Request) => deps.devPages && req.path.startsWith('/pages/') && !req.get('X-Woom-Signature') && isLoopback(req.socket.remoteAddress);
  const stores = express.Router({ mergeParams: true });
  stores.use(async (req, res, next) => {
    if (!isDevPage(req)) return signed(req, res, () => requireSameStore(req, res, next));
    const store = await deps.stores.find(String(req.params.id));
    if (!store) return sendError(res, 404, 'not_found', 'Store not found');
    req.store = store;
    res.locals.devCsrf = devCsrfToken(store);
    readRawBody(req, res, () => {
      if (req.method === 'POST' && !hasDevCsrfToken(req, store)) {
        return sendError(res, 403, 'forbidden', 'The form is missing its _csrf token: reload the page and submit it again');
      }
      next();
    });
  });
  // One settings form for the WordPress tab and the console's store page (its suggestions cached once).
  const settingsFormShared = settingsForm(deps);
  stores.use('/pages', pageRoutes(deps, (req) => deps.devPages && !req.get('X-Woom-Signature'), settingsFormShared));
  stores.use(lifecycleRoutes(deps));
  stores.use(stateRoutes(deps));
  stores.use(storeRoutes(deps));
  stores.use(figuresRoutes(deps));
  stores.use(rulesRoutes(deps));
  app.use('/v1/stores/:id', stores);
  // Operator console and /api/v1 (issue 14): one route table builds the API and its OpenAPI document.
  const routes = apiRoutes(deps);
  const document = openApiDocument(routes, deps.publicUrl ?? '');
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/api/docs', apiDocsRoutes());
  app.use('/api/v1', apiRouter(routes, { ...deps, onStoreChanged: (storeId) => deps.live?.storeChanged(storeId) }));
  if (deps.consolePages && deps.live) {
    app.use('/console', consoleRoutes({ ...deps, consolePages: deps.consolePages, live: deps.live, settingsForm: settingsFormShared }));
    // Whoever opens the sidecar's bare address (a newcomer after `npm start`) lands on the console.
    app.get('/', (_req, res) => res.redirect(302, '/console'));
  }

  // The acknowledge links of alert e-mails: the signed token in the path is the credential.
  app.use('/acknowledge', acknowledgeRoutes(deps));

  app.use((_req, res) => sendError(res, 404, 'not_found', 'No such endpoint'));
  app.use((error: Error & { code?: string }, req: Request, res: Response, _next: NextFunction) => {
    deps.log.error({ err: error.message, code: error.code, path: req.path }, 'request failed');
    if (res.headersSent) return;
    const answer = failureAnswer(error);
    if (answer.retryAfter) res.set('Retry-After', String(answer.retryAfter));
    sendError(res, answer.status, answer.error, answer.message);
  });
  return app;
}
