import { decideAlert, type OpenAlertFacts } from './alert-policy';
import { buildBaseline, silenceNeedsOwnBaseline, type Baseline, type HourlyHistory } from './baseline';
import { CALIBRATION_DAYS, calibrateSilence, type SilenceCalibration } from './calibration';
import { detectorsToRun, engineDetectorsToRun, isCustomerOrder, type CheckTrigger, type EngineDetectorName } from './checks';
import { evaluateRenewals, RENEWAL_LOOKBACK_DAYS, type RenewalOrder } from './renewals';
import { evaluateRules, longestRuleWindow, type RuleOrder } from './rules';
import { evaluateRollingAverage, evaluateTimeBased, severityOf, type DetectorResult, type OrderFact, type Severity } from './detectors';
import type { OrderDetail } from './diagnosis';
import { evaluateFailureRate, FAILURE_LOOKBACK_ORDERS, retriedFailures } from './failure-rate';
import { DROP_SPAN_MINUTES, evaluateOrderFlow, silenceStartOf } from './order-flow';
import { checkCadenceMinutes, enabledDetectors, type AnyDetectorName, type Settings } from './settings';
import { HOUR_MS, hourIndex } from './time';

/**
 * The live sidecar on a simulated clock: scheduled checks every cadence, an event-triggered check after
 * each order, the same detector functions and the same alert policy (one alert per problem, shared
 * cooldown, daily limit, resolve only when every enabled detector was evaluated). Each order is taken to
 * arrive at its creation time with its final status.
 */

export interface ReplayOrder {
  orderId: number | string;
  status: string;
  createdAt: Date;
  total?: number | null;
  paymentMethod?: string | null;
  createdVia?: string | null;
}

export interface ReplayOptions {
  from: Date;
  to: Date;
  /** Minutes between scheduled checks; by default the store's own cadence (checkCadenceMinutes). */
  stepMinutes?: number;
  /** When WordPress first reported; by default the first order's time. Orders before `from` are history. */
  monitoringSince?: Date;
  /** Event-triggered checks after each order (default true, as live). */
  eventChecks?: boolean;
  /**
   * When the monitor began checking, by default `from`: what happened before it is history, not news (a
   * replay's first check does not alert on failures or a silence from before it). A replay that stands
   * for a monitor already running passes an earlier instant.
   */
  watchingSince?: Date;
}

export interface ReplayAlert {
  at: Date;
  kind: 'alert' | 'reminder';
  detectors: string[];
  severity: Severity;
  summary: string;
  /** When the problem began by the detectors' reckoning (last successful order, first failure). */
  startedAt: Date | null;
  problemId: number;
  /** Each fired detector's figures (expected, came, failed, limit, ...), for programs reading the backtest. */
  numbers: Record<string, Record<string, number>>;
}

export interface ReplayProblem {
  id: number;
  openedAt: Date;
  /** Whether the admin was told (false while held back by the cooldown or the daily limit throughout). */
  notified: boolean;
  resolvedAt: Date | null;
  detectors: string[];
  severity: Severity;
  summary: string;
  startedAt: Date | null;
}

export interface ReplayResult {
  alerts: ReplayAlert[];
  problems: ReplayProblem[];
  checks: number;
  /** Adaptive mode: the silence limit of the replay's last day, replayed on the 8 weeks before it. */
  silenceCalibration?: SilenceCalibration;
}

