import { HOUR_MS, hourIndex, hourOfWeek } from './time';

/**
 * The store's own expectation: successful customer orders per hour of week, learnt from the last eight
 * weeks of its history in its own time zone. Pure: it receives hourly counts and `now`, never the clock.
 */

export const BASELINE_WEEKS = 8;
/** Four of each hour of week seen: below this, adaptive mode is "learning" and keeps a wider margin. */
export const LEARNING_DAYS = 28;
const WEEK_HOURS = 168;
export const LOOKBACK_HOURS = BASELINE_WEEKS * WEEK_HOURS;
/** Each older week counts this much less than the one after it: a store's rhythm drifts. */
const WEEK_DECAY = 0.8;
/** A sparse hour of week borrows this many hours' worth of its day's overall profile. */
const SLOT_PRIOR_HOURS = 2;
/** A weekday's level borrows a day's worth of the store's overall level. */
const WEEKDAY_PRIOR_HOURS = 24;
/** Stores vary day to day more than Poisson says; k is bounded so one odd day cannot blind the test. */
const MIN_DISPERSION_K = 3;
const MAX_DISPERSION_K = 200;
/** Prior failure share (a few declines are normal) and how many orders' worth of weight it gets. */
const PRIOR_FAILURE_SHARE = 0.05;
const PRIOR_FAILURE_ORDERS = 20;

/** Customer orders per UTC hour: element i counts orders created in hour `firstHour + i`. */
export interface HourlyHistory {
  firstHour: number;
  success: ArrayLike<number>;
  failure: ArrayLike<number>;
  /**
   * Failures whose cart was tried again (domain/failure-rate `isRetriedFailure`): the failure test counts a
   * retried cart once, so its usual share must too. Absent: no retry is known.
   */
  retriedFailure?: ArrayLike<number>;
  /** Sum of the totals of successful orders that had one, and how many had one. */
  revenue: ArrayLike<number>;
  revenueOrders: ArrayLike<number>;
}

export interface Baseline {
  /** Built from whole hours before this UTC hour; the same hour always gives the same baseline. */
  asOfHour: number;
  timezone: string;
  /** Expected successful customer orders per hour, by local hour of week (0 = Monday 00:00). */
  ratePerHour: Float64Array;
  historyDays: number;
  /** Successful orders in the history (unweighted): too few and there is nothing to learn from. */
  observedSuccesses: number;
  ordersPerMonth: number;
  classifiedPerMonth: number;
  /** The usual share of carts that end failed, a declined customer's retries counted as one cart. */
  failureShare: number;
  /**
   * The usual share of attempts that fail: what the newest carts look like when a check reads them, before
   * a declined customer has had the time to try again (at least failureShare).
   */
  freshFailureShare: number;
  /** Negative-binomial shape of the day-to-day variation: smaller means more variable. */
  dispersion: number;
  /**
   * Negative-binomial shape for a silence, measured at the silence test's own time scale (windows of the
   * hours in which about SILENCE_WINDOW_ORDERS orders are expected), with the uncertainty of the learnt rate
   * itself: a young history widens the margin by as much as it knows less, not by a fixed schedule.
   */
  silenceDispersion: number;
  averageOrderValue: number | null;
  /** The longest quiet spell in the history, in expected orders: while learning, quieter is normal. */
  longestQuietExpected: number;
}

const at = (values: ArrayLike<number>, i: number): number => (i >= 0 && i < values.length ? (values[i] ?? 0) : 0);

