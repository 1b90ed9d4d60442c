import type { Logger } from 'pino';
import {
  changedPastDays,
  dailyFiguresOf,
  DAILY_FIGURES_RETENTION_DAYS,
  daysDue,
  localDayBounds,
  shiftDay,
  type DailyFigures,
} from '../domain/daily-figures';
import { localDate } from '../domain/time';
import type { DailyFiguresRepository } from '../store/daily-figures';
import type { SettingsRepository } from '../store/settings';
import type { StoreRepository } from '../store/stores';

export interface RollUpOutcome {
  storeId: string;
  /** Days written this run: the ones that ended since the last run and the ones changed late. */
  days: string[];
}

/**
 * Rolls each store's orders up into daily figures once the store's local day is over, and computes a past
 * day again when its orders changed after it was rolled up (a late status change, a REST read-back).
 * Re-running is harmless: a day is always computed whole from the orders table and written over itself.
 */
export class DailyFiguresService {
  constructor(
    private readonly deps: {
      figures: DailyFiguresRepository;
      stores: StoreRepository;
      settings: SettingsRepository;
      log: Logger;
    },
  ) {}

  async rollUpAll(now = new Date()): Promise<RollUpOutcome[]> {
    const out: RollUpOutcome[] = [];
    const progress = await this.deps.figures.progressAll();
    for (const store of await this.deps.stores.list()) {
      try {
        out.push(await this.rollUp(store.id, now, progress.get(store.id) ?? { lastDay: null, lastComputedAt: null }));
      } catch (error) {
        this.deps.log.warn({ storeId: store.id, err: (error as Error).message }, 'daily figures roll-up failed; the next run tries again');
      }
    }
    return out;
  }

  async rollUp(storeId: string, now = new Date(), known?: { lastDay: string | null; lastComputedAt: Date | null }): Promise<RollUpOutcome> {
    const { figures, settings: settingsRepo } = this.deps;
    const settings = await settingsRepo.get(storeId);
    if (!settings) return { storeId, days: [] };
    const tz = settings.timezone;
    const today = localDate(now, tz);
    const oldestKept = shiftDay(today, -DAILY_FIGURES_RETENTION_DAYS);
    const progress = known ?? (await figures.progress(storeId));
    const firstOrderAt = progress.lastDay ? null : await figures.firstOrderAt(storeId);
    if (!progress.lastDay && !firstOrderAt) return { storeId, days: [] };
    const firstDay = progress.lastDay ?? localDate(firstOrderAt!, tz);

    const due = daysDue(now, tz, progress.lastDay, firstDay, DAILY_FIGURES_RETENTION_DAYS);
    const todayStart = localDayBounds(today, tz).start;
    const changed = progress.lastComputedAt
      ? changedPastDays(await figures.changedOrderTimes(storeId, progress.lastComputedAt, todayStart), now, tz, oldestKept)
      : [];
    const days = [...new Set([...due, ...changed])].sort();
    const computed: DailyFigures[] = [];
    // Consecutive days are read in one query; a year's first roll-up is a few hundred small reads otherwise.
    for (const run of consecutiveRuns(days)) {
      const start = localDayBounds(run[0]!, tz).start;
      const end = localDayBounds(run[run.length - 1]!, tz).end;
      const orders = await figures.ordersBetween(storeId, start, end);
      for (const day of run) computed.push(dailyFiguresOf(day, tz, orders, settings));
    }
    if (computed.length === 0) return { storeId, days };
    await figures.save(storeId, computed, now);
    // Only when a new day was written can the oldest kept day have moved.
    if (due.length > 0) await figures.prune(storeId, oldestKept);
    return { storeId, days };
  }
}

function consecutiveRuns(days: readonly string[]): string[][] {
  const runs: string[][] = [];
  for (const day of days) {
    const last = runs[runs.length - 1];
    if (last && shiftDay(last[last.length - 1]!, 1) === day && last.length < 62) last.push(day);
    else runs.push([day]);
  }
  return runs;
}
