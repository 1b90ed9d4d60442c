import type { Knex } from 'knex';
import type { Logger } from 'pino';
import {
  assessProbes,
  byPriority,
  classifyProbe,
  explainOrderDrop,
  PROBE_TARGETS,
  PROBE_TIMEOUT_MS,
  probeCause,
  probeProblemPresent,
  probeUrls,
  type ProbeAssessment,
  type ProbeProblem,
  type ProbeResult,
  type StoredProbeProblem,
} from '../domain/probe';
import { healthSnapshotSchema } from '../domain/store-health';
import { formatLocal } from '../domain/time';
import { probeContent, probeResolvedContent } from '../notify/probe-content';
import { PROBE_DETECTOR, type AlertRepository } from '../store/alerts';
import type { ProbeRepository } from '../store/probes';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';
import { observe } from './probe-http';
import type { StoreProblemAlerts } from './store-problem-alerts';

export interface ProbeDeps {
  db: Knex;
  stores: StoreRepository;
  settings: SettingsRepository;
  alerts: AlertRepository;
  probes: ProbeRepository;
  problems: StoreProblemAlerts;
  log: Logger;
  /** Length of one "minute" of probe_interval_minutes; tests shorten it. */
  minuteMs?: number;
  timeoutMs?: number;
}

export type ProbeRunOutcome = { skipped: string } | { results: ProbeResult[]; assessment: ProbeAssessment };

/**
 * Runs one store's probe: requests its home page, one product from the Store API, the cart and the
 * checkout page as a visitor with an empty cart (GET only, no cookies), records each answer, and keeps
 * one alert open while a page fails `probe_failures_to_alert` times in a row, with a notice when every
 * page passes again.
 */
export class ProbeMonitor {
  constructor(private readonly deps: ProbeDeps) {}

  async run(storeId: string, now = new Date()): Promise<ProbeRunOutcome> {
    const { stores, settings: settingsRepo, probes, alerts, log } = this.deps;
    const store = await stores.find(storeId);
    const settings = store ? await settingsRepo.get(storeId) : null;
    if (!store || !settings) return { skipped: 'unknown store' };
    if (!settings.enabled || !settings.probe_enabled) return { skipped: 'probe off' };
    // A store still being set up (the bridge never reported) is not probed: its URL may not be live yet.
    if (!store.firstContactAt) return { skipped: 'WordPress has not reported yet' };
    // However the schedule moved (a settings change, two sidecars, a job retried), a run is claimed in
    // MariaDB before any request, a compare-and-set on the store's last run: runs begin a minute apart
    // at least, and of two at once only one requests anything.
    const minuteMs = this.deps.minuteMs ?? 60_000;
    if (!(await probes.claimRun(storeId, now, minuteMs))) return { skipped: 'probed less than a minute ago' };

    const urls = probeUrls(store.url, reportedUrls(store));
    const results: ProbeResult[] = [];
    // One after the other: a probe is one visitor, not a burst. The checkout's redirect of an empty cart
    // to the cart page just requested is not followed, so a run requests each URL once.
    for (const target of PROBE_TARGETS) {
      const timeoutMs = this.deps.timeoutMs ?? PROBE_TIMEOUT_MS;
      const observation = await observe(target, urls[target], timeoutMs, target === 'checkout' ? urls.cart : undefined);
      results.push(classifyProbe(observation, new Date(), results.find((r) => r.target === 'cart')));
    }
    await probes.insertRun(storeId, now, results);

    const open = await alerts.openStoreAlert(storeId, PROBE_DETECTOR);
    const recent = await probes.recent(storeId, settings.probe_failures_to_alert + 1);
    const earlier = open && Array.isArray(open.details.failures) ? (open.details.failures as StoredProbeProblem[]) : [];
    const assessment = assessProbes(recent, settings.probe_failures_to_alert, earlier);
    const present = probeProblemPresent(assessment, Boolean(open));
    log.info({ event: 'probe', storeId, results: results.map((r) => ({ target: r.target, ok: r.ok, status: r.status, ttfbMs: r.ttfbMs, detail: r.detail })) }, 'store probed');

    if (open && present) {
      // Every page failing now (once is enough while open) is in the alert's findings, so the status
      // page and an order alert's explanation say what the probe sees now; a new cause is told once.
      const failingNow = assessProbes(recent, 1, earlier).failing;
      const told = await this.deps.problems.update(
        storeId,
        {
          detector: PROBE_DETECTOR,
          details: { ...alertDetails(failingNow, settings.timezone), headline: open.details.headline ?? assessment.headline },
          causes: assessment.failing.map(probeCause),
          notice: (alert, untold) => ({ kind: 'probe', content: probeContent(store, settings, alert.id, assessment, { untold, openedAt: alert.openedAt }) }),
        },
        now,
      );
      if (told) log.info({ event: 'probe_alert', storeId, headline: assessment.headline }, 'store probe: a new cause while the alert is open');
      return { results, assessment };
    }
    if (present === Boolean(open)) return { results, assessment };

    const changed = await this.deps.problems.apply(
      storeId,
      {
        detector: PROBE_DETECTOR,
        present,
        opened: {
          details: { ...alertDetails(assessment.failing, settings.timezone), headline: assessment.headline, causes: assessment.failing.map(probeCause), told: assessment.failing.map(probeCause) },
          kind: 'probe',
          content: (alertId) => probeContent(store, settings, alertId, assessment),
        },
        resolved: (alert) => {
          const headline = typeof alert.details.headline === 'string' ? alert.details.headline : 'store probe failing';
          return { kind: 'probe_resolved', content: probeResolvedContent(store, settings, alert.id, headline, alert.openedAt, now) };
        },
      },
      now,
    );
    if (changed) log.info({ event: 'probe_alert', storeId, present, headline: assessment.headline }, 'store probe alert changed');
    return { results, assessment };
  }