export function buildBaseline(history: HourlyHistory, since: Date | null, now: Date, timezone: string): Baseline {
  const asOfHour = hourIndex(now);
  const lookbackStart = asOfHour - LOOKBACK_HOURS;
  const startHour = Math.max(lookbackStart, coverageStart(history, since, lookbackStart, asOfHour));

  const weighted = new Float64Array(WEEK_HOURS);
  const exposure = new Float64Array(WEEK_HOURS);
  let successes = 0;
  let failures = 0;
  let retried = 0;
  let revenue = 0;
  let revenueOrders = 0;
  for (let h = startHour; h < asOfHour; h++) {
    const i = h - history.firstHour;
    const n = at(history.success, i);
    const weight = WEEK_DECAY ** Math.floor((asOfHour - 1 - h) / WEEK_HOURS);
    const slot = hourOfWeek(h, timezone);
    weighted[slot] = (weighted[slot] ?? 0) + weight * n;
    exposure[slot] = (exposure[slot] ?? 0) + weight;
    successes += n;
    failures += at(history.failure, i);
    if (history.retriedFailure) retried += at(history.retriedFailure, i);
    revenue += at(history.revenue, i);
    revenueOrders += at(history.revenueOrders, i);
  }

  const ratePerHour = smoothRates(weighted, exposure);
  const ordersPerMonth = ratePerHour.reduce((sum, r) => sum + r, 0) * ((30 * 24) / WEEK_HOURS);
  // Carts, not attempts: a declined customer's retries are one cart with the outcome of its last attempt.
  const cartFailures = Math.max(0, failures - retried);
  const failureShare = Math.min(
    0.5,
    Math.max(0.005, (cartFailures + PRIOR_FAILURE_SHARE * PRIOR_FAILURE_ORDERS) / (successes + cartFailures + PRIOR_FAILURE_ORDERS)),
  );
  const baseline: Baseline = {
    asOfHour,
    timezone,
    ratePerHour,
    historyDays: Math.max(0, asOfHour - startHour) / 24,
    observedSuccesses: successes,
    ordersPerMonth,
    classifiedPerMonth: ordersPerMonth / (1 - failureShare),
    failureShare,
    freshFailureShare: Math.min(
      0.5,
      Math.max(failureShare, (failures + PRIOR_FAILURE_SHARE * PRIOR_FAILURE_ORDERS) / (successes + failures + PRIOR_FAILURE_ORDERS)),
    ),
    dispersion: MAX_DISPERSION_K,
    silenceDispersion: MAX_DISPERSION_K,
    averageOrderValue: revenueOrders > 0 ? revenue / revenueOrders : null,
    longestQuietExpected: 0,
  };
  baseline.dispersion = estimateDispersion(history, baseline, startHour);
  baseline.silenceDispersion = estimateSilenceDispersion(history, baseline, startHour);
  baseline.longestQuietExpected = longestQuiet(history, baseline, startHour);
  return baseline;
}

/** Hours before WordPress first reported are not history: no order there means nothing was watched. */
function coverageStart(history: HourlyHistory, since: Date | null, from: number, to: number): number {
  if (since) return Math.ceil(since.getTime() / HOUR_MS);
  for (let h = from; h < to; h++) {
    const i = h - history.firstHour;
    if (at(history.success, i) + at(history.failure, i) > 0) return h;
  }
  return to;
}

/**
 * Each hour of week shrinks towards its hour of day's profile scaled to its weekday's level, so an hour
 * seen twice with no order on a store that sells then every other day is not taken for a dead hour.
 */
function smoothRates(weighted: Float64Array, exposure: Float64Array): Float64Array {
  const dayC = new Float64Array(24);
  const dayE = new Float64Array(24);
  const weekdayC = new Float64Array(7);
  const weekdayE = new Float64Array(7);
  let totalC = 0;
  let totalE = 0;
  for (let slot = 0; slot < WEEK_HOURS; slot++) {
    const c = weighted[slot] ?? 0;
    const e = exposure[slot] ?? 0;
    dayC[slot % 24] = (dayC[slot % 24] ?? 0) + c;
    dayE[slot % 24] = (dayE[slot % 24] ?? 0) + e;
    weekdayC[Math.floor(slot / 24)] = (weekdayC[Math.floor(slot / 24)] ?? 0) + c;
    weekdayE[Math.floor(slot / 24)] = (weekdayE[Math.floor(slot / 24)] ?? 0) + e;
    totalC += c;
    totalE += e;
  }
  const rates = new Float64Array(WEEK_HOURS);
  if (totalE === 0 || totalC === 0) return rates;
  const level = totalC / totalE;
  for (let slot = 0; slot < WEEK_HOURS; slot++) {
    const d = slot % 24;
    const w = Math.floor(slot / 24);
    const hourOfDay = (dayE[d] ?? 0) > 0 ? (dayC[d] ?? 0) / (dayE[d] ?? 1) : level;
    const weekdayLevel = ((weekdayC[w] ?? 0) + WEEKDAY_PRIOR_HOURS * level) / ((weekdayE[w] ?? 0) + WEEKDAY_PRIOR_HOURS);
    const prior = (hourOfDay * weekdayLevel) / level;
    rates[slot] = ((weighted[slot] ?? 0) + SLOT_PRIOR_HOURS * prior) / ((exposure[slot] ?? 0) + SLOT_PRIOR_HOURS);
  }
  return rates;
}

