import { Router } from 'express';
import type { Logger } from 'pino';
import type { CheckService } from '../services/check-service';
import type { StatusService } from '../services/status-service';
import type { StoreRegistry } from '../services/store-registry';
import type { TestNotificationService } from '../services/test-notification';
import type { SettingsRepository } from '../store/settings';
import { parseJson } from './body';
import { sendError, sendInvalid } from './errors';

export interface StoreRouteDeps {
  settings: SettingsRepository;
  registry: StoreRegistry;
  checks: CheckService;
  status: StatusService;
  testNotifications: TestNotificationService;
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

  router.post('/check', async (req, res) => {
    const outcome = await deps.checks.run(req.store!.id, 'manual');
    if (!outcome) return sendError(res, 404, 'not_found', 'Store not found');
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