export function replay(orders: readonly ReplayOrder[], settings: Settings, options: ReplayOptions): ReplayResult {
  const stepMinutes = Math.max(1, options.stepMinutes ?? checkCadenceMinutes(settings));
  const stream = new ReplayStream(orders, settings, options.monitoringSince ?? null, options.watchingSince ?? options.from, stepMinutes);
  const step = stepMinutes * 60_000;
  const fromMs = options.from.getTime();
  const toMs = options.to.getTime();
  const eventDetectorsEnabled = detectorsToRun(settings.mode, 'event').some((d) => enabledDetectors(settings.mode).includes(d));
  const eventChecks = (options.eventChecks ?? true) && eventDetectorsEnabled;

  const state = new PolicyState();
  const result: ReplayResult = { alerts: [], problems: [], checks: 0 };
  let nextScheduled = fromMs;
  let nextEvent = eventChecks ? stream.firstOrderIndexAtOrAfter(fromMs) : stream.length;
  // No cap on checks: the loop ends at `to`, and a cap ended long replays silently while the summary still
  // reported the whole period. The CLI refuses impossible dates, the one way a file stretched a range.
  for (;;) {
    const eventAt = nextEvent < stream.length ? stream.createdAtMs(nextEvent) : Infinity;
    const scheduled = nextScheduled <= toMs ? nextScheduled : Infinity;
    if (eventAt > toMs && scheduled === Infinity) break;
    let now: number;
    let trigger: CheckTrigger;
    if (eventAt <= scheduled && eventAt <= toMs) {
      now = eventAt;
      trigger = 'event';
      // A burst of orders at one instant costs one check, as the live queue coalesces them.
      while (nextEvent < stream.length && stream.createdAtMs(nextEvent) === eventAt) nextEvent++;
    } else {
      now = scheduled;
      trigger = 'schedule';
      nextScheduled += step;
    }
    result.checks++;
    const at = new Date(now);
    const evaluations = stream.evaluate(at, engineDetectorsToRun(settings, trigger), state.isOpen);
    state.apply(at, settings, evaluations, result);
  }
  const calibration = stream.latestSilenceCalibration;
  if (calibration) result.silenceCalibration = calibration;
  return result;
}

/** Alert-policy bookkeeping: what the alerts, notifications and check_runs tables hold live. */
class PolicyState {
  private open: (OpenAlertFacts & { problem: ReplayProblem }) | null = null;
  private sent: number[] = [];
  private nextId = 1;

  get isOpen(): boolean {
    return this.open !== null;
  }

  apply(now: Date, settings: Settings, evaluations: DetectorResult[], out: ReplayResult): void {
    const dayAgo = now.getTime() - 24 * HOUR_MS;
    while (this.sent.length > 0 && (this.sent[0] ?? 0) <= dayAgo) this.sent.shift();
    const last = this.sent.length > 0 ? new Date(this.sent[this.sent.length - 1] ?? 0) : null;
    const decision = decideAlert({
      now,
      settings,
      evaluations,
      openAlert: this.open,
      lastNotifiedAt: last,
      notificationsLast24h: this.sent.length,
    });
    const send = (kind: 'alert' | 'reminder', problem: ReplayProblem, fired: DetectorResult[]) => {
      this.sent.push(now.getTime());
      problem.notified = true;
      out.alerts.push({
        at: now,
        kind,
        detectors: fired.map((r) => r.detector),
        severity: severityOf(fired),
        summary: fired.map((r) => r.summary).join('; '),
        startedAt: startOf(fired),
        problemId: problem.id,
        numbers: numbersOf(fired),
      });
    };
    switch (decision.action) {
      case 'none':
      case 'hold':
        return;
      case 'open': {
        const problem: ReplayProblem = {
          id: this.nextId++,
          openedAt: now,
          notified: false,
          resolvedAt: null,
          detectors: decision.fired.map((r) => r.detector),
          severity: severityOf(decision.fired),
          summary: decision.fired.map((r) => r.summary).join('; '),
          startedAt: startOf(decision.fired),
        };
        out.problems.push(problem);
        this.open = { id: problem.id, openedAt: now, lastNotifiedAt: decision.notify ? now : null, severity: problem.severity, detectors: problem.detectors, problem };
        if (decision.notify) send('alert', problem, decision.fired);
        return;
      }
      case 'remind':
      case 'notify':
        if (!this.open) return;
        this.open.lastNotifiedAt = now;
        // Like the live alert, it keeps the worst severity it was told: a change to critical is news once.
        if (severityOf(decision.fired) === 'critical') this.open.severity = 'critical';
        send(decision.action === 'remind' && this.open.problem.notified ? 'reminder' : 'alert', this.open.problem, decision.fired);
        return;
      case 'resolve':
        if (this.open) this.open.problem.resolvedAt = now;
        this.open = null;
        return;
    }
  }
}

