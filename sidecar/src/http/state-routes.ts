import { Router } from 'express';
import type { StatusService } from '../services/status-service';
import type { SettingsRepository } from '../store/settings';
import type { ReportRepository } from '../store/reports';
import { sparkline } from './status-chart';

export interface StateRouteDeps {
  settings: SettingsRepository;
  status: StatusService;
  reports: ReportRepository;
}

/**
 * `GET /v1/stores/:id/state`: the compact answer WordPress shows on every admin page (dashboard widget,
 * admin-bar dot, critical notice). The bridge caches it for a minute, so it stays small: the sentence,
 * the colour, today's count, the oldest open critical alert and a 24-hour sparkline.
 */
export function stateRoutes(deps: StateRouteDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/state', async (req, res) => {
    const store = req.store!;
    const settings = (await deps.settings.get(store.id))!;
    const now = new Date();
    const [status, counts] = await Promise.all([
      deps.status.status(store, settings),
      deps.reports.hourlyCounts(store.id, new Date(now.getTime() - 24 * 3600_000), settings.success_statuses, settings.failure_statuses),
    ]);
    const critical = status.open_alerts
      .filter((a) => a.severity === 'critical')
      .sort((a, b) => a.opened_at.localeCompare(b.opened_at))[0];
    res.json({
      state: status.state,
      orders_today: status.orders_today,
      critical_alert: critical ? { id: critical.id, opened_at: critical.opened_at, acknowledged: critical.acknowledged_at !== null } : null,
      sparkline: sparkline(counts, now),
    });
  });
  return router;
}
