import { replay } from '../domain/replay';
import type { Settings } from '../domain/settings';
import { suggestThresholds, type PeriodSuggestion, type ThresholdSuggestion } from '../domain/suggestions';
import type { ReportRepository } from '../store/reports';

export const SUGGESTION_DAYS = 28;
/** Adaptive mode also reads the 8 weeks before the period as history. */
const ADAPTIVE_HISTORY_DAYS = 56;
/**
 * The replay behind the false-alarm counts checks every 5 minutes: adaptive mode's 1-minute cadence over
 * 28 days of a store selling 200 an hour took about 5 seconds a replay, too long for a settings page;
 * an alert the live checks would raise a few minutes sooner is still the same alert.
 */
const REPLAY_STEP_MINUTES = 5;
/** A period of 28 days changes little within an hour; the page is opened and saved in bursts. */
const CACHE_MS = 60 * 60_000;
const CACHE_ENTRIES = 200;

export interface SuggestionView {
  days: number;
  orders: number;
  interval: number;
  peak: ThresholdSuggestion['peak'] & { current: number; tradeOff: string };
  offPeak: ThresholdSuggestion['offPeak'] & { current: number; tradeOff: string };
  falseAlarms: { current: number; suggested: number };
  usesThresholds: boolean;
  changes: boolean;
}

/**
 * Thresholds the store's own last 4 weeks suggest, and the alerts the current and the suggested settings
 * would have raised over them: the same detectors and alert policy as the live checks, replayed.
 */
export class ThresholdSuggestions {
  private readonly cache = new Map<string, { at: number; view: SuggestionView | null }>();

  constructor(private readonly reports: ReportRepository) {}

  async for(storeId: string, settings: Settings, now = new Date()): Promise<SuggestionView | null> {
    const key = `${storeId}\n${JSON.stringify(settings)}`;
    const cached = this.cache.get(key);
    if (cached && now.getTime() - cached.at < CACHE_MS) return cached.view;
    const view = await this.compute(storeId, settings, now);
    this.cache.delete(key);
    this.cache.set(key, { at: now.getTime(), view });
    // Map keeps insertion order: the first key is the oldest.
    while (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  private async compute(storeId: string, settings: Settings, to: Date): Promise<SuggestionView | null> {
    const from = new Date(to.getTime() - SUGGESTION_DAYS * 86_400_000);
    const times = await this.reports.successfulOrderTimes(storeId, settings.success_statuses, from, to);
    if (times.length === 0) return null;
    const s = suggestThresholds(times, settings, { from, to });
    const suggested = { ...settings, threshold_peak: s.peak.threshold, threshold_off_peak: s.offPeak.threshold };
    const usesThresholds = settings.mode === 'time_based' || settings.mode === 'hybrid';
    const history = settings.mode === 'adaptive' ? ADAPTIVE_HISTORY_DAYS : 0;
    const orders = await this.reports.ordersBetween(storeId, new Date(from.getTime() - history * 86_400_000), to);
    // The fixed modes keep their own cadence: it is also their window, and they replay in a blink.
    const stepMinutes = settings.mode === 'adaptive' ? REPLAY_STEP_MINUTES : undefined;
    const told = (candidate: Settings) => replay(orders, candidate, { from, to, stepMinutes }).problems.filter((p) => p.notified).length;
    const current = told(settings);
    return {
      days: SUGGESTION_DAYS,
      orders: times.length,
      interval: settings.check_interval_minutes,
      peak: { ...s.peak, current: settings.threshold_peak, tradeOff: tradeOff(s.peak, 'peak hours', settings.check_interval_minutes) },
      offPeak: { ...s.offPeak, current: settings.threshold_off_peak, tradeOff: tradeOff(s.offPeak, 'off-peak hours', settings.check_interval_minutes) },
      // A mode without thresholds would replay the same alerts twice.
      falseAlarms: { current, suggested: usesThresholds ? told(suggested) : current },
      usesThresholds,
      changes: s.peak.threshold !== settings.threshold_peak || s.offPeak.threshold !== settings.threshold_off_peak,
    };
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** One sentence an owner can weigh: what the suggested number costs and what it buys. */
export function tradeOff(s: PeriodSuggestion, period: string, interval: number): string {
  if (s.tooQuiet) {
    return (
      `In ${period} your store often goes ${interval} minutes without a paid order (${s.emptyWindows} of ${s.windows} times in the last ${SUGGESTION_DAYS} days), ` +
      `so even 1, the lowest number that still watches, would alert on those ordinary quiet spells (up to the daily limit); ` +
      `a longer check interval, or the adaptive mode that learns your quiet hours, alerts less without going blind.`
    );
  }
  return (
    (s.threshold === 1
      ? `Alerts when no paid order arrives in ${interval} minutes of ${period}, `
      : `Alerts when fewer than ${s.threshold} paid orders arrive in ${interval} minutes of ${period}, `) +
    `which happened ${plural(s.below, 'time', 'times')} in ${s.windows} such periods of the last ${SUGGESTION_DAYS} days: ` +
    `a higher number notices a slowdown sooner but alerts on more ordinary quiet spells, a lower one alerts less but only once orders nearly stop.`
  );
}
