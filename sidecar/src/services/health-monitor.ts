import type { Logger } from 'pino';
import { FATAL_HISTORY_MS, healthProblems, healthSnapshotSchema, judgeFatalErrors, type HealthProblem } from '../domain/store-health';
import { healthContent, healthResolvedContent } from '../notify/health-content';
import { HEALTH_DETECTOR, type AlertRecord, type AlertRepository } from '../store/alerts';
import type { HeartbeatRepository } from '../store/heartbeats';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';
import type { Settings } from '../domain/settings';
import type { StoreProblemAlerts } from './store-problem-alerts';

export interface HealthDeps {
  stores: StoreRepository;
  settings: SettingsRepository;
  alerts: AlertRepository;
  heartbeats: HeartbeatRepository;
  problems: StoreProblemAlerts;
  log: Logger;
}

/**
 * Judges the store's health at each heartbeat and scheduled check: the last snapshot the bridge sent
 * (payment methods, checkout page) and the heartbeats of the last two days (fatal errors, see
 * `judgeFatalErrors`). Keeps one alert open while checkout cannot work, with its findings kept current,
 * an update notice once for each cause that appears while it is open, and a notice when all are gone.
 */
export class HealthMonitor {
  constructor(private readonly deps: HealthDeps) {}

  /** `known`: the store and its settings as the scheduled job read them at its start (CheckService.load). */
  async check(storeId: string, now = new Date(), known?: { store: StoreRecord; settings: Settings | null } | null): Promise<HealthProblem[] | null> {
    const { stores, settings: settingsRepo, alerts, heartbeats, log } = this.deps;
    const store = known === undefined ? await stores.find(storeId) : (known?.store ?? null);
    const settings = known === undefined ? (store ? await settingsRepo.get(storeId) : null) : (known?.settings ?? null);
    if (!store || !settings || !store.health || !store.healthAt) return null;
    const parsed = healthSnapshotSchema.safeParse(store.health);
    if (!parsed.success) return null;
    const open = await alerts.openStoreAlert(storeId, HEALTH_DETECTOR);
    let problems: HealthProblem[] = [];
    if (settings.enabled) {
      const beats = await heartbeats.fatalErrors(storeId, new Date(now.getTime() - FATAL_HISTORY_MS));
      const fatal = judgeFatalErrors(beats, now, namesFatalErrors(open));
      problems = [...healthProblems(parsed.data), ...(fatal.problem ? [fatal.problem] : [])];
    }
    const seenAt = store.healthAt;
    const details = { findings: problems.map((p) => ({ summary: p.message })), problems: problems.map((p) => p.key), snapshotAt: seenAt.toISOString() };
    const causes = problems.map((p) => p.key);

    if (open && problems.length > 0) {
      const told = await this.deps.problems.update(
        storeId,
        {
          detector: HEALTH_DETECTOR,
          details,
          causes,
          notice: (alert, untold) => ({ kind: 'health', content: healthContent(store, settings, alert.id, problems, seenAt, { untold, openedAt: alert.openedAt }) }),
        },
        now,
      );
      if (told) log.info({ event: 'health', storeId, problems: causes }, 'store health: a new cause while the alert is open');
      return problems;
    }
    if ((problems.length > 0) === Boolean(open)) return problems;

    const changed = await this.deps.problems.apply(
      storeId,
      {
        detector: HEALTH_DETECTOR,
        present: problems.length > 0,
        opened: {
          details: { ...details, causes, told: causes },
          kind: 'health',
          content: (alertId) => healthContent(store, settings, alertId, problems, seenAt),
        },
        resolved: (alert) => ({ kind: 'health_resolved', content: healthResolvedContent(store, settings, alert.id, alert.openedAt, now) }),
      },
      now,
    );
    if (changed) log.info({ event: 'health', storeId, problems: causes }, 'store health changed');
    return problems;
  }
}

/** Whether the open health alert names fatal errors now: then they stay named while they go on. */
function namesFatalErrors(open: AlertRecord | null): boolean {
  const problems = open?.details.problems;
  return Array.isArray(problems) && problems.includes('fatal_errors');
}