  /**
   * A probe alert whose store no longer has the probe (switched off, monitoring off, store removed)
   * would stay open for ever: nothing probes it again. It is closed without a notice; the admin turned
   * the probe off and was not told the problem went away. Run by the sidecar's upkeep job.
   */
  async closeWhereProbeOff(now = new Date()): Promise<number> {
    const { alerts, settings: settingsRepo, db, log } = this.deps;
    let closed = 0;
    for (const alert of await alerts.openStoreAlertsOfKind(PROBE_DETECTOR)) {
      const settings = await settingsRepo.get(alert.storeId);
      if (settings?.enabled && settings.probe_enabled) continue;
      if (await alerts.resolve(db, alert.id, now)) {
        closed += 1;
        log.info({ event: 'probe_alert', storeId: alert.storeId, alertId: alert.id }, 'probe alert closed: the probe is off');
      }
    }
    return closed;
  }

  /**
   * The clause an order alert adds while the probe alert is open ("the checkout page has returned 500
   * since ..."); null when nothing explains the drop.
   */
  async explainOrderDrop(storeId: string, firedDetectors: readonly string[], timezone: string): Promise<string | null> {
    const open = await this.deps.alerts.openStoreAlert(storeId, PROBE_DETECTOR);
    const failures = open && Array.isArray(open.details.failures) ? (open.details.failures as StoredProbeProblem[]) : [];
    return explainOrderDrop(firedDetectors, failures, timezone);
  }
}

/** What the alert keeps of its failing pages: the status page's findings and explainOrderDrop's failures. */
function alertDetails(failing: readonly ProbeProblem[], timezone: string) {
  return {
    findings: byPriority(failing).map((p) => ({ summary: `${p.message}: ${p.detail} since ${formatLocal(p.since, timezone)}` })),
    failures: byPriority(failing).map((p): StoredProbeProblem => ({ target: p.target, failure: p.failure, status: p.status, detail: p.detail, since: p.since.toISOString() })),
  };
}

/** The cart, checkout and REST URLs the store itself reported in its last heartbeat, if any. */
function reportedUrls(store: StoreRecord): { cart?: string | null; checkout?: string | null; restUrl?: string | null } {
  const parsed = healthSnapshotSchema.safeParse(store.health);
  if (!parsed.success) return {};
  return { cart: parsed.data.pages?.cart?.url, checkout: parsed.data.pages?.checkout?.url, restUrl: parsed.data.rest_url };
}
