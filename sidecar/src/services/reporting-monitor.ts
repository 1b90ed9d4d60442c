import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { evaluateReporting, type ReportingResult } from '../domain/reporting';
import { blindContent, blindResolvedContent } from '../notify/reporting-content';
import { REPORTING_DETECTOR, type AlertRepository } from '../store/alerts';
import type { NotificationRepository } from '../store/notifications';
import type { RestSyncRepository } from '../store/rest-sync';
import type { SettingsRepository } from '../store/settings';
import type { StoreRepository } from '../store/stores';
import { WooCommerceOrdersApi } from '../woocommerce/orders-api';

export interface ReportingDeps {
  db: Knex;
  stores: StoreRepository;
  settings: SettingsRepository;
  alerts: AlertRepository;
  notifications: NotificationRepository;
  restSync: RestSyncRepository;
  dispatch: (notificationIds: number[]) => Promise<void>;
  log: Logger;
  restTimeoutMs?: number;
}

/**
 * Knows when the monitor is blind: no event, not even a heartbeat, from WordPress for 15 minutes. That
 * opens one alert of its own ("WordPress stopped reporting"), never an order alert, and resolves it
 * with a notice when WordPress reports again. With REST keys it asks the store itself, to say whether
 * the site answers at all.
 */
export class ReportingMonitor {
  constructor(private readonly deps: ReportingDeps) {}

  async check(storeId: string, now = new Date()): Promise<ReportingResult | null> {
    const { db, stores, settings: settingsRepo, alerts, notifications, log } = this.deps;
    const store = await stores.find(storeId);
    const settings = store ? await settingsRepo.get(storeId) : null;
    if (!store || !settings) return null;
    const result = evaluateReporting(now, store.lastContactAt);
    if (!settings.enabled) return { ...result, breached: false };
    const open = await alerts.openStoreAlert(storeId, REPORTING_DETECTOR);
    if (result.breached === Boolean(open)) return result;

    const siteAnswer = result.breached ? await this.askTheStore(storeId, store.url) : null;
    const notificationIds = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return [];
      const current = await alerts.openStoreAlert(storeId, REPORTING_DETECTOR, trx);
      if (result.breached && !current) {
        const alertId = await alerts.insert(trx, {
          storeId,
          detector: REPORTING_DETECTOR,
          severity: 'critical',
          openedAt: now,
          notifiedAt: now,
          details: { findings: [{ summary: result.summary }], siteAnswer, silentSince: store.lastContactAt!.toISOString() },
        });
        const content = blindContent(store, settings, alertId, store.lastContactAt!, now, siteAnswer);
        return [await notifications.create(trx, { storeId, alertId, kind: 'blind', content, createdAt: now })];
      }
      if (!result.breached && current && (await alerts.resolve(trx, current.id, now))) {
        const silentSince = typeof current.details.silentSince === 'string' ? new Date(current.details.silentSince) : current.openedAt;
        const content = blindResolvedContent(store, settings, current.id, silentSince, now);
        return [await notifications.create(trx, { storeId, alertId: current.id, kind: 'blind_resolved', content, createdAt: now })];
      }
      return [];
    });
    if (notificationIds.length > 0) {
      log.info({ event: 'reporting', storeId, breached: result.breached, summary: result.summary, siteAnswer }, 'WordPress reporting changed');
      await this.deps.dispatch(notificationIds).catch((error: Error) => log.warn({ storeId, err: error.message }, 'could not queue notifications; the pending sweep will'));
    }
    return result;
  }

  private async askTheStore(storeId: string, storeUrl: string): Promise<string | null> {
    const credentials = await this.deps.restSync.credentials(storeId);
    if (!credentials) return null;
    try {
      await new WooCommerceOrdersApi(storeUrl, credentials, this.deps.restTimeoutMs).modifiedAfter(new Date(), 1);
      return "the store's WooCommerce REST API answers, so WordPress runs: the bridge's background sender (WP-Cron or Action Scheduler) or the plugin itself has probably stopped";
    } catch (error) {
      const e = error as { status?: number | null; message?: string };
      return e.status
        ? `the store answers, but with an error (${e.message})`
        : `the store does not answer at all: the site may be down (${e.message})`;
    }
  }
}