function numbersOf(fired: readonly DetectorResult[]): Record<string, Record<string, number>> {
  return Object.fromEntries(
    fired.map((r) => [r.detector === 'rule' ? `rule:${r.rule}` : r.detector, Object.fromEntries(Object.entries(r).filter((entry): entry is [string, number] => typeof entry[1] === 'number'))]),
  );
}

function startOf(fired: readonly DetectorResult[]): Date | null {
  const starts = fired
    .map((r) => (r.detector === 'order_flow' || r.detector === 'failure_rate' ? r.startedAt : r.detector === 'time_based' ? r.windowStart : null))
    .filter((d): d is Date => d !== null);
  return starts.length ? new Date(Math.min(...starts.map(Number))) : null;
}

const lowerBound = (values: readonly number[], target: number): number => {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

/**
 * An order stream indexed so that each simulated check hands the detectors exactly what the store's
 * queries hand them live: the orders known at `now`, nothing after.
 */
export class ReplayStream {
  private readonly all: OrderFact[];
  private readonly allMs: number[];
  private readonly customerClassified: OrderDetail[];
  private readonly customerClassifiedMs: number[];
  private readonly successTimes: Date[];
  private readonly successMs: number[];
  private readonly hourly: HourlyHistory;
  private readonly since: Date | null;
  private readonly ruleOrders: RuleOrder[];
  private readonly renewalOrders: RenewalOrder[];
  private readonly currency: string | null;
  private baselineCache: Baseline | null = null;
  private silenceBaselineCache: Baseline | null = null;
  /** The silence limit replayed on the last eight weeks, once a (UTC) day, as live (services/silence-calibration). */
  private calibrationCache: { day: number; calibration: SilenceCalibration } | null = null;
  /** The failure test reads no clock: same orders, same baseline, same answer, so one per change is enough. */
  private failureCache: { key: string; result: DetectorResult } | null = null;

  constructor(
    orders: readonly ReplayOrder[],
    private readonly settings: Settings,
    monitoringSince: Date | null,
    /** When the monitor began checking: older orders are history, not news (see ReplayOptions). */
    private readonly watchingSince: Date | null = null,
    /** How often the scheduled check runs: the silence calibration counts only the silences a check would see. */
    private readonly checkEveryMinutes: number = checkCadenceMinutes(settings),
  ) {
    const inOrder = orders.every((o, i) => i === 0 || orders[i - 1]!.createdAt.getTime() <= o.createdAt.getTime());
    const sorted = inOrder ? orders : [...orders].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    // The fixed modes count customer checkouts too: an admin's order or a renewal is no sign of a working checkout.
    const customerOrders = sorted.filter(isCustomerOrder);
    this.all = customerOrders.map((o) => ({ orderId: typeof o.orderId === 'number' ? o.orderId : 0, status: o.status, createdAt: o.createdAt }));
    this.allMs = customerOrders.map((o) => o.createdAt.getTime());
    const isSuccess = (o: ReplayOrder) => settings.success_statuses.includes(o.status);
    const isFailure = (o: ReplayOrder) => settings.failure_statuses.includes(o.status);
    const customer = customerOrders;
    this.customerClassified = customer
      .filter((o) => isSuccess(o) || isFailure(o))
      .map((o) => ({ orderId: o.orderId, status: o.status, createdAt: o.createdAt, total: o.total ?? null, paymentMethod: o.paymentMethod ?? null }));
    this.customerClassifiedMs = this.customerClassified.map((o) => o.createdAt.getTime());
    this.successTimes = customer.filter(isSuccess).map((o) => o.createdAt);
    this.successMs = this.successTimes.map(Number);
    this.since = monitoringSince ?? (sorted[0]?.createdAt ?? null);

    this.hourly = hourlyHistoryOf(sorted, settings);
    this.ruleOrders = customerOrders.map((o) => ({ status: o.status, createdAt: o.createdAt, total: o.total ?? null, paymentMethod: o.paymentMethod ?? null }));
    this.renewalOrders = sorted
      .filter((o) => o.createdVia === 'subscription')
      .map((o) => ({ status: o.status, createdAt: o.createdAt, paymentMethod: o.paymentMethod ?? null }));
    this.currency = null;
  }

  get length(): number {
    return this.all.length;
  }

  /** What the baseline learns from; the live sidecar reads the same counts from MariaDB. */
  hourlyHistory(): HourlyHistory {
    return this.hourly;
  }

  createdAtMs(index: number): number {
    return this.allMs[index] ?? Infinity;
  }

  firstOrderIndexAtOrAfter(ms: number): number {
    return lowerBound(this.allMs, ms);
  }

  /** The baseline only reads whole hours before now's hour, so one per hour is exactly what live computes. */
  baseline(now: Date): Baseline {
    if (this.baselineCache?.asOfHour !== hourIndex(now)) {
      this.baselineCache = buildBaseline(this.hourly, this.since, now, this.settings.timezone);
    }
    return this.baselineCache;
  }

  /** The baseline as it stood at `at` (a silence's start), kept while the silence lasts, as live (services/baseline-cache). */
  private baselineAsOf(at: Date): Baseline {
    if (this.silenceBaselineCache?.asOfHour !== hourIndex(at)) {
      this.silenceBaselineCache = buildBaseline(this.hourly, this.since, at, this.settings.timezone);
    }
    return this.silenceBaselineCache;
  }

  /** The last silence calibration computed (none if the order-flow test never ran). */
  get latestSilenceCalibration(): SilenceCalibration | null {
    return this.calibrationCache?.calibration ?? null;
  }

  /** The silence calibration of `now`'s day, from the eight weeks of whole hours before it. */
  silenceCalibration(now: Date): SilenceCalibration {
    const day = Math.floor(now.getTime() / 86_400_000);
    if (this.calibrationCache?.day !== day) {
      const baseline = this.baseline(now);
      const to = baseline.asOfHour * HOUR_MS;
      const from = Math.max(to - CALIBRATION_DAYS * 86_400_000, this.since ? this.since.getTime() : -Infinity);
      const times = this.successMs.slice(lowerBound(this.successMs, from), lowerBound(this.successMs, to));
      this.calibrationCache = { day, calibration: calibrateSilence(times, baseline, this.settings, { from, to, checkEveryMinutes: this.checkEveryMinutes }) };
    }
    return this.calibrationCache.calibration;
  }

  evaluate(now: Date, detectors: readonly (AnyDetectorName | EngineDetectorName)[], alertOpen = false): DetectorResult[] {
    const nowMs = now.getTime();
    const known = lowerBound(this.allMs, nowMs + 1);
    const results: DetectorResult[] = [];
    const settings = this.settings;
    if (detectors.includes('time_based')) {
      const start = lowerBound(this.allMs, nowMs - settings.check_interval_minutes * 60_000);
      results.push(evaluateTimeBased(now, settings, this.all.slice(start, known), this.since && this.since <= now ? this.since : null));
    }
    if (detectors.includes('rolling_average')) {
      const recent: OrderFact[] = [];
      const statuses = [...settings.success_statuses, ...settings.failure_statuses];
      for (let i = known - 1; i >= 0 && recent.length < settings.rad_window_size; i--) {
        const order = this.all[i]!;
        if (statuses.includes(order.status)) recent.push(order);
      }
      results.push(evaluateRollingAverage(settings, recent, this.watchingSince));
    }
    if (detectors.includes('order_flow')) {
      const knownSuccess = lowerBound(this.successMs, nowMs + 1);
      const recentStart = lowerBound(this.successMs, nowMs - DROP_SPAN_MINUTES * 60_000);
      const flow = { since: this.since, lastSuccessAt: knownSuccess > 0 ? (this.successTimes[knownSuccess - 1] ?? null) : null, watchingSince: this.watchingSince };
      const silenceStart = silenceStartOf(flow, now);
      results.push(
        evaluateOrderFlow(now, settings, this.baseline(now), {
          ...flow,
          recentSuccessTimes: this.successTimes.slice(recentStart, knownSuccess),
          alertOpen,
          silenceCalibration: this.silenceCalibration(now),
          silenceBaseline: silenceNeedsOwnBaseline(silenceStart, now) ? this.baselineAsOf(silenceStart) : null,
        }),
      );
    }
    if (detectors.includes('failure_rate')) {
      const knownClassified = lowerBound(this.customerClassifiedMs, nowMs + 1);
      const baseline = this.baseline(now);
      const key = `${knownClassified}:${baseline.asOfHour}:${alertOpen}`;
      if (this.failureCache?.key !== key) {
        const newestFirst = this.customerClassified.slice(Math.max(0, knownClassified - FAILURE_LOOKBACK_ORDERS), knownClassified).reverse();
        this.failureCache = { key, result: evaluateFailureRate(settings, baseline, newestFirst, alertOpen, this.watchingSince) };
      }
      results.push(this.failureCache.result);
    }
    if (detectors.includes('rule')) {
      const windowStart = nowMs - longestRuleWindow(settings.rules) * 60_000;
      const orders = this.ruleOrders.slice(lowerBound(this.allMs, windowStart), known);
      const monitoringSince = this.since && this.since <= now ? this.since : null;
      results.push(...evaluateRules(settings.rules, orders, { now, timeZone: settings.timezone, statuses: settings, monitoringSince, currency: this.currency }));
    }
    if (detectors.includes('renewals')) {
      const from = nowMs - RENEWAL_LOOKBACK_DAYS * 86_400_000;
      const renewalMs = (i: number) => this.renewalOrders[i]!.createdAt.getTime();
      let lo = 0;
      let hi = this.renewalOrders.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (renewalMs(mid) < from) lo = mid + 1;
        else hi = mid;
      }
      let end = lo;
      while (end < this.renewalOrders.length && renewalMs(end) <= nowMs) end++;
      results.push(evaluateRenewals(now, settings, this.renewalOrders.slice(lo, end)));
    }
    return results;
  }
}

