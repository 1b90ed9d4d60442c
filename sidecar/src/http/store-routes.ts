import { Router } from 'express';
import type { Logger } from 'pino';
import type { CheckService } from '../services/check-service';
import type { StatusService } from '../services/status-service';
import type { StoreRegistry } from '../services/store-registry';
import type { TestNotificationService } from '../services/test-notification';
import type { SettingsRepository } from '../store/settings';
import { z } from 'zod';
import { toFieldErrors } from '../domain/settings';
import type { Metrics } from '../metrics';
import type { CheckScheduler } from '../queue/check-scheduler';
import { BACKFILL_DAYS, type OrderRecovery } from '../services/order-recovery';
import type { RestSyncRepository } from '../store/rest-sync';
import { parseJson } from './body';
import { sendError, sendInvalid } from './errors';

const restCredentialsSchema = z
  .object({
    consumer_key: z.string().regex(/^ck_[A-Za-z0-9]{8,100}$/, 'must be a WooCommerce consumer key, ck_ followed by letters and digits'),
    consumer_secret: z.string().regex(/^cs_[A-Za-z0-9]{8,100}$/, 'must be a WooCommerce consumer secret, cs_ followed by letters and digits'),
  })
  .strict();

export interface StoreRouteDeps {
  settings: SettingsRepository;
  registry: StoreRegistry;
  checks: CheckService;
  status: StatusService;
  testNotifications: TestNotificationService;
  restSync: RestSyncRepository;
  recovery: OrderRecovery;
  scheduler: CheckScheduler;
  metrics: Metrics;
  log: Logger;
}

/** Mounted at /v1/stores/:id behind the signature and same-store checks. */
export function storeRoutes(deps: StoreRouteDeps): Router {
  const router = Router({ mergeParams: true });

  router.get('/settings', async (req, res) => {
    res.json({ settings: await deps.settings.get(req.store!.id) });
  });

  router.put('/settings', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const actor = req.get('X-Woom-Actor')?.trim() || `api:${req.store!.id}`;
    const result = await deps.registry.updateSettings(req.store!.id, parsed.value, actor);
    if (!result) return sendError(res, 404, 'not_found', 'Store not found');
    if (!result.ok) return sendInvalid(res, result.errors);
    res.json({ settings: result.settings });
  });

  router.get('/status', async (req, res) => {
    const settings = await deps.settings.get(req.store!.id);
    res.json(await deps.status.status(req.store!, settings!));
  });

  router.get('/alerts', async (req, res) => {
    res.json({ alerts: await deps.status.alertHistory(req.store!.id) });
  });

  router.put('/rest-credentials', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const valid = restCredentialsSchema.safeParse(parsed.value);
    if (!valid.success) return sendInvalid(res, toFieldErrors(valid.error));
    const backfillFrom = new Date(Date.now() - BACKFILL_DAYS * 86_400_000);
    await deps.restSync.saveCredentials(req.store!.id, { consumerKey: valid.data.consumer_key, consumerSecret: valid.data.consumer_secret }, backfillFrom);
    await deps.scheduler.triggerRecovery(req.store!.id).catch((error: Error) => deps.log.warn({ err: error.message }, 'could not queue the backfill; the next check reads the orders'));
    res.json({ ok: true, message: `Saved. Orders modified since ${backfillFrom.toISOString()} are being read back.` });
  });

  router.post('/check', async (req, res) => {
    // A manual check, like a scheduled one, first reads back orders the bridge may not have delivered.
    await deps.recovery.recover(req.store!.id);
    const outcome = await deps.checks.run(req.store!.id, 'manual');
    if (!outcome) return sendError(res, 404, 'not_found', 'Store not found');
    deps.metrics.recordCheck(outcome.storeId, outcome.trigger, outcome.decision);
    const detectors = Object.fromEntries(outcome.evaluations.map((result) => [result.detector, result]));
    res.json({
      ran_at: outcome.ranAt.toISOString(),
      detectors,
      decision: outcome.decision.action,
      held_by: 'heldBy' in outcome.decision ? outcome.decision.heldBy : null,
      alert_id: outcome.alertId,
    });
  });

  router.post('/test-notification', async (req, res) => {
    const settings = await deps.settings.get(req.store!.id);
    res.json(await deps.testNotifications.send(req.store!, settings!));
  });

  return router;
}