/** Method of moments over whole days: how much more than Poisson a day's count strays from its expectation. */
function estimateDispersion(history: HourlyHistory, baseline: Baseline, startHour: number): number {
  let excess = 0;
  let squares = 0;
  let days = 0;
  for (let end = baseline.asOfHour; end - 24 >= startHour && days < BASELINE_WEEKS * 7; end -= 24, days++) {
    let observed = 0;
    let expected = 0;
    for (let h = end - 24; h < end; h++) {
      observed += at(history.success, h - history.firstHour);
      expected += baseline.ratePerHour[hourOfWeek(h, baseline.timezone)] ?? 0;
    }
    excess += (observed - expected) ** 2 - expected;
    squares += expected * expected;
  }
  // Under a week of days says little about variation: assume a store as variable as the bound allows.
  if (days < 7 || squares === 0) return MIN_DISPERSION_K;
  const phi = excess / squares;
  return phi <= 1 / MAX_DISPERSION_K ? MAX_DISPERSION_K : Math.max(MIN_DISPERSION_K, 1 / phi);
}

/** The silence test's scale: windows in which about this many orders are expected (its limits are 5-15). */
const SILENCE_WINDOW_ORDERS = 10;
/** Fewer windows than this say little about variation: assume as variable as the day-level bound allows. */
const MIN_SILENCE_WINDOWS = 30;
/** Outage guard: the windows with the largest excess are left out, so one real outage in the history does not pass for variation. */
const TRIMMED_WINDOWS = 2;

/**
 * How much more than Poisson the store varies at the scale a silence is judged on: whole-hour windows
 * holding about SILENCE_WINDOW_ORDERS expected orders (1 hour on a busy store, most of a day on a small one).
 * A day-level dispersion applied to an hours-long silence scored 24 empty hours with 11.5 orders expected
 * at 1 in 114, where the store's own hours say about 1 in 100,000. The rate's own uncertainty (the orders
 * seen in those hours of the week) is added, the margin a young history needs.
 */
function estimateSilenceDispersion(history: HourlyHistory, baseline: Baseline, startHour: number): number {
  const meanRate = baseline.ratePerHour.reduce((sum, r) => sum + r, 0) / WEEK_HOURS;
  if (!(meanRate > 0)) return MIN_DISPERSION_K;
  const windowHours = Math.min(24, Math.max(1, Math.round(SILENCE_WINDOW_ORDERS / meanRate)));
  const contributions: number[] = [];
  let squares = 0;
  for (let end = baseline.asOfHour; end - windowHours >= startHour; end -= windowHours) {
    let observed = 0;
    let expected = 0;
    for (let h = end - windowHours; h < end; h++) {
      observed += at(history.success, h - history.firstHour);
      expected += baseline.ratePerHour[hourOfWeek(h, baseline.timezone)] ?? 0;
    }
    if (expected <= 0) continue;
    contributions.push((observed - expected) ** 2 - expected);
    squares += expected * expected;
  }
  const estimation = Math.max(1, (baseline.observedSuccesses * windowHours) / WEEK_HOURS);
  if (contributions.length < MIN_SILENCE_WINDOWS || squares === 0) return 1 / (1 / MIN_DISPERSION_K + 1 / estimation);
  contributions.sort((a, b) => b - a);
  const excess = contributions.slice(TRIMMED_WINDOWS).reduce((sum, c) => sum + c, 0);
  const phi = Math.max(1 / MAX_DISPERSION_K, excess / squares) + 1 / estimation;
  return Math.max(MIN_DISPERSION_K, 1 / phi);
}

