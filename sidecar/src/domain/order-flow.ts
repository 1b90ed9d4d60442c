import { expectedBetween, probabilityOfNone, rateAt, silenceLimit, type Baseline } from './baseline';
import { BUDGET_SHARE, learningNote, learningOf, odds, round1 } from './budget';
import { silenceChance, type SilenceCalibration } from './calibration';
import type { Severity } from './detectors';
import type { Settings } from './settings';

/** What adaptive mode's order-flow test needs besides the baseline; the store and the replay supply it. */
export interface OrderFlowFacts {
  /** When WordPress first reported (or the history began): no silence is counted from before it. */
  since: Date | null;
  lastSuccessAt: Date | null;
  /** Creation times of successful customer orders in the last DROP_SPAN_MINUTES, oldest first. */
  recentSuccessTimes: readonly Date[];
  /** An alert of the store is open: the test then holds until half its evidence is gone (hysteresis). */
  alertOpen?: boolean;
  /**
   * When the monitor began checking the store. What happened before it is history for the baseline, not
   * news: a silence or a slow stretch is counted from here at the earliest, so the first check of a store
   * whose last order was days ago does not report those days as an outage.
   */
  watchingSince?: Date | null;
  /**
   * The silence limit replayed on the store's own last eight weeks (domain/calibration), computed once a
   * day; absent or not calibrated, the model's limit is used.
   */
  silenceCalibration?: SilenceCalibration | null;
  /**
   * The baseline as it stood when the silence began (built from the hours before `silenceStartOf`'s hour).
   * A baseline rebuilt every hour learns from the silence it is judging: hours of an outage count as
   * hours of no orders, the most recent week weighs most, and a 10-hour stop on a small store was scored
   * against rates a fifth lower than before it (issue 17: olist stops found at 1.21 times the bound).
   * Absent, or with too little history of its own, the current baseline judges the silence.
   */
  silenceBaseline?: Baseline | null;
}

/**
 * When the silence under test began: the last successful order, but never before WordPress first reported
 * or before the monitor began watching. The callers read the baseline of that hour (`silenceBaseline`).
 */
export function silenceStartOf(facts: Pick<OrderFlowFacts, 'lastSuccessAt' | 'since' | 'watchingSince'>, now: Date): Date {
  return latest(latest(facts.lastSuccessAt, facts.since), facts.watchingSince ?? null) ?? now;
}

/**
 * While an alert is open a test stays breached until its evidence falls below this share of the limit (in
 * log odds): the baseline is rebuilt every hour and must not resolve and reopen one silence at the seam.
 */
export const HOLD_SHARE = 0.5;

export interface OrderFlowResult {
  detector: 'order_flow';
  breached: boolean;
  /** Less history than LEARNING_DAYS: a verdict is still given, with a wider margin. */
  learning: boolean;
  learningDaysLeft: number;
  /** A full stop (no successful order for too long) or a drop (too few in the last hours). */
  kind: 'stop' | 'drop' | null;
  /** When the silence or the slow stretch began: the last successful order, or the drop's first bin. */
  startedAt: Date | null;
  expected: number;
  came: number;
  /** How likely so few orders are on a normal day, and the limit the budget sets. */
  probability: number;
  limit: number;
  ratePerHour: number;
  severity: Severity;
  summary: string;
}

/** The drop test looks back this far in bins of this size (a bounded loop, recomputed at every check). */
export const DROP_SPAN_MINUTES = 360;
const DROP_BIN_MINUTES = 10;
/** The drop the CUSUM is tuned to: orders at a fifth of the expected rate. */
const DROP_RATIO = 0.2;
/** A silence is critical once this many days' orders are missing... */
const CRITICAL_SILENCE_DAYS = 2;
/** ...or once its evidence is twice what opened it and about this many orders are missing. */
const CRITICAL_MISSING_ORDERS = 50;
/**
 * No verdict on the order flow before a week of history (issue 17: alert from day 7); from then on the
 * learnt rate's own uncertainty is the margin (baseline.silenceDispersion). With REST keys the backfill
 * brings eight weeks at once.
 */
const MIN_HISTORY_DAYS = 7;
const MIN_HISTORY_ORDERS = 10;

