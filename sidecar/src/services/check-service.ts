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
import type { Baseline } from '../domain/baseline';
import { buildBaseline, silenceNeedsOwnBaseline } from '../domain/baseline';
import { engineDetectorsToRun, eventRunUseful, type CheckTrigger, type EngineDetectorName } from '../domain/checks';
import { evaluateRenewals, RENEWAL_LOOKBACK_DAYS } from '../domain/renewals';
import { evaluateRules, longestRuleWindow } from '../domain/rules';
import { RuleOrderQueries } from '../store/rule-orders';
import { evaluateFailureRate } from '../domain/failure-rate';
import { impactOf } from '../domain/impact';
import { evaluateOrderFlow, silenceStartOf } from '../domain/order-flow';
import type { AnyDetectorName, Settings } from '../domain/settings';
import { inMaintenance } from '../domain/maintenance';
import { alertContent, escalationContent, findingOf, headlineOf, resolvedContent, type AlertEvidence, type ImpactFacts, type NotificationContent } from '../notify/content';
import { countFailed } from './alert-evidence';
import type { Diagnosis } from '../domain/diagnosis';
import { AlertRepository, STORE_DETECTORS, type AlertRecord } from '../store/alerts';
import type { MaintenanceRepository } from '../store/maintenance';
import type { NotificationRepository } from '../store/notifications';
import { withProbeExplanation } from '../notify/probe-content';
import type { OrderRepository } from '../store/orders';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';
import { BaselineCache } from './baseline-cache';
import { SilenceCalibrationCache } from './silence-calibration';

export type { CheckTrigger } from '../domain/checks';

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
  maintenance: MaintenanceRepository;
  /**
   * Told of each baseline a check used, so the schedule can follow the store's volume (domain/cadence);
   * answers the detection time the schedule follows (the silence calibration assumes its checks).
   */
  onBaseline?: (store: StoreRecord, settings: Settings, baseline: Baseline) => Promise<number>;
  /** Each store's baseline, rebuilt at most once an hour; one of its own when not given. */
  baselines?: BaselineCache;
  /** Each store's silence limit replayed on its own eight weeks, once a day; one of its own when not given. */
  calibrations?: SilenceCalibrationCache;
  /** What the store probe sees while an order alert fires ("the checkout page has returned 500 since ..."). */
  probeExplanation?: (storeId: string, firedDetectors: string[], timezone: string) => Promise<string | null>;
  /**
   * What the store looked like when an order alert is decided (failed orders with links, the probe's
   * last visit, WordPress's last check-in), for the mail to say what to do (services/alert-evidence).
   */
  evidence?: (store: StoreRecord, settings: Settings, since: Date, now: Date, diagnosis: Diagnosis | null, sinceKnown: boolean) => Promise<AlertEvidence>;
  /** Hands new notifications to delivery; a failure here is caught up by the pending sweep. */
  dispatch: (notificationIds: number[]) => Promise<void>;
  log: Logger;
}

/** A store with its settings (null: none stored) and whether one of its order alerts is open. */
export interface LoadedStore {
  store: StoreRecord;
  settings: Settings | null;
  openOrderAlert: boolean;
  /** The detectors of the store's open alerts when it was read (the blind check reads its own from here). */
  openAlertDetectors: readonly string[];
  /** Whether the store has WooCommerce REST keys: without them a scheduled job has nothing to read back. */
  hasRestCredentials: boolean;
}

/**
 * Runs one store's check: reads what the detectors need, asks the pure domain functions, and writes the
 * decision. The decision is taken under the store's row lock, so concurrent checks of one store (the
 * schedule, an event burst, a second sidecar) see each other's alerts and never send one twice.
 */
export class CheckService {
  readonly baselines: BaselineCache;
  readonly calibrations: SilenceCalibrationCache;
  /** Each baseline told to onBaseline, with the detection time the store's schedule follows (if known). */
  private readonly toldBaselines = new WeakMap<Baseline, number | undefined>();

  constructor(private readonly deps: CheckServiceDeps) {
    this.baselines = deps.baselines ?? new BaselineCache(deps.orders);
    this.calibrations = deps.calibrations ?? new SilenceCalibrationCache(deps.orders);
  }

