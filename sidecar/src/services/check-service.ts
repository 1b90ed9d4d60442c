import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { decideAlert, type AlertDecision } from '../domain/alert-policy';
import {
  evaluateRollingAverage,
  evaluateTimeBased,
  severityOf,
  timeBasedWindow,
  type DetectorResult,
} from '../domain/detectors';
import { enabledDetectors, type DetectorName, type Settings } from '../domain/settings';
import { alertContent, findingOf, resolvedContent, type NotificationContent } from '../notify/content';
import { AlertRepository } from '../store/alerts';
import type { NotificationRepository } from '../store/notifications';
import type { OrderRepository } from '../store/orders';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';

export type CheckTrigger = 'schedule' | 'event' | 'manual';

export interface CheckOutcome {
  storeId: string;
  ranAt: Date;
  trigger: CheckTrigger;
  evaluations: DetectorResult[];
  decision: AlertDecision;
  alertId: number | null;
}

export interface CheckServiceDeps {
  db: Knex;
  stores: StoreRepository;
  settings: SettingsRepository;
  orders: OrderRepository;
  alerts: AlertRepository;
  notifications: NotificationRepository;
  /** Hands new notifications to delivery; a failure here is caught up by the pending sweep. */
  dispatch: (notificationIds: number[]) => Promise<void>;
  log: Logger;
}

/**
 * Runs one store's check: reads what the detectors need, asks the pure domain functions, and writes the
 * decision. The decision is taken under the store's row lock, so concurrent checks of one store (the
 * schedule, an event burst, a second sidecar) see each other's alerts and never send one twice.
 */
export class CheckService {
  constructor(private readonly deps: CheckServiceDeps) {}

  async evaluate(store: StoreRecord, settings: Settings, now: Date, detectors: readonly DetectorName[]): Promise<DetectorResult[]> {
    const storeId = store.id;
    const results: DetectorResult[] = [];
    if (detectors.includes('time_based')) {
      const window = timeBasedWindow(now, settings);
      const orders = await this.deps.orders.createdBetween(storeId, window.start, window.end);
      results.push(evaluateTimeBased(now, settings, orders, store.firstContactAt));
    }
    if (detectors.includes('rolling_average')) {
      const statuses = [...settings.success_statuses, ...settings.failure_statuses];
      const recent = await this.deps.orders.latestWithStatus(storeId, statuses, settings.rad_window_size);
      results.push(evaluateRollingAverage(settings, recent));
    }
    return results;
  }

  async run(storeId: string, trigger: CheckTrigger, now = new Date()): Promise<CheckOutcome | null> {
    const { stores, settings: settingsRepo, db, alerts, notifications, log } = this.deps;
    const store = await stores.find(storeId);
    const settings = store ? await settingsRepo.get(storeId) : null;
    if (!store || !settings) return null;

    // An event can only move RAD; the time-based window is the schedule's business. Where RAD cannot
    // alert, an event-triggered run would only contend for the store's lock with the next ingest.
    const detectors: DetectorName[] = trigger === 'event' ? ['rolling_average'] : ['time_based', 'rolling_average'];
    if (trigger === 'event' && !(settings.enabled && enabledDetectors(settings.mode).includes('rolling_average'))) {
      return { storeId, ranAt: now, trigger, evaluations: [], decision: { action: 'none', reason: 'disabled' }, alertId: null };
    }
    const evaluations = await this.evaluate(store, settings, now, detectors);

    const { decision, alertId, notificationIds } = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return { decision: null, alertId: null, notificationIds: [] };
      const open = await alerts.openAlert(storeId, trx);
      const stats = await notifications.alertingStats(trx, storeId, now);
      const decision = decideAlert({
        now,
        settings,
        evaluations,
        openAlert: AlertRepository.openAlertFacts(open),
        lastNotifiedAt: stats.lastNotifiedAt,
        notificationsLast24h: stats.last24h,
      });
      const applied = await this.apply(trx, decision, store, settings, open?.detector ?? '', open?.openedAt ?? now, now);
      await alerts.recordCheckRun(trx, {
        storeId,
        ranAt: now,
        trigger,
        mode: settings.mode,
        results: evaluations,
        decision: decision.action,
        heldBy: 'heldBy' in decision ? decision.heldBy : null,
        alertId: applied.alertId,
      });
      return { decision, ...applied };
    });
    if (!decision) return null;

    if (notificationIds.length > 0) {
      await this.deps.dispatch(notificationIds).catch((error: Error) =>
        log.warn({ storeId, notificationIds, err: error.message }, 'could not queue notifications; the pending sweep will'),
      );
    }
    log.info(
      {
        event: 'check',
        storeId,
        trigger,
        mode: settings.mode,
        results: evaluations.map((r) => ({ detector: r.detector, breached: r.breached, summary: r.summary })),
        decision: decision.action,
        heldBy: 'heldBy' in decision ? decision.heldBy : undefined,
        alertId,
      },
      'check run',
    );
    return { storeId, ranAt: now, trigger, evaluations, decision, alertId };
  }

  private async apply(
    trx: Knex.Transaction,
    decision: AlertDecision,
    store: StoreRecord,
    settings: Settings,
    openDetector: string,
    openedAt: Date,
    now: Date,
  ): Promise<{ alertId: number | null; notificationIds: number[] }> {
    const { alerts, notifications } = this.deps;
    const notify = async (alertId: number, content: NotificationContent) => [
      await notifications.create(trx, { storeId: store.id, alertId, kind: content.kind, content, createdAt: now }),
    ];
    switch (decision.action) {
      case 'none':
        return { alertId: null, notificationIds: [] };
      case 'open': {
        const alertId = await alerts.insert(trx, {
          storeId: store.id,
          detector: decision.fired.map((r) => r.detector).join(','),
          severity: severityOf(decision.fired),
          openedAt: now,
          notifiedAt: decision.notify ? now : null,
          details: { findings: decision.fired.map((r) => findingOf(r, settings.timezone)), results: decision.fired },
        });
        if (!decision.notify) return { alertId, notificationIds: [] };
        const content = alertContent('alert', store, settings, { id: alertId, openedAt: now }, decision.fired, now);
        return { alertId, notificationIds: await notify(alertId, content) };
      }
      case 'remind': {
        await alerts.markNotified(trx, decision.alertId, now, severityOf(decision.fired));
        const content = alertContent('reminder', store, settings, { id: decision.alertId, openedAt }, decision.fired, now);
        return { alertId: decision.alertId, notificationIds: await notify(decision.alertId, content) };
      }
      case 'hold':
        return { alertId: decision.alertId, notificationIds: [] };
      case 'resolve': {
        const resolved = await alerts.resolve(trx, decision.alertId, now);
        if (!resolved || !decision.notify) return { alertId: decision.alertId, notificationIds: [] };
        const content = resolvedContent(store, settings, { id: decision.alertId, openedAt, detector: openDetector }, now);
        return { alertId: decision.alertId, notificationIds: await notify(decision.alertId, content) };
      }
    }
  }
}