/**
 * A sequential test of "orders stopped": the chance of the silence since the last successful order under
 * the store's expected rate (negative binomial, so slow days are allowed for), against the share of the
 * false-alarm budget spent over the month's orders (each gap between orders is one chance to be wrong).
 * Beside it, a Poisson CUSUM over the last hours catches a drop to a fraction of the usual rate.
 */
export function evaluateOrderFlow(now: Date, settings: Settings, baseline: Baseline, facts: OrderFlowFacts): OrderFlowResult {
  const learning = learningOf(baseline);
  const ratePerHour = rateAt(baseline, now);
  const quiet = (summary: string): OrderFlowResult => ({
    detector: 'order_flow',
    breached: false,
    learning: learning.learning,
    learningDaysLeft: learning.daysLeft,
    kind: null,
    startedAt: null,
    expected: 0,
    came: 0,
    probability: 1,
    limit: 0,
    ratePerHour: round1(ratePerHour),
    severity: 'warning',
    summary,
  });
  if (baseline.historyDays < MIN_HISTORY_DAYS || baseline.observedSuccesses < MIN_HISTORY_ORDERS) {
    // The baseline counts whole hours since monitoring began: orders of the hour now running are judged
    // by the check, not yet part of the rhythm (a new store's busy first hour read "0 orders in 0 days").
    const watched = baseline.historyDays < 2 ? `${Math.round(baseline.historyDays * 24)} whole hours` : `${round1(baseline.historyDays)} days`;
    return quiet(
      `still learning the store's rhythm: ${baseline.observedSuccesses} successful orders in the ${watched} watched so far (the current hour counts once it ends); ` +
        `no verdict until ${MIN_HISTORY_DAYS} days and ${MIN_HISTORY_ORDERS} orders are known${learningNote(learning)}`,
    );
  }

  const budget = settings.false_alarms_per_month;
  const calibration = facts.silenceCalibration;
  const silenceP = calibration?.calibrated ? Math.min(0.5, Math.exp(-calibration.limitLogOdds)) : silenceChance(settings, baseline);
  const gapStart = silenceStartOf(facts, now);
  const before = facts.silenceBaseline;
  const judge = before && before.historyDays >= MIN_HISTORY_DAYS && before.observedSuccesses >= MIN_HISTORY_ORDERS ? before : baseline;
  const expected = expectedBetween(judge, gapStart, now);
  const probability = probabilityOfNone(expected, judge.silenceDispersion);
  // While learning, a silence no longer than one the history already lived through is normal for this store.
  const normalQuiet = learning.learning && expected <= baseline.longestQuietExpected;
  const minutes = Math.round((now.getTime() - gapStart.getTime()) / 60_000);
  const bar = facts.alertOpen ? silenceP ** HOLD_SHARE : silenceP;
  if (probability < bar && !normalQuiet) {
    const critical = isCriticalShortfall(baseline, expected, -Math.log(probability), -Math.log(silenceP));
    return {
      ...quiet(''),
      breached: true,
      kind: 'stop',
      startedAt: gapStart,
      expected: round1(expected),
      came: 0,
      probability,
      limit: silenceP,
      severity: critical ? 'critical' : 'warning',
      summary:
        `no successful order for ${formatMinutes(minutes)}: about ${round1(expected)} were expected, 0 came ` +
        `(chance on a normal day ${odds(probability)}, alert below ${odds(silenceP)})${learningNote(learning)}`,
    };
  }

  const drop = dropCusum(now, baseline, facts.recentSuccessTimes, facts.watchingSince ?? null);
  // Each bin of the month is one chance for the CUSUM to cross (Wald's bound: ARL0 >= e^h).
  const binsPerMonth = (30 * 24 * 60) / DROP_BIN_MINUTES;
  const dropLimit = Math.log(binsPerMonth / (budget * BUDGET_SHARE.drop));
  // The same allowance as for a silence: while learning, a slow stretch shorter than one the history lived through is normal.
  const normalSlow = learning.learning && drop.expected <= baseline.longestQuietExpected;
  if (drop.ongoing && drop.statistic >= (facts.alertOpen ? HOLD_SHARE : 1) * dropLimit && drop.startedAt && !normalSlow) {
    const critical = isCriticalShortfall(baseline, drop.expected - drop.came, drop.statistic, dropLimit);
    return {
      ...quiet(''),
      breached: true,
      kind: 'drop',
      startedAt: drop.startedAt,
      expected: round1(drop.expected),
      came: drop.came,
      probability: Math.exp(-drop.statistic),
      limit: Math.exp(-dropLimit),
      severity: critical ? 'critical' : 'warning',
      summary:
        `${drop.came} successful ${drop.came === 1 ? 'order' : 'orders'} since ${formatMinutes(Math.round((now.getTime() - drop.startedAt.getTime()) / 60_000))} ago ` +
        `where about ${round1(drop.expected)} were expected${learningNote(learning)}`,
    };
  }

  return {
    ...quiet(
      `last successful order ${formatMinutes(minutes)} ago; about ${round1(expected)} expected since, ` +
        `normal (about ${round1(ratePerHour)} an hour now)${learningNote(learning)}`,
    ),
    expected: round1(expected),
    probability,
    limit: silenceP,
  };
}

