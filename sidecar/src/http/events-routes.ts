import { Router } from 'express';
import type { Logger } from 'pino';
import { ingestBodySchema, MAX_EVENTS_PER_REQUEST } from '../domain/events';
import { toFieldErrors } from '../domain/settings';
import type { Metrics } from '../metrics';
import type { CheckScheduler } from '../queue/check-scheduler';
import type { HealthMonitor } from '../services/health-monitor';
import type { IngestGroups } from '../services/ingest-groups';
import type { SalesFeed } from '../services/sales-feed';
import { ReplayedRequestError } from '../store/signed-requests';
import { sendReplayed } from './auth';
import { parseJson } from './body';
import { sendError, sendInvalid } from './errors';

export function eventsRoutes(deps: { ingestGroups: IngestGroups; scheduler: CheckScheduler; metrics: Metrics; health: HealthMonitor; log: Logger; salesFeed?: SalesFeed }): Router {
  const router = Router();
  router.post('/', async (req, res, next) => {
    const store = req.store!;
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const body = parsed.value as { store?: unknown; events?: unknown };
    if (Array.isArray(body?.events) && body.events.length > MAX_EVENTS_PER_REQUEST) {
      return sendInvalid(
        res,
        [{ field: 'events', message: `must hold at most ${MAX_EVENTS_PER_REQUEST} events, got ${body.events.length}` }],
        413,
      );
    }
    if (typeof body?.store === 'string' && body.store !== store.id) {
      return sendError(res, 403, 'forbidden', '"store" in the body differs from X-Woom-Store');
    }
    const valid = ingestBodySchema.safeParse(body);
    if (!valid.success) return sendInvalid(res, toFieldErrors(valid.error));
    try {
      let result;
      try {
        result = await deps.ingestGroups.ingest({ storeId: store.id, events: valid.data.events, receivedAt: new Date(), origin: 'bridge', claim: req.signatureClaim });
      } catch (error) {
        if (error instanceof ReplayedRequestError) return sendReplayed(res);
        throw error;
      }
      res.status(202).json({ accepted: result.accepted, duplicates: result.duplicates });
      deps.metrics.eventsIngested.inc({ store: deps.metrics.store(store.id), result: 'accepted' }, result.accepted);
      deps.metrics.eventsIngested.inc({ store: deps.metrics.store(store.id), result: 'duplicate' }, result.duplicates);
      const heartbeat = valid.data.events.findLast((e) => e.type === 'heartbeat');
      if (heartbeat?.type === 'heartbeat') {
        deps.metrics.recordHeartbeat(store.id, heartbeat.data, new Date());
        // A new health snapshot is judged at once: a checkout that cannot work should not wait for a check.
        if (heartbeat.data?.health) {
          // An alert it opens or resolves is announced to the console by StoreProblemAlerts.
          deps.health.check(store.id).catch((error: Error) => deps.log.warn({ storeId: store.id, err: error.message }, 'health check failed'));
        }
      }
      if (result.newOrderEvents > 0) {
        // The events are safe in MariaDB; if Redis is down the scheduled check still sees them.
        deps.scheduler
          .triggerEventCheck(store.id)
          .catch((error: Error) => deps.log.warn({ storeId: store.id, err: error.message }, 'could not queue an event check'));
        // After the answer, like the check: the feed posts from a job, never inside the ingest request.
        deps.salesFeed
          ?.trigger(store.id)
          .catch((error: Error) => deps.log.warn({ storeId: store.id, err: error.message }, 'could not queue a sales feed run'));
      }
    } catch (error) {
      next(error);
    }
  });
  return router;
}