  /**
   * Reads what the detectors need and asks the same pure functions the backtest replays (domain/replay).
   * `alertOpen` only holds an adaptive verdict steady while its alert is open (hysteresis).
   */
  async evaluate(
    store: StoreRecord,
    settings: Settings,
    now: Date,
    detectors: readonly (AnyDetectorName | EngineDetectorName)[],
    alertOpen = false,
  ): Promise<DetectorResult[]> {
    const storeId = store.id;
    const results: DetectorResult[] = [];
    const extra = new RuleOrderQueries(this.deps.db);
    // The renewals are read beside the other reads (another pooled connection): a check waits for one
    // round trip fewer. Observed now so that a failure elsewhere first leaves no unhandled rejection.
    const renewalsRead = detectors.includes('renewals') ? extra.renewals(storeId, new Date(now.getTime() - RENEWAL_LOOKBACK_DAYS * 86_400_000), now) : null;
    renewalsRead?.catch(() => undefined);
    if (detectors.includes('time_based')) {
      const window = timeBasedWindow(now, settings);
      const orders = await this.deps.orders.createdBetween(storeId, window.start, window.end);
      results.push(evaluateTimeBased(now, settings, orders, store.firstContactAt));
    }
    if (detectors.includes('rolling_average')) {
      const statuses = [...settings.success_statuses, ...settings.failure_statuses];
      const recent = await this.deps.orders.latestWithStatus(storeId, statuses, settings.rad_window_size);
      // Orders from before the store was registered are history, not news (its first check must not alert on them).
      results.push(evaluateRollingAverage(settings, recent, store.createdAt));
    }
    if (detectors.includes('order_flow') || detectors.includes('failure_rate')) {
      const baseline = await this.baselines.get(store, settings, now);
      // Once per baseline built (an hour), not at every check: the cadence only moves with the volume.
      if (!this.toldBaselines.has(baseline)) {
        this.toldBaselines.set(baseline, undefined);
        const followed = await this.deps.onBaseline?.(store, settings, baseline).catch((error: Error) => {
          this.deps.log.warn({ storeId, err: error.message }, 'could not keep the check cadence');
          return undefined;
        });
        this.toldBaselines.set(baseline, followed);
      }
      const facts = await this.deps.orders.recentFacts(storeId, settings.success_statuses, settings.failure_statuses, now);
      if (detectors.includes('order_flow')) {
        const flow = { since: store.firstContactAt, lastSuccessAt: facts.lastSuccessAt, watchingSince: store.createdAt };
        const silenceStart = silenceStartOf(flow, now);
        results.push(
          evaluateOrderFlow(now, settings, baseline, {
            ...flow,
            recentSuccessTimes: facts.recentSuccessTimes,
            alertOpen,
            silenceCalibration: await this.calibrations.get(store, settings, baseline, now, this.toldBaselines.get(baseline)),
            silenceBaseline: silenceNeedsOwnBaseline(silenceStart, now) ? await this.baselines.asOf(store, settings, silenceStart) : null,
          }),
        );
      }
      if (detectors.includes('failure_rate')) results.push(evaluateFailureRate(settings, baseline, facts.recentClassified, alertOpen, store.createdAt));
    }
    if (detectors.includes('rule')) {
      const from = new Date(now.getTime() - longestRuleWindow(settings.rules) * 60_000);
      const orders = await extra.customerOrders(storeId, from, now);
      results.push(
        ...evaluateRules(settings.rules, orders, { now, timeZone: settings.timezone, statuses: settings, monitoringSince: store.firstContactAt, currency: await this.currencyOf(storeId) }),
      );
    }
    if (renewalsRead) results.push(evaluateRenewals(now, settings, await renewalsRead));
    return results;
  }

  /** The store's currency as its newest order says, for the rules' words ("50 EUR"). */
  private async currencyOf(storeId: string): Promise<string | null> {
    return (await this.deps.orders.latest(storeId))?.currency ?? null;
  }

