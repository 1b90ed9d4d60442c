import { ownBaselineFromMs, silenceLimit, withoutOwnHoursFactor, type Baseline } from './baseline';
import { BUDGET_SHARE } from './budget';
import type { Settings } from './settings';
import { HOUR_MS, hourIndex, hourOfWeek } from './time';

/**
 * Issue 17: the false-alarm setting should mean what it says on each store. The silence test's model (a
 * negative binomial fitted to whole-hour windows) sets a limit that spends the silence's share by the
 * model's reckoning; measured, it spent a third to two thirds of it. The model cannot know two things the
 * store's own history shows: how its gaps between orders really tail off, and that a silence is only
 * told when a check falls in it after the limit is passed (a busy store's gaps overshoot a 3-minute limit
 * by seconds, and a check every minute sees a third of them). So the limit is chosen by replaying the
 * store's own last eight weeks: the one at which the silence test, checking as often as it does, would
 * have raised its share of the budget.
 *
 * Eight weeks at a setting of 1 hold about 1.4 such false alarms (0.75 a month): far too few to read a
 * limit off, and one real outage would be half of them. So the replay counts the alarms at two lower limits where there
 * are many (CALIBRATION_COUNTS), fits the tail between them (alarms fall exponentially with the limit in
 * log odds) and extends it to the budget. That is the outage guard: an outage is one gap, one alarm at
 * most among ten or more, and moves the limit by a tenth of the tail's slope at most.
 *
 * Pure: the live check (services/silence-calibration) and the replay (domain/replay) hand it the times of
 * the store's successful customer orders and the baseline, and both compute it once a day.
 */

/** The history replayed: the baseline's eight weeks. */
export const CALIBRATION_DAYS = 56;
/** Less history than this (or too few gaps to count CALIBRATION_COUNTS alarms) keeps the model's limit. */
const MIN_CALIBRATION_DAYS = 14;
/** The two reference levels: the limits at which the replay would have raised this many alarms. */
const CALIBRATION_COUNTS = [40, 20, 10] as const;
/**
 * The calibrated limit stays within these multiples of the model's (in log odds): a history that is odd
 * in a way the tail fit cannot see (a partial outage of weeks) must not blind the test or unleash it.
 */
const MIN_FACTOR = 0.6;
const MAX_FACTOR = 1.5;
/** The replayed tail must fall at least this slowly (log odds per e-fold of alarms; the model says 1). */
const MIN_TAIL_SLOPE = 0.25;
/** Only the longest gaps can reach the reference levels; the rest are not replayed. */
const LONGEST_GAPS = 1000;

export interface SilenceCalibration {
  /** The silence test alerts when -ln P(no order since the last one) reaches this. */
  limitLogOdds: number;
  /** The model's limit, -ln(share of the budget / orders a month), for comparison. */
  modelLogOdds: number;
  /** False: too little history, and limitLogOdds is the model's. */
  calibrated: boolean;
  /** Gaps between successful orders replayed, and the false alarms the budget allows in the period. */
  gaps: number;
  target: number;
  /** Minutes between scheduled checks the replay assumed. */
  checkEveryMinutes: number;
  /** Why the model's limit is kept, when it is. */
  note: string;
}

/** The silence's share of the budget as the chance of a gap between orders: the model's limit. */
export function silenceChance(settings: Pick<Settings, 'false_alarms_per_month'>, baseline: Pick<Baseline, 'ordersPerMonth'>): number {
  return Math.min(0.5, (settings.false_alarms_per_month * BUDGET_SHARE.silence) / Math.max(1, baseline.ordersPerMonth));
}

/**
 * The silence limit that would have spent the silence's share of the budget on the store's own history:
 * `successMs` are the creation times of its successful customer orders in [from, to), oldest first; the
 * scheduled check runs every `checkEveryMinutes`.
 */
