import type { Settings } from './settings';
import { isPeakTime } from './time';

export interface PeriodSuggestion {
  /**
   * Alert when fewer successful orders than this arrive in one window. Never 0: 0 switches the
   * time-based check off for the period, and a suggestion must not quietly stop watching a store.
   */
  threshold: number;
  /** Windows of this period in the history. */
  windows: number;
  /** How many of them had fewer orders than the suggested threshold: the false alarms it would allow. */
  below: number;
  medianOrders: number;
  /** Windows without a single successful order. */
  emptyWindows: number;
  /**
   * More than the allowed number of windows had no order at all, so even the lowest threshold (1) would
   * alert on ordinary quiet spells: the trade-off the owner must be told of.
   */
  tooQuiet: boolean;
}

export interface ThresholdSuggestion {
  peak: PeriodSuggestion;
  offPeak: PeriodSuggestion;
  from: Date;
  to: Date;
}

/**
 * Time-based thresholds from the store's own history: for peak and off-peak windows apart, the highest
 * threshold under which at most `allowedPerPeriod` of the past windows would have fallen. The history is
 * taken to be normal trading, so a window under the threshold is a false alarm. A period too quiet for
 * any threshold to be safe still gets 1, the lowest that keeps checking, marked `tooQuiet` with the
 * false alarms it costs: switching a detector off is the owner's decision, never a suggestion's.
 */
export function suggestThresholds(
  successfulOrderTimes: readonly Date[],
  settings: Settings,
  range: { from: Date; to: Date },
  allowedPerPeriod = 4,
): ThresholdSuggestion {
  const windowMs = settings.check_interval_minutes * 60_000;
  const start = Math.ceil(range.from.getTime() / windowMs) * windowMs;
  const count = Math.max(0, Math.floor((range.to.getTime() - start) / windowMs));
  const perWindow = new Array<number>(count).fill(0);
  for (const at of successfulOrderTimes) {
    const index = Math.floor((at.getTime() - start) / windowMs);
    if (index >= 0 && index < count) perWindow[index]! += 1;
  }
  const peak: number[] = [];
  const offPeak: number[] = [];
  const hours = { start: settings.peak_start, end: settings.peak_end, weekdays: settings.peak_weekdays };
  perWindow.forEach((orders, i) => {
    // A window is judged by the moment it ends, as the live check judges it.
    const end = new Date(start + (i + 1) * windowMs);
    (isPeakTime(end, settings.timezone, hours) ? peak : offPeak).push(orders);
  });
  return { peak: suggestFor(peak, allowedPerPeriod), offPeak: suggestFor(offPeak, allowedPerPeriod), from: range.from, to: range.to };
}

function suggestFor(counts: number[], allowed: number): PeriodSuggestion {
  const sorted = [...counts].sort((a, b) => a - b);
  const quantile = sorted.length > allowed ? sorted[allowed]! : 0;
  const threshold = Math.max(1, quantile);
  return {
    threshold,
    windows: sorted.length,
    below: sorted.filter((c) => c < threshold).length,
    medianOrders: sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0,
    emptyWindows: sorted.filter((c) => c === 0).length,
    tooQuiet: sorted.length > allowed && quantile === 0,
  };
}
