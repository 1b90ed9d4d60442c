import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { decideStoreProblem, untoldCauses } from '../domain/alert-policy';
import { inMaintenance } from '../domain/maintenance';
import type { AnyNotificationContent } from '../notify/renderer';
import type { AlertRecord, AlertRepository } from '../store/alerts';
import type { MaintenanceRepository } from '../store/maintenance';
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
 * What an open store-problem alert says now. `causes` are the problems it stands for, in keys that stay
 * the same while the problem does; `notice` is sent once for causes the admin has not been told of in
 * this alert (the details keep `told`), so numbers changing, or a cause coming and going, send nothing.
 */
export interface StoreProblemUpdate {
  detector: StoreDetector;
  details: Record<string, unknown>;
  causes: string[];
  notice: (alert: AlertRecord, untold: string[]) => { kind: NotificationKind; content: AnyNotificationContent };
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
      maintenance: MaintenanceRepository;
      dispatch: (notificationIds: number[]) => Promise<void>;
      log: Logger;
      /** Told of each alert opened, once its transaction committed (woom_alerts_total). */
      onOpened?: (storeId: string, detector: string) => void;
      /** Told of each alert opened, resolved or brought up to date, once its transaction committed (the console's live events). */
      onChanged?: (storeId: string) => void;
    },
  ) {}

  /** Opens or resolves the alert to match `change.present`; true when it did either. */
  async apply(storeId: string, change: StoreProblemChange, now = new Date()): Promise<boolean> {
    const { db, alerts, notifications, maintenance, log } = this.deps;
    let opened = false;
    const { changed, ids } = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return { changed: false, ids: [] };
      const current = await alerts.openStoreAlert(storeId, change.detector, trx);
      const windows = await maintenance.currentAndUpcoming(storeId, now, trx);
      const decision = decideStoreProblem({ present: change.present, open: current, inMaintenance: inMaintenance(windows, now) });
      if (decision.action === 'open') {
        const alertId = await alerts.insert(trx, {
          storeId,
          detector: change.detector,
          severity: 'critical',
          openedAt: now,
          notifiedAt: decision.held ? null : now,
          details: change.opened.details,
        });
        const content = change.opened.content(alertId);
        const status = decision.held ? 'held' : 'pending';
        const id = await notifications.create(trx, { storeId, alertId, kind: change.opened.kind, content, createdAt: now, status });
        opened = true;
        return { changed: true, ids: decision.held ? [] : [id] };
      }
      if (decision.action === 'resolve' && current && (await alerts.resolve(trx, current.id, now))) {
        if (!decision.notify) return { changed: true, ids: [] };
        const { kind, content } = change.resolved(current);
        return { changed: true, ids: [await notifications.create(trx, { storeId, alertId: current.id, kind, content, createdAt: now })] };
      }
      return { changed: false, ids: [] };
    });
    if (opened) this.deps.onOpened?.(storeId, change.detector);
    if (changed) this.deps.onChanged?.(storeId);
    if (ids.length === 0) return changed;
    await this.deps.dispatch(ids).catch((error: Error) => log.warn({ storeId, err: error.message }, 'could not queue notifications; the pending sweep will'));
    return true;
  }

  /**
   * Keeps the open alert's details current (the status page and the order alert's explanation read
   * them) and tells the admin once of each new cause, under the store's row lock like `apply`: two
   * checks at once never send one cause twice. A notice in a maintenance window is held like `apply`'s.
   * True when a notice was created.
   */
  async update(storeId: string, change: StoreProblemUpdate, now = new Date()): Promise<boolean> {
    const { db, alerts, notifications, maintenance, log } = this.deps;
    let updated = false;
    const ids = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return [];
      const current = await alerts.openStoreAlert(storeId, change.detector, trx);
      if (!current) return [];
      const told = toldCauses(current.details);
      const untold = untoldCauses(told, change.causes);
      const details = { ...change.details, causes: change.causes, told: [...told, ...untold] };
      if (JSON.stringify(details) !== JSON.stringify(current.details)) {
        await alerts.updateDetails(trx, current.id, details);
        updated = true;
      }
      if (untold.length === 0) return [];
      const held = inMaintenance(await maintenance.currentAndUpcoming(storeId, now, trx), now);
      const { kind, content } = change.notice(current, untold);
      const id = await notifications.create(trx, { storeId, alertId: current.id, kind, content, createdAt: now, status: held ? 'held' : 'pending' });
      return held ? [] : [id];
    });
    if (updated) this.deps.onChanged?.(storeId);
    if (ids.length === 0) return false;
    await this.deps.dispatch(ids).catch((error: Error) => log.warn({ storeId, err: error.message }, 'could not queue notifications; the pending sweep will'));
    return true;
  }

  /**
   * After a maintenance window: each notice it held is sent if its alert is still open (the problem
   * outlived the window), or suppressed if the problem ended inside it. Run by the upkeep job.
   */
  async releaseHeld(now = new Date()): Promise<number> {
    const { db, alerts, notifications, maintenance, log } = this.deps;
    const released: number[] = [];
    for (const notice of await notifications.held()) {
      await db.transaction(async (trx) => {
        if (!(await alerts.lockStore(trx, notice.storeId))) return;
        if (inMaintenance(await maintenance.currentAndUpcoming(notice.storeId, now, trx), now)) return;
        const alert = notice.alertId === null ? null : await alerts.find(notice.alertId, trx);
        if (alert?.state !== 'open') {
          await notifications.releaseHeld(trx, notice.id, 'suppressed', now);
          return;
        }
        if (await notifications.releaseHeld(trx, notice.id, 'pending', now)) {
          await alerts.markNotified(trx, alert.id, now, alert.severity);
          released.push(notice.id);
        }
      });
    }
    if (released.length > 0) {
      await this.deps.dispatch(released).catch((error: Error) => log.warn({ err: error.message }, 'could not queue notifications; the pending sweep will'));
    }
    return released.length;
  }
}

/** The causes an alert's notices named: `told`, or for an alert opened before it was kept, `causes` or `problems`. */
function toldCauses(details: Record<string, unknown>): string[] {
  for (const key of ['told', 'causes', 'problems']) {
    const value = details[key];
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  }
  return [];
}