/**
 * Severity from how many orders are missing and how sure the test is. The spec's reference: one day without
 * orders is a warning, two are critical. A busy store loses a small store's day in minutes, so a shortfall
 * whose evidence is twice what opened it and that has cost many orders is critical too.
 */
function isCriticalShortfall(baseline: Baseline, missing: number, evidence: number, openingEvidence: number): boolean {
  const ordersPerDay = baseline.ordersPerMonth / 30;
  return missing >= CRITICAL_SILENCE_DAYS * ordersPerDay || (evidence >= 2 * openingEvidence && missing >= CRITICAL_MISSING_ORDERS);
}

interface DropStatistic {
  statistic: number;
  /** The last bin still added evidence: the drop goes on now, it is not only a slow stretch behind us. */
  ongoing: boolean;
  startedAt: Date | null;
  expected: number;
  came: number;
}

/**
 * Poisson CUSUM of "the rate fell to DROP_RATIO of expected", over fixed bins ending now. The expectation
 * is lowered by the store's day-to-day variation first, so an ordinary slow afternoon adds no evidence.
 */
const ONGOING_BINS = 3;

function dropCusum(now: Date, baseline: Baseline, successTimes: readonly Date[], watchingSince: Date | null): DropStatistic {
  const bins = DROP_SPAN_MINUTES / DROP_BIN_MINUTES;
  const slowDay = Math.max(0.3, 1 - 1.64 / Math.sqrt(baseline.dispersion));
  const logRatio = Math.log(DROP_RATIO);
  const end = now.getTime();
  const sorted = successTimes;
  let cursor = 0;
  let statistic = 0;
  let best: DropStatistic = { statistic: 0, ongoing: false, startedAt: null, expected: 0, came: 0 };
  let runStart: number | null = null;
  let runExpected = 0;
  let runCame = 0;
  // The evidence of the last ONGOING_BINS bins: a drop still going on adds to it, a flow that came back
  // takes from it (a CUSUM stays high for hours after a long silence ends, and a single empty bin of a
  // recovered store must not read as the drop going on: it re-alerted right after a resolved silence).
  let recent = 0;
  for (let b = 0; b < bins; b++) {
    const from = end - (bins - b) * DROP_BIN_MINUTES * 60_000;
    const to = from + DROP_BIN_MINUTES * 60_000;
    // A bin before the monitor began is history, not news.
    if (watchingSince && from < watchingSince.getTime()) continue;
    while (cursor < sorted.length && Number(sorted[cursor]) < from) cursor++;
    let came = 0;
    while (cursor < sorted.length && Number(sorted[cursor]) < to) {
      came++;
      cursor++;
    }
    const expected = expectedBetween(baseline, from, to);
    const increment = came * logRatio + (1 - DROP_RATIO) * expected * slowDay;
    if (b >= bins - ONGOING_BINS) recent += increment;
    if (statistic + increment <= 0) {
      statistic = 0;
      runStart = null;
      runExpected = 0;
      runCame = 0;
      continue;
    }
    if (runStart === null) runStart = from;
    statistic += increment;
    runExpected += expected;
    runCame += came;
    best = { statistic, ongoing: recent > 0 && increment > 0 && b === bins - 1, startedAt: new Date(runStart), expected: runExpected, came: runCame };
  }
  // Only the statistic at the end counts: a slow stretch that recovered is not a problem now.
  return statistic > 0 ? best : { statistic: 0, ongoing: false, startedAt: null, expected: 0, came: 0 };
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return `${Math.round(hours / 24)} days`;
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