  /**
   * What a problem cost, for the resolved notice: successful orders expected from its start (by the
   * store's own baseline, in any mode) against those that came. Null when there is no history to judge.
   */
  private async impact(store: StoreRecord, settings: Settings, startedAt: Date, now: Date): Promise<ImpactFacts | null> {
    const baseline = await this.baselines.get(store, settings, now);
    if (baseline.observedSuccesses === 0) return null;
    const came = await this.deps.orders.successfulBetween(store.id, settings.success_statuses, startedAt, now);
    return impactOf(baseline, startedAt, now, came);
  }

  /** The evidence an order alert's mail shows; a failure to read it never stops the alert. */
  private async evidence(store: StoreRecord, settings: Settings, fired: DetectorResult[], now: Date): Promise<AlertEvidence | null> {
    if (!this.deps.evidence) return null;
    const start = problemStart({ results: fired }, now);
    // RAD records no start: its failed orders are looked for over the last day.
    const dated = start.getTime() < now.getTime();
    const since = dated ? start : new Date(now.getTime() - 24 * 3_600_000);
    const diagnosis = fired.find((r) => r.detector === 'failure_rate')?.diagnosis ?? null;
    return this.deps.evidence(store, settings, since, now, diagnosis, dated).catch((error: Error) => {
      this.deps.log.warn({ storeId: store.id, err: error.message }, 'could not read the alert evidence; the mail goes without it');
      return null;
    });
  }

  /**
   * One round trip for the store, its settings, its open alerts and whether it has REST keys: most
   * checks need no more. A scheduled job reads it once for its recovery, its blind and health checks and
   * this check.
   */
  async load(storeId: string): Promise<LoadedStore | null> {
    const found = await this.deps.stores.findForCheck(storeId);
    if (!found) return null;
    return {
      store: found.store,
      settings: found.settings === null ? null : this.deps.settings.fromStored(found.settings),
      openOrderAlert: found.openAlertDetectors.some((d) => !(STORE_DETECTORS as readonly string[]).includes(d)),
      openAlertDetectors: found.openAlertDetectors,
      hasRestCredentials: found.hasRestCredentials,
    };
  }