function longestQuiet(history: HourlyHistory, baseline: Baseline, startHour: number): number {
  let run = 0;
  let longest = 0;
  for (let h = startHour; h < baseline.asOfHour; h++) {
    if (at(history.success, h - history.firstHour) > 0) run = 0;
    else run += baseline.ratePerHour[hourOfWeek(h, baseline.timezone)] ?? 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** Expected orders per hour at an instant. */
export function rateAt(baseline: Baseline, instant: Date | number): number {
  return baseline.ratePerHour[hourOfWeek(hourIndex(instant), baseline.timezone)] ?? 0;
}

/** Longer spans are cut to their last 14 days: the expectation only grows, so this errs on the quiet side. */
const MAX_INTEGRATION_HOURS = 14 * 24;

/** Expected successful orders between two instants. */
export function expectedBetween(baseline: Baseline, start: Date | number, end: Date | number): number {
  const endMs = Number(end);
  const startMs = Math.max(Number(start), endMs - MAX_INTEGRATION_HOURS * HOUR_MS);
  if (endMs <= startMs) return 0;
  let total = 0;
  for (let h = hourIndex(startMs); h * HOUR_MS < endMs; h++) {
    const from = Math.max(startMs, h * HOUR_MS);
    const to = Math.min(endMs, (h + 1) * HOUR_MS);
    total += ((baseline.ratePerHour[hourOfWeek(h, baseline.timezone)] ?? 0) * (to - from)) / HOUR_MS;
  }
  return total;
}

/** P(no order) when Λ orders are expected and the rate itself varies as a gamma of shape k. */
export function probabilityOfNone(expected: number, dispersion: number): number {
  return (1 + expected / dispersion) ** -dispersion;
}

/** Expected orders at which probabilityOfNone falls to p: how much silence the budget tolerates. */
export function silenceLimit(p: number, dispersion: number): number {
  return dispersion * (p ** (-1 / dispersion) - 1);
}

/**
 * Whether a silence from `start` has lasted long enough for its own hours to reach the baseline of `now`
 * (it reads whole hours before now's; a silence begun in the previous hour has at most part of one in
 * it): from then on the silence is judged by the baseline from before it (domain/order-flow).
 */
export function silenceNeedsOwnBaseline(start: Date, now: Date): boolean {
  return now.getTime() >= ownBaselineFromMs(start.getTime());
}

/** From when a silence begun at `startMs` is judged by the baseline from before it: its start's hour + 2. */
export function ownBaselineFromMs(startMs: number): number {
  return (hourIndex(startMs) + 2) * HOUR_MS;
}

/**
 * How many times more orders [start, end) would be expected had the baseline not learnt from those very
 * hours. A silence inside the baseline's weeks counts in its own hours of the week as hours of no orders
 * (weighted by its week, the latest most), and lowers the hour-of-day profile and the weekday's level
 * each slot is shrunk towards (smoothRates); the live test judges a silence by the baseline from before
 * it (domain/order-flow `silenceBaseline`), so a replay of past silences by today's baseline (the silence
 * calibration) takes each one out again, or it would score them milder than the live test does and set
 * a limit that spends more than its share (olist: 1.12 false alarms a month instead of 0.75).
 * Approximate: a slot's prior is taken as its rate (they differ little where the silence matters).
 */
export function withoutOwnHoursFactor(baseline: Baseline, startMs: number, endMs: number): number {
  const last = Math.min(endMs, baseline.asOfHour * HOUR_MS);
  if (last <= startMs) return 1;
  // Each hour of the week was seen once a week for the history's weeks, the latest at weight 1.
  const weeks = Math.min(BASELINE_WEEKS, Math.max(1, Math.ceil(baseline.historyDays / 7)));
  const exposure = (1 - WEEK_DECAY ** weeks) / (1 - WEEK_DECAY);
  const hours: Array<{ slot: number; weight: number; rate: number }> = [];
  const byHourOfDay = new Float64Array(24);
  const byWeekday = new Float64Array(7);
  let total = 0;
  for (let h = hourIndex(startMs); h * HOUR_MS < last; h++) {
    const share = (Math.min(last, (h + 1) * HOUR_MS) - Math.max(startMs, h * HOUR_MS)) / HOUR_MS;
    const slot = hourOfWeek(h, baseline.timezone);
    const weight = WEEK_DECAY ** Math.floor((baseline.asOfHour - 1 - h) / WEEK_HOURS) * share;
    hours.push({ slot, weight, rate: (baseline.ratePerHour[slot] ?? 0) * share });
    byHourOfDay[slot % 24] = (byHourOfDay[slot % 24] ?? 0) + weight;
    byWeekday[Math.floor(slot / 24)] = (byWeekday[Math.floor(slot / 24)] ?? 0) + weight;
    total += weight;
  }
  // The prior's three parts, each an exposure the silence's hours are taken out of (with no orders in them).
  const level = 1 + total / (WEEK_HOURS * exposure);
  let plain = 0;
  let without = 0;
  for (const { slot, weight, rate } of hours) {
    const hourOfDay = 1 + (byHourOfDay[slot % 24] ?? 0) / (7 * exposure);
    const weekday = 1 + (byWeekday[Math.floor(slot / 24)] ?? 0) / (24 * exposure + WEEKDAY_PRIOR_HOURS);
    const prior = (hourOfDay * weekday) / level;
    plain += rate;
    without += (rate * (exposure + SLOT_PRIOR_HOURS * prior)) / Math.max(SLOT_PRIOR_HOURS, exposure + SLOT_PRIOR_HOURS - weight);
  }
  return plain > 0 ? without / plain : 1;
}
