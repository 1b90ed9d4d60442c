import type { Logger } from 'pino';
import { healthProblems, healthSnapshotSchema, type HealthProblem } from '../domain/store-health';
import { healthContent, healthResolvedContent } from '../notify/health-content';
import { HEALTH_DETECTOR, type AlertRepository } from '../store/alerts';
import type { SettingsRepository } from '../store/settings';
import type { StoreRepository } from '../store/stores';
import type { StoreProblemAlerts } from './store-problem-alerts';

export interface HealthDeps {
  stores: StoreRepository;
  settings: SettingsRepository;
  alerts: AlertRepository;
  problems: StoreProblemAlerts;
  log: Logger;
}

/**
 * Reads the last health snapshot the bridge sent and keeps one alert open while it shows that checkout
 * cannot work (no payment method, no published checkout page, fatal errors), resolving it with a notice
 * when a later snapshot is clean. Each snapshot is judged once: a new problem in a later one while the
 * alert is open changes nothing, so the admin is not told twice about one broken checkout.
 */
export class HealthMonitor {
  constructor(private readonly deps: HealthDeps) {}

  async check(storeId: string, now = new Date()): Promise<HealthProblem[] | null> {
    const { stores, settings: settingsRepo, alerts, log } = this.deps;
    const store = await stores.find(storeId);
    const settings = store ? await settingsRepo.get(storeId) : null;
    if (!store || !settings || !store.health || !store.healthAt) return null;
    const parsed = healthSnapshotSchema.safeParse(store.health);
    if (!parsed.success) return null;
    const problems = settings.enabled ? healthProblems(parsed.data) : [];
    const open = await alerts.openStoreAlert(storeId, HEALTH_DETECTOR);
    if ((problems.length > 0) === Boolean(open)) return problems;

    const changed = await this.deps.problems.apply(
      storeId,
      {
        detector: HEALTH_DETECTOR,
        present: problems.length > 0,
        opened: {
          details: { findings: problems.map((p) => ({ summary: p.message })), problems: problems.map((p) => p.key), snapshotAt: store.healthAt.toISOString() },
          kind: 'health',
          content: (alertId) => healthContent(store, settings, alertId, problems, store.healthAt!),
        },
        resolved: (alert) => ({ kind: 'health_resolved', content: healthResolvedContent(store, settings, alert.id, alert.openedAt, now) }),
      },
      now,
    );
    if (changed) log.info({ event: 'health', storeId, problems: problems.map((p) => p.key) }, 'store health changed');
    return problems;
  }
}