  /** `loaded`: the store as load() read it at the start of this job, instead of reading it again. */
  async run(storeId: string, trigger: CheckTrigger, now = new Date(), loaded?: LoadedStore | null): Promise<CheckOutcome | null> {
    const { db, alerts, notifications, maintenance, log } = this.deps;
    const found = loaded === undefined ? await this.load(storeId) : loaded;
    if (!found || found.settings === null) return null;
    const { store, settings } = found;

    // An event can only move the failure tests; the time-based window and the order flow are the
    // schedule's business. Where no failure test can alert, an event-triggered run would only contend for
    // the store's lock with the next ingest.
    const detectors = engineDetectorsToRun(settings, trigger);
    if (trigger === 'event' && !(settings.enabled && eventRunUseful(settings.mode))) {
      return { storeId, ranAt: now, trigger, evaluations: [], decision: { action: 'none', reason: 'disabled' }, alertId: null };
    }
    const alertOpen = settings.mode === 'adaptive' && found.openOrderAlert;
    const evaluations = await this.evaluate(store, settings, now, detectors, alertOpen);
    const breached = evaluations.filter((r) => r.breached).map((r) => r.detector);

    // Most checks find a healthy store with no open alert: nothing can be sent, so neither the store's
    // lock nor the alerting statistics are needed, only the check-run row (a third of the check's round
    // trips). An alert another check opens meanwhile is judged by the next check, as it would be had
    // this one run a moment earlier.
    if (!found.openOrderAlert) {
      const quiet = decideAlert({ now, settings, evaluations, openAlert: null, lastNotifiedAt: null, notificationsLast24h: 0, inMaintenance: false });
      if (quiet.action === 'none') return this.recordQuiet(store, settings, trigger, now, evaluations, quiet);
    }
    const probeNote = breached.length > 0 ? ((await this.deps.probeExplanation?.(storeId, breached, settings.timezone)) ?? null) : null;
    const evidence = breached.length > 0 ? await this.evidence(store, settings, evaluations.filter((r) => r.breached), now) : null;

    const { decision, alertId, notificationIds } = await db.transaction(async (trx) => {
      if (!(await alerts.lockStore(trx, storeId))) return { decision: null, alertId: null, notificationIds: [] };
      const open = await alerts.openAlert(storeId, trx);
      const stats = await notifications.alertingStats(trx, storeId, now);
      const windows = await maintenance.currentAndUpcoming(storeId, now, trx);
      const decision = decideAlert({
        now,
        settings,
        evaluations,
        openAlert: AlertRepository.openAlertFacts(open),
        lastNotifiedAt: stats.lastNotifiedAt,
        notificationsLast24h: stats.last24h,
        inMaintenance: inMaintenance(windows, now),
      });
      const applied = await this.apply(trx, decision, store, settings, open, now, probeNote, evidence);
      await alerts.recordCheckRun(trx, {
        storeId,
        ranAt: now,
        trigger,
        mode: settings.mode,
        results: evaluations,
        decision: decision.action,
        heldBy: heldByOf(decision),
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
    this.logRun(storeId, trigger, settings, evaluations, decision, alertId);
    return { storeId, ranAt: now, trigger, evaluations, decision, alertId };
  }

  private logRun(storeId: string, trigger: CheckTrigger, settings: Settings, evaluations: DetectorResult[], decision: AlertDecision, alertId: number | null): void {
    // A check that decides nothing is in check_runs already; at info level 10,000 stores wrote a line of
    // about 1 KB each a minute (synchronously, to stdout). Decisions stay at info.
    const level = decision.action === 'none' ? 'debug' : 'info';
    this.deps.log[level](
      {
        event: 'check',
        storeId,
        trigger,
        mode: settings.mode,
        results: evaluations.map((r) => ({ detector: r.detector, breached: r.breached, summary: r.summary })),
        decision: decision.action,
        heldBy: heldByOf(decision) ?? undefined,
        alertId,
      },
      'check run',
    );
  }

  /** A check that decided nothing: its row, without the lock (see run). */
  private async recordQuiet(store: StoreRecord, settings: Settings, trigger: CheckTrigger, now: Date, evaluations: DetectorResult[], decision: AlertDecision): Promise<CheckOutcome | null> {
    const storeId = store.id;
    try {
      await this.deps.alerts.recordCheckRun(this.deps.db, { storeId, ranAt: now, trigger, mode: settings.mode, results: evaluations, decision: decision.action, heldBy: heldByOf(decision), alertId: null });
    } catch (error) {
      // The store was removed while it was checked: as the locked path does, nothing to record.
      if ((error as { code?: string }).code === 'ER_NO_REFERENCED_ROW_2') return null;
      throw error;
    }
    this.logRun(storeId, trigger, settings, evaluations, decision, null);
    return { storeId, ranAt: now, trigger, evaluations, decision, alertId: null };
  }

  private async apply(
    trx: Knex.Transaction,
    decision: AlertDecision,
    store: StoreRecord,
    settings: Settings,
    open: AlertRecord | null,
    now: Date,
    probeNote: string | null = null,
    evidence: AlertEvidence | null = null,
  ): Promise<{ alertId: number | null; notificationIds: number[] }> {
    const { alerts, notifications } = this.deps;
    const openedAt = open?.openedAt ?? now;
    const notify = async (alertId: number, content: NotificationContent) =>
      notifications.create(trx, { storeId: store.id, alertId, kind: content.kind, content: withProbeExplanation(content, probeNote), createdAt: now });
    // Escalation is decided beside a reminder or a hold; the conditional update makes it happen once
    // even if a retried job or a second sidecar got here too.
    const escalate = async (alertId: number, fired: DetectorResult[]): Promise<number[]> => {
      if (!open || !(await alerts.markEscalated(trx, alertId, now))) return [];
      const content = escalationContent(store, settings, { id: alertId, openedAt, firstNotifiedAt: open.firstNotifiedAt ?? openedAt }, fired, now, evidence);
      return [await notify(alertId, content)];
    };
    switch (decision.action) {
      case 'none':
        return { alertId: null, notificationIds: [] };
      case 'open': {
        const alertId = await alerts.insert(trx, {
          storeId: store.id,
          // One name per kind: three rules firing are one 'rule' (their names are in the findings).
          detector: [...new Set(decision.fired.map((r) => r.detector))].join(','),
          severity: severityOf(decision.fired),
          openedAt: now,
          notifiedAt: decision.notify ? now : null,
          details: {
            findings: decision.fired.map((r) => findingOf(r, settings.timezone)),
            results: decision.fired,
            headline: headlineOf(decision.fired, evidence),
            // The first failed order dates a problem the failure share alone cannot (problemStart).
            ...(evidence ? { since: evidence.sinceAt } : {}),
          },
        });
        if (!decision.notify) return { alertId, notificationIds: [] };
        const content = alertContent('alert', store, settings, { id: alertId, openedAt: now }, decision.fired, now, evidence);
        return { alertId, notificationIds: [await notify(alertId, content)] };
      }
      case 'notify':
      case 'remind': {
        const severity = severityOf(decision.fired);
        // Compare-and-set on the alert as this check saw it: a stale decision sends nothing.
        const marked = await alerts.markNotified(trx, decision.alertId, now, severity, decision.action === 'notify' && decision.reason === 'released', open?.lastNotifiedAt ?? null);
        if (!marked) return { alertId: decision.alertId, notificationIds: [] };
        const kind = decision.action === 'remind' ? 'reminder' : 'alert';
        const content = alertContent(kind, store, settings, { id: decision.alertId, openedAt }, decision.fired, now, evidence);
        if (decision.action === 'notify' && decision.reason === 'upgrade') content.upgradedFrom = 'warning';
        const ids = [await notify(decision.alertId, content)];
        if (decision.escalate) ids.push(...(await escalate(decision.alertId, decision.fired)));
        return { alertId: decision.alertId, notificationIds: ids };
      }
      case 'hold':
        return { alertId: decision.alertId, notificationIds: decision.escalate ? await escalate(decision.alertId, decision.fired) : [] };
      case 'resolve': {
        const resolved = await alerts.resolve(trx, decision.alertId, now);
        if (!resolved || !decision.notify || !open) return { alertId: decision.alertId, notificationIds: [] };
        const started = problemStart(open.details, openedAt);
        const impact = await this.impact(store, settings, started, now).catch(() => null);
        const failedCount = await countFailed(trx, store.id, settings.failure_statuses, started, now).catch(() => null);
        const problem = typeof open.details.headline === 'string' ? open.details.headline : firstSummary(open.details);
        const content = resolvedContent(store, settings, { id: decision.alertId, openedAt, detector: open.detector, problem, failedCount }, now, impact);
        return { alertId: decision.alertId, notificationIds: [await notify(decision.alertId, content)] };
      }
    }
  }
}

/** Why nothing was sent, as check_runs.held_by records it. */
const heldByOf = (decision: AlertDecision): string | null => ('heldBy' in decision ? (decision.heldBy ?? null) : null);

/**
 * When the problem began, from what the detectors recorded at opening: the last successful order before a
 * silence, the first failure of a failing stretch, the start of the time-based window; else the opening.
 */
export function problemStart(details: Record<string, unknown>, openedAt: Date): Date {
  const results = Array.isArray(details.results) ? (details.results as Array<Record<string, unknown>>) : [];
  const starts = results
    .map((r) => r.startedAt ?? r.windowStart)
    .concat(details.since === undefined ? [] : [details.since])
    .filter((v): v is string | Date => typeof v === 'string' || v instanceof Date)
    .map((v) => new Date(v).getTime())
    .filter((t) => Number.isFinite(t) && t <= openedAt.getTime());
  return starts.length ? new Date(Math.min(...starts)) : openedAt;
}

/** The first finding's summary, for an alert opened before its headline was recorded. */
function firstSummary(details: Record<string, unknown>): string | null {
  const findings = Array.isArray(details.findings) ? (details.findings as Array<{ summary?: unknown }>) : [];
  return typeof findings[0]?.summary === 'string' ? findings[0].summary : null;
}
