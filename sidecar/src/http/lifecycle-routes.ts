import { Router, type Request } from 'express';
import type { Acknowledgements } from '../services/acknowledgements';
import { windowView, type MaintenanceWindows } from '../services/maintenance-windows';
import { alertView } from '../services/status-service';
import { parseJson } from './body';
import { sendError, sendInvalid } from './errors';

export interface LifecycleRouteDeps {
  acknowledgements: Acknowledgements;
  maintenanceService: MaintenanceWindows;
}

/** Who did it: the WordPress user the bridge names, else the API caller. */
const actorOf = (req: Request): string => req.get('X-Woom-Actor')?.trim() || `api:${req.store!.id}`;

/**
 * Mounted at /v1/stores/:id behind the signature: acknowledging an alert, and the store's maintenance
 * windows (README, "Alert lifecycle").
 */
export function lifecycleRoutes(deps: LifecycleRouteDeps): Router {
  const router = Router({ mergeParams: true });

  router.post('/alerts/:alertId/acknowledge', async (req, res) => {
    const alertId = Number(req.params.alertId);
    const outcome = Number.isSafeInteger(alertId) ? await deps.acknowledgements.byStore(req.store!.id, alertId, actorOf(req)) : { result: 'not_found' as const };
    if (outcome.result === 'not_found') return sendError(res, 404, 'not_found', 'No such alert for this store');
    // Acknowledging twice is harmless: the first acknowledgement stands and the answer says so.
    res.status(outcome.result === 'resolved' ? 409 : 200).json({ result: outcome.result, alert: alertView(outcome.alert) });
  });

  router.get('/maintenance', async (req, res) => {
    const now = new Date();
    res.json({ windows: (await deps.maintenanceService.currentAndUpcoming(req.store!.id, now)).map((w) => windowView(w, now)) });
  });

  router.post('/maintenance', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const now = new Date();
    const result = await deps.maintenanceService.start(req.store!.id, parsed.value, actorOf(req), now);
    if (!result.ok) return sendInvalid(res, result.errors);
    res.status(201).json({ window: windowView(result.window, now) });
  });

  router.delete('/maintenance/:windowId', async (req, res) => {
    const now = new Date();
    const ended = await deps.maintenanceService.end(req.store!.id, Number(req.params.windowId), actorOf(req), now);
    if (!ended) return sendError(res, 404, 'not_found', 'No current or upcoming maintenance window with this id for this store');
    res.json({ window: windowView(ended, now) });
  });

  return router;
}
