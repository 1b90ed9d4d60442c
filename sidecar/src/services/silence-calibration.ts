import type { Baseline } from '../domain/baseline';
import { minimumStopDetectionMinutes, volumeCadenceMinutes } from '../domain/cadence';
import { CALIBRATION_DAYS, calibrateSilence, type SilenceCalibration } from '../domain/calibration';
import type { Settings } from '../domain/settings';
import { HOUR_MS } from '../domain/time';
import type { OrderRepository } from '../store/orders';
import type { StoreRecord } from '../store/stores';

const DAY_MS = 86_400_000;
/** Past this many stores the least recently calibrated are dropped (a few hundred bytes each). */
const MAX_ENTRIES = 50_000;

/**
 * Each store's silence limit replayed on its own last eight weeks (domain/calibration), once a UTC day, as
 * the backtest's replay does. It reads the times of eight weeks of successful orders (a busy store's
 * hundred thousand), which an hourly rebuild could not afford; a day moves the limit by little.
 */
export class SilenceCalibrationCache {
  private readonly entries = new Map<string, { day: number; key: string; calibration: SilenceCalibration }>();

  constructor(private readonly orders: OrderRepository) {}

  async get(store: StoreRecord, settings: Settings, baseline: Baseline, now: Date): Promise<SilenceCalibration> {
    const day = Math.floor(now.getTime() / DAY_MS);
    const checkEveryMinutes = volumeCadenceMinutes(settings, minimumStopDetectionMinutes(baseline));
    // A change of the budget, the statuses, the time zone, the cadence or the history's length recalibrates at once.
    const key = JSON.stringify([settings.false_alarms_per_month, settings.success_statuses, settings.timezone, checkEveryMinutes, store.firstContactAt?.getTime() ?? null, Math.floor(baseline.historyDays)]);
    const cached = this.entries.get(store.id);
    if (cached && cached.day === day && cached.key === key) return cached.calibration;
    const to = baseline.asOfHour * HOUR_MS;
    const from = Math.max(to - CALIBRATION_DAYS * DAY_MS, store.firstContactAt ? store.firstContactAt.getTime() : -Infinity);
    const times = from < to ? await this.orders.successTimesBetween(store.id, settings.success_statuses, new Date(from), new Date(to)) : [];
    const calibration = calibrateSilence(times, baseline, settings, { from, to, checkEveryMinutes });
    this.entries.delete(store.id);
    this.entries.set(store.id, { day, key, calibration });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return calibration;
  }

  forget(storeId: string): void {
    this.entries.delete(storeId);
  }
}
