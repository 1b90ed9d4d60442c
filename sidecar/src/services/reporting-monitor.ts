import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { evaluateReporting, type ReportingResult } from '../domain/reporting';
import { blindContent, blindResolvedContent } from '../notify/reporting-content';
import { REPORTING_DETECTOR, type AlertRepository } from '../store/alerts';
import type { RestSyncRepository } from '../store/rest-sync';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';
import type { Settings } from '../domain/settings';
import { WooCommerceOrdersApi } from '../woocommerce/orders-api';
import type { StoreProblemAlerts } from './store-problem-alerts';

export interface ReportingDeps {
  stores: StoreRepository;
  settings: SettingsRepository;
  alerts: AlertRepository;
  problems: StoreProblemAlerts;
  restSync: RestSyncRepository;
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

  /**
   * `known`: the store, its settings and its open alerts as the scheduled job read them at its start
   * (CheckService.load). An alert opened or resolved since is judged again under the store's lock when
   * this check would change it, and otherwise by the next check.
   */
  async check(
    storeId: string,
    now = new Date(),
    known?: { store: StoreRecord; settings: Settings | null; openAlertDetectors?: readonly string[] } | null,
  ): Promise<ReportingResult | null> {
    const { stores, settings: settingsRepo, alerts, log } = this.deps;
    const store = known === undefined ? await stores.find(storeId) : (known?.store ?? null);
    const settings = known === undefined ? (store ? await settingsRepo.get(storeId) : null) : (known?.settings ?? null);
    if (!store || !settings) return null;
    const result = evaluateReporting(now, store.lastContactAt);
    if (!settings.enabled) return { ...result, breached: false };
    const open = known?.openAlertDetectors ? known.openAlertDetectors.includes(REPORTING_DETECTOR) : Boolean(await alerts.openStoreAlert(storeId, REPORTING_DETECTOR));
    if (result.breached === open) return result;

    const siteAnswer = result.breached ? await this.askTheStore(storeId, store.url) : null;
    const changed = await this.deps.problems.apply(
      storeId,
      {
        detector: REPORTING_DETECTOR,
        present: result.breached,
        opened: {
          details: { findings: [{ summary: result.summary }], siteAnswer, silentSince: store.lastContactAt!.toISOString() },
          kind: 'blind',
          content: (alertId) => blindContent(store, settings, alertId, store.lastContactAt!, now, siteAnswer),
        },
        resolved: (alert) => {
          const silentSince = typeof alert.details.silentSince === 'string' ? new Date(alert.details.silentSince) : alert.openedAt;
          return { kind: 'blind_resolved', content: blindResolvedContent(store, settings, alert.id, silentSince, now) };
        },
      },
      now,
    );
    if (changed) log.info({ event: 'reporting', storeId, breached: result.breached, summary: result.summary, siteAnswer }, 'WordPress reporting changed');
    return result;
  }

  private async askTheStore(storeId: string, storeUrl: string): Promise<string | null> {
    const credentials = await this.deps.restSync.credentials(storeId);
    if (!credentials) return null;
    try {
      await new WooCommerceOrdersApi(storeUrl, credentials, this.deps.restTimeoutMs).modifiedAfter(new Date(), 1);
      return "your store answers, so WordPress runs: its scheduled tasks, or the Order Monitor plugin itself, have probably stopped";
    } catch (error) {
      const e = error as { status?: number | null; message?: string };
      return e.status
        ? `the store answers, but with an error (${e.message})`
        : `the store does not answer at all: the site may be down (${e.message})`;
    }
  }
}

/**
 * A check not run because WordPress is silent (scheduled or "Run check now") still shows as one that was
 * due: a check line in the log and `decision="skipped"` in the metrics, with the reason.
 */
export function recordSkippedCheck(log: Logger, metrics: Metrics, storeId: string, trigger: 'schedule' | 'manual', reason: string): void {
  metrics.checksRun.inc({ store: metrics.store(storeId), trigger, decision: 'skipped' });
  log.info({ event: 'check', storeId, trigger, decision: 'skipped', reason }, 'check skipped: WordPress is silent');
}