/**
 * Customer orders per UTC hour, as the live sidecar's roll-ups count them (store/rollups): `sorted` in
 * creation order.
 */
export function hourlyHistoryOf(sorted: readonly ReplayOrder[], settings: Settings): HourlyHistory {
  const isSuccess = (o: { status: string }) => settings.success_statuses.includes(o.status);
  const isFailure = (o: { status: string }) => settings.failure_statuses.includes(o.status);
  const customer = sorted.filter(isCustomerOrder);
  const firstHour = sorted.length ? hourIndex(sorted[0]!.createdAt) : 0;
  const hours = sorted.length ? hourIndex(sorted[sorted.length - 1]!.createdAt) - firstHour + 1 : 0;
  const success = new Float64Array(hours);
  const failure = new Float64Array(hours);
  const retriedFailure = new Float64Array(hours);
  const revenue = new Float64Array(hours);
  const revenueOrders = new Float64Array(hours);
  for (const o of customer) {
    const i = hourIndex(o.createdAt) - firstHour;
    if (isSuccess(o)) {
      success[i] = (success[i] ?? 0) + 1;
      if (typeof o.total === 'number' && Number.isFinite(o.total)) {
        revenue[i] = (revenue[i] ?? 0) + o.total;
        revenueOrders[i] = (revenueOrders[i] ?? 0) + 1;
      }
    } else if (isFailure(o)) failure[i] = (failure[i] ?? 0) + 1;
  }
  // A failure is a retried cart when any later customer order of the same cart follows it, whatever that
  // order's status: the roll-ups (store/rollups) count it the same way, for every status, once.
  const retried = retriedFailures(customer, isFailure);
  customer.forEach((o, k) => {
    if (!retried[k]) return;
    const i = hourIndex(o.createdAt) - firstHour;
    retriedFailure[i] = (retriedFailure[i] ?? 0) + 1;
  });
  return { firstHour, success, failure, retriedFailure, revenue, revenueOrders };
}