export function calibrateSilence(
  successMs: ArrayLike<number>,
  baseline: Baseline,
  settings: Pick<Settings, 'false_alarms_per_month'>,
  range: { from: number; to: number; checkEveryMinutes: number },
): SilenceCalibration {
  const modelLogOdds = -Math.log(silenceChance(settings, baseline));
  const days = (range.to - range.from) / 86_400_000;
  const target = (settings.false_alarms_per_month * BUDGET_SHARE.silence * days) / 30;
  const cadenceMs = Math.max(1, range.checkEveryMinutes) * 60_000;
  const base = { limitLogOdds: modelLogOdds, modelLogOdds, calibrated: false, gaps: Math.max(0, successMs.length - 1), target, checkEveryMinutes: range.checkEveryMinutes };
  if (days < MIN_CALIBRATION_DAYS || successMs.length < 2) return { ...base, note: `less than ${MIN_CALIBRATION_DAYS} days of orders to replay` };

  const clock = new ExpectedClock(baseline, range.from, range.to);
  // The expected orders of each gap; only the longest can reach a reference level.
  const n = successMs.length - 1;
  const expected = new Float64Array(n);
  let previous = clock.at(Number(successMs[0]));
  for (let i = 0; i < n; i++) {
    const next = clock.at(Number(successMs[i + 1]));
    expected[i] = next - previous;
    previous = next;
  }
  const cutoff = n > LONGEST_GAPS ? (expected.slice().sort()[n - LONGEST_GAPS] ?? 0) : -Infinity;
  const longest: number[] = [];
  for (let i = 0; i < n; i++) if ((expected[i] ?? 0) >= cutoff) longest.push(i);
  // Each gap scored as the live test scores a silence: by rates that did not learn from it (baseline.ts).
  // What the replay needs of each gap, computed once: it is asked for about 90 limits (the bisections).
  const gaps = longest.map((i) => {
    const start = Number(successMs[i]);
    const end = Number(successMs[i + 1]);
    return {
      start,
      end,
      atStart: clock.at(start),
      expected: expected[i] ?? 0,
      own: withoutOwnHoursFactor(baseline, start, end),
      // Live, a silence is judged by the baseline from before it from then on (silenceNeedsOwnBaseline);
      // before that, by the current baseline, as replayed here.
      ownFrom: ownBaselineFromMs(start),
    };
  });
  const k = baseline.silenceDispersion;

  /** The alarms the test would have raised at limit x (log odds): a gap alarms if a check falls after the limit. */
  const alarms = (x: number): number => {
    const limit = silenceLimit(Math.exp(-x), k);
    let total = 0;
    for (const gap of gaps) {
      // Never reaches the limit, even judged by the baseline from before it (own >= 1).
      if (gap.expected * gap.own <= limit) continue;
      const plainCrossing = clock.timeOf(gap.atStart + limit);
      const factor = Math.min(plainCrossing, gap.end) >= gap.ownFrom ? gap.own : 1;
      if (gap.expected * factor <= limit) continue;
      const crossed = factor === 1 ? plainCrossing : clock.timeOf(gap.atStart + limit / factor);
      total += Math.min(1, Math.max(0, gap.end - crossed) / cadenceMs);
    }
    return total;
  };
  const high = Math.max(...CALIBRATION_COUNTS);
  const lowest = 0.5;
  if (alarms(lowest) < high) return { ...base, note: `fewer than ${high} gaps long enough to replay` };
  const level = (count: number): number => {
    // alarms(x) falls as x grows: bisect for the limit where it crosses `count`.
    let lo = lowest;
    let hi = 4 * modelLogOdds + 10;
    for (let step = 0; step < 30; step++) {
      const mid = (lo + hi) / 2;
      if (alarms(mid) > count) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  // Beyond the reference levels the tail falls as the model says (one e-fold of alarms per unit of log
  // odds): that is what the log odds mean. Each level, extended to the budget, says where the limit is;
  // their mean is steadier than any one.
  const levels = CALIBRATION_COUNTS.map(level);
  // A store whose gaps come like clockwork (every night the same gap) has no tail to extend: the limits
  // for 40 and 10 alarms nearly coincide, and the extension would call a silence a little longer than
  // usual an outage. Its tail must fall at least a quarter as slowly as the model's.
  const measuredSlope = ((levels[levels.length - 1] ?? 0) - (levels[0] ?? 0)) / Math.log(high / Math.min(...CALIBRATION_COUNTS));
  if (measuredSlope < MIN_TAIL_SLOPE) return { ...base, note: 'the gaps between orders are too regular to extend their tail' };
  const fitted = levels.reduce((sum, x, i) => sum + x + Math.log((CALIBRATION_COUNTS[i] ?? 1) / target), 0) / levels.length;
  const limitLogOdds = Math.min(MAX_FACTOR * modelLogOdds, Math.max(MIN_FACTOR * modelLogOdds, fitted));
  return { ...base, limitLogOdds, calibrated: true, note: 'calibrated on the store\'s own history' };
}

/**
 * Cumulative expected orders by the baseline from `from`, by whole hours, and its inverse: the instant at
 * which a given number of orders was expected.
 */
class ExpectedClock {
  private readonly firstHour: number;
  private readonly rate: Float64Array;
  private readonly cumulative: Float64Array;

  constructor(baseline: Baseline, from: number, to: number) {
    this.firstHour = hourIndex(from);
    const hours = Math.max(1, hourIndex(to) - this.firstHour + 2);
    this.rate = new Float64Array(hours);
    this.cumulative = new Float64Array(hours + 1);
    for (let j = 0; j < hours; j++) {
      this.rate[j] = baseline.ratePerHour[hourOfWeek(this.firstHour + j, baseline.timezone)] ?? 0;
      this.cumulative[j + 1] = (this.cumulative[j] ?? 0) + (this.rate[j] ?? 0);
    }
  }

  at(ms: number): number {
    const j = Math.min(this.rate.length - 1, Math.max(0, Math.floor(ms / HOUR_MS) - this.firstHour));
    const into = (ms - (this.firstHour + j) * HOUR_MS) / HOUR_MS;
    return (this.cumulative[j] ?? 0) + (this.rate[j] ?? 0) * Math.max(0, Math.min(1, into));
  }

  timeOf(value: number): number {
    // The first hour whose end reaches the value.
    let lo = 0;
    let hi = this.rate.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid + 1] ?? 0) < value) lo = mid + 1;
      else hi = mid;
    }
    const rate = this.rate[lo] ?? 0;
    const into = rate > 0 ? Math.max(0, Math.min(1, (value - (this.cumulative[lo] ?? 0)) / rate)) : 1;
    // Past the last hour: never crossed within the range.
    if ((this.cumulative[this.rate.length] ?? 0) < value) return Infinity;
    return (this.firstHour + lo + into) * HOUR_MS;
  }
}
