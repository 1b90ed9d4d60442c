import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { AnyNotificationContent } from '../notify/renderer';
import type { AlertRecord, AlertRepository } from '../store/alerts';
import type { NotificationKind, NotificationRepository } from '../store/notifications';

type StoreDetector = Parameters<AlertRepository['openStoreAlert']>[1];

export interface StoreProblemChange {
  detector: StoreDetector;
  /** Whether the problem is there now. */
  present: boolean;
  opened: { details: unknown; kind: NotificationKind; content: (alertId: number) => AnyNotificationContent };
  resolved: (alert: AlertRecord) => { kind: NotificationKind; content: AnyNotificationContent };
}

/**
 * A store's own problems (WordPress silent, checkout cannot work) are alerts of their own: one open
 * alert per problem, opened and resolved under the store's row lock with a notice each way, so two
 * checks at once never open it twice or send two notices.
 */
export class StoreProblemAlerts {
  constructor(
    private readonly deps: {
      db: Knex;
      alerts: AlertRepository;
      notifications: NotificationRepository;
      dispatch: (notificationIds: number[]) => Promise<void>;
      log: Logger;
    },
  ) {}

  /** Opens or resolves the alert to match `change.present`; true when it did either. */
  async apply(storeId: string, change: StoreProblemChange, now = new Date()): Promise<boolean> {
    const { db, alerts, notifications, log } = this.deps;
    const ids = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return [];
      const current = await alerts.openStoreAlert(storeId, change.detector, trx);
      if (change.present && !current) {
        const alertId = await alerts.insert(trx, {
          storeId,
          detector: change.detector,
          severity: 'critical',
          openedAt: now,
          notifiedAt: now,
          details: change.opened.details,
        });
        const content = change.opened.content(alertId);
        return [await notifications.create(trx, { storeId, alertId, kind: change.opened.kind, content, createdAt: now })];
      }
      if (!change.present && current && (await alerts.resolve(trx, current.id, now))) {
        const { kind, content } = change.resolved(current);
        return [await notifications.create(trx, { storeId, alertId: current.id, kind, content, createdAt: now })];
      }
      return [];
    });
    if (ids.length === 0) return false;
    await this.deps.dispatch(ids).catch((error: Error) => log.warn({ storeId, err: error.message }, 'could not queue notifications; the pending sweep will'));
    return true;
  }
}
