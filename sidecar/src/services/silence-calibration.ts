import type { Baseline } from '../domain/baseline';
import { BUDGET_SHARE } from '../domain/budget';
import { minimumStopDetectionMinutes, volumeCadenceMinutes } from '../domain/cadence';
import { CALIBRATION_DAYS, calibrateSilence, type SilenceCalibration } from '../domain/calibration';
import type { Settings } from '../domain/settings';
import { HOUR_MS, spreadOver } from '../domain/time';
import type { CalibrationRepository } from '../store/calibrations';
import type { OrderRepository } from '../store/orders';
import type { StoreRecord } from '../store/stores';

const DAY_MS = 86_400_000;
/** Past this many stores the least recently calibrated are dropped (a few hundred bytes each). */
const MAX_ENTRIES = 50_000;

/**
 * When in the UTC day a store is recalibrated: spread by its id over the day, so that ten thousand stores
 * do not all read their eight weeks in the first minutes after midnight.
 */
export function calibrationOffsetMs(storeId: string): number {
  return spreadOver(storeId, DAY_MS);
}

/**
 * Each store's silence limit replayed on its own last eight weeks (domain/calibration), once a day, as
 * the backtest's replay does. It reads the times of eight weeks of successful orders (a busy store's
 * hundred thousand), which an hourly rebuild could not afford; a day moves the limit by little. Kept in
 * MariaDB too, so a restart or a second sidecar reuses the day's result instead of every store reading
 * its eight weeks again at once.
 */
export class SilenceCalibrationCache {
  private readonly entries = new Map<string, { day: number; key: string; calibration: SilenceCalibration }>();
  private computed = 0;

  constructor(
    private readonly orders: OrderRepository,
    private readonly stored?: CalibrationRepository,
  ) {}

  /** `followedDetection`: the detection time the store's schedule follows (StoreRegistry.observeVolume), if known. */
  async get(store: StoreRecord, settings: Settings, baseline: Baseline, now: Date, followedDetection?: number): Promise<SilenceCalibration> {
    const day = Math.floor((now.getTime() - calibrationOffsetMs(store.id)) / DAY_MS);
    const checkEveryMinutes = volumeCadenceMinutes(settings, followedDetection ?? minimumStopDetectionMinutes(baseline));
    // A change of the budget (or of the silence's share of it in a new version), the statuses, the time
    // zone, the cadence or the history's length recalibrates at once: a kept row from before is not reused.
    const key = JSON.stringify([BUDGET_SHARE.silence, settings.false_alarms_per_month, settings.success_statuses, settings.timezone, checkEveryMinutes, store.firstContactAt?.getTime() ?? null, Math.floor(baseline.historyDays)]);
    const cached = this.entries.get(store.id);
    if (cached && cached.day === day && cached.key === key) return cached.calibration;
    const kept = await this.stored?.get(store.id);
    if (kept && kept.day === day && kept.key === key) {
      this.remember(store.id, kept);
      return kept.calibration;
    }
    const to = baseline.asOfHour * HOUR_MS;
    const from = Math.max(to - CALIBRATION_DAYS * DAY_MS, store.firstContactAt ? store.firstContactAt.getTime() : -Infinity);
    const times = from < to ? await this.orders.successTimesBetween(store.id, settings.success_statuses, new Date(from), new Date(to)) : [];
    const calibration = calibrateSilence(times, baseline, settings, { from, to, checkEveryMinutes });
    this.computed += 1;
    this.remember(store.id, { day, key, calibration });
    await this.stored?.save(store.id, { day, key, calibration }, now);
    return calibration;
  }

  private remember(storeId: string, entry: { day: number; key: string; calibration: SilenceCalibration }): void {
    this.entries.delete(storeId);
    this.entries.set(storeId, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** How many calibrations this process computed from the orders (not from memory or MariaDB). */
  get computeCount(): number {
    return this.computed;
  }

  forget(storeId: string): void {
    this.entries.delete(storeId);
  }
}
