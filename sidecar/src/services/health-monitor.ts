import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { healthProblems, healthSnapshotSchema, type HealthProblem } from '../domain/store-health';
import { healthContent, healthResolvedContent } from '../notify/health-content';
import { HEALTH_DETECTOR, type AlertRepository } from '../store/alerts';
import type { NotificationRepository } from '../store/notifications';
import type { SettingsRepository } from '../store/settings';
import type { StoreRepository } from '../store/stores';

export interface HealthDeps {
  db: Knex;
  stores: StoreRepository;
  settings: SettingsRepository;
  alerts: AlertRepository;
  notifications: NotificationRepository;
  dispatch: (notificationIds: number[]) => Promise<void>;
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
    const { db, stores, settings: settingsRepo, alerts, notifications, log } = this.deps;
    const store = await stores.find(storeId);
    const settings = store ? await settingsRepo.get(storeId) : null;
    if (!store || !settings || !store.health || !store.healthAt) return null;
    const parsed = healthSnapshotSchema.safeParse(store.health);
    if (!parsed.success) return null;
    const problems = settings.enabled ? healthProblems(parsed.data) : [];
    const open = await alerts.openStoreAlert(storeId, HEALTH_DETECTOR);
    if ((problems.length > 0) === Boolean(open)) return problems;

    const notificationIds = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return [];
      const current = await alerts.openStoreAlert(storeId, HEALTH_DETECTOR, trx);
      if (problems.length > 0 && !current) {
        const alertId = await alerts.insert(trx, {
          storeId,
          detector: HEALTH_DETECTOR,
          severity: 'critical',
          openedAt: now,
          notifiedAt: now,
          details: { findings: problems.map((p) => ({ summary: p.message })), problems: problems.map((p) => p.key), snapshotAt: store.healthAt!.toISOString() },
        });
        const content = healthContent(store, settings, alertId, problems, store.healthAt!);
        return [await notifications.create(trx, { storeId, alertId, kind: 'health', content, createdAt: now })];
      }
      if (problems.length === 0 && current && (await alerts.resolve(trx, current.id, now))) {
        const content = healthResolvedContent(store, settings, current.id, current.openedAt, now);
        return [await notifications.create(trx, { storeId, alertId: current.id, kind: 'health_resolved', content, createdAt: now })];
      }
      return [];
    });
    if (notificationIds.length > 0) {
      log.info({ event: 'health', storeId, problems: problems.map((p) => p.key) }, 'store health changed');
      await this.deps.dispatch(notificationIds).catch((error: Error) => log.warn({ storeId, err: error.message }, 'could not queue notifications; the pending sweep will'));
    }
    return problems;
  }
}
