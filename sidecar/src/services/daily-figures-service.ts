import type { Logger } from 'pino';
import {
  changedPastDays,
  dailyFiguresOf,
  DAILY_FIGURES_RETENTION_DAYS,
  daysDue,
  localDayBounds,
  shiftDay,
  type DailyFigures,
  type DayOrder,
} from '../domain/daily-figures';
import type { Settings } from '../domain/settings';
import { localDate } from '../domain/time';
import type { DailyFiguresRepository } from '../store/daily-figures';
import type { SettingsRepository } from '../store/settings';
import type { StoreRepository } from '../store/stores';

export interface RollUpOutcome {
  storeId: string;
  /** Days written this run: the ones that ended since the last run and the ones changed late. */
  days: string[];
}

interface Progress {
  lastDay: string | null;
  lastComputedAt: Date | null;
}

/** What a run may still compute: store-days left, whether a store was taken yet, whether one was left out. */
interface Budget {
  left: number;
  started: boolean;
  full: boolean;
}

/** One store's share of a run: its days to compute, grouped in runs of consecutive days. */
interface StorePlan {
  storeId: string;
  settings: Settings;
  days: string[];
  runs: string[][];
  anyDue: boolean;
  oldestKept: string;
}

/** Stores per statement: each brings its own `store_id = ? AND ...` interval to the query. */
const STORES_PER_QUERY = 500;
/**
 * Store-days computed per run (every 5 minutes): twice the nightly roll-up of 10,000 stores, and a
 * backfill of 10,000 stores x 56 days in 28 runs instead of one.
 */
const MAX_STORE_DAYS_PER_RUN = 20_000;
/** Store-days read per query, so a first roll-up of a year's history does not read every store's year at once. */
const DAYS_PER_QUERY = 500;

/**
 * Rolls each store's orders up into daily figures once the store's local day is over, and computes a past
 * day again when its orders changed after it was rolled up (a late status change, a REST read-back).
 * Re-running is harmless: a day is always computed whole from the orders table and written over itself.
 *
 * Every step is set-based over all stores (their progress, settings, first orders, changed orders, the
 * orders of the days due, the writes), so a run costs a handful of queries per 500 stores rather than a few
 * per store: a thousand stores' nightly roll-up was 1,000s of round trips.
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

  /**
   * One run over every store. At most `maxStoreDays` store-days are computed (whole stores: a store left
   * out keeps its progress and a later run does it), so the first run after thousands of stores
   * arrived with weeks of history spreads over runs instead of taking the sidecar's one thread for
   * minutes (10,000 stores x 56 days: a sixth of its CPU at start, checks minutes late).
   */
  async rollUpAll(now = new Date(), maxStoreDays = MAX_STORE_DAYS_PER_RUN): Promise<RollUpOutcome[]> {
    const stores = await this.deps.stores.list();
    const progress = await this.deps.figures.progressAll();
    const out: RollUpOutcome[] = [];
    const budget: Budget = { left: maxStoreDays, started: false, full: false };
    for (let i = 0; i < stores.length && !budget.full; i += STORES_PER_QUERY) {
      const ids = stores.slice(i, i + STORES_PER_QUERY).map((s) => s.id);
      try {
        out.push(...(await this.rollUpMany(ids, progress, now, budget)));
      } catch (error) {
        this.deps.log.warn({ stores: ids.length, err: (error as Error).message }, 'daily figures roll-up failed; the next run tries again');
      }
    }
    return out;
  }

  async rollUp(storeId: string, now = new Date()): Promise<RollUpOutcome> {
    const progress = new Map([[storeId, await this.deps.figures.progress(storeId)]]);
    return (await this.rollUpMany([storeId], progress, now, { left: Infinity, started: false, full: false }))[0] ?? { storeId, days: [] };
  }

  private async rollUpMany(storeIds: readonly string[], progress: ReadonlyMap<string, Progress>, now: Date, budget: Budget): Promise<RollUpOutcome[]> {
    const { figures } = this.deps;
    const settings = await this.deps.settings.getMany(storeIds);
    const progressOf = (id: string): Progress => progress.get(id) ?? { lastDay: null, lastComputedAt: null };
    const firstOrders = await figures.firstOrdersAt(storeIds.filter((id) => settings.has(id) && !progressOf(id).lastDay));

    const changedQueries: Array<{ storeId: string; since: Date; before: Date }> = [];
    for (const id of storeIds) {
      const s = settings.get(id);
      const since = progressOf(id).lastComputedAt;
      if (!s || !since) continue;
      changedQueries.push({ storeId: id, since, before: localDayBounds(localDate(now, s.timezone), s.timezone).start });
    }
    const changed = await figures.changedOrderTimesMany(changedQueries);

    const plans: StorePlan[] = [];
    for (const id of storeIds) {
      const s = settings.get(id);
      if (!s) continue;
      const plan = planStore(id, s, progressOf(id), firstOrders.get(id) ?? null, changed.get(id) ?? [], now);
      if (!plan) continue;
      // Whole stores only (a store's changed days must not be dropped while its progress moves on); a
      // store longer than the whole budget still goes when it comes first.
      if (budget.started && plan.days.length > budget.left) {
        budget.full = true;
        break;
      }
      budget.left -= plan.days.length;
      budget.started = true;
      plans.push(plan);
    }

    const computed: Array<{ storeId: string; figures: DailyFigures }> = [];
    const segments = plans.flatMap((plan) =>
      plan.runs.map((run) => ({
        plan,
        run,
        storeId: plan.storeId,
        start: localDayBounds(run[0]!, plan.settings.timezone).start,
        end: localDayBounds(run[run.length - 1]!, plan.settings.timezone).end,
      })),
    );
    for (const chunk of chunkByDays(segments)) {
      const orders = await figures.ordersInRanges(chunk);
      chunk.forEach((segment, i) => {
        const tz = segment.plan.settings.timezone;
        const byDay = ordersByDay(segment.run, tz, orders[i]!);
        for (const day of segment.run) computed.push({ storeId: segment.storeId, figures: dailyFiguresOf(day, tz, byDay.get(day) ?? [], segment.plan.settings) });
      });
    }
    await figures.saveMany(computed, now);

    // Only when a new day was written can the oldest kept day have moved; stores share it by time zone.
    const pruneGroups = new Map<string, string[]>();
    for (const plan of plans.filter((p) => p.anyDue)) pruneGroups.set(plan.oldestKept, [...(pruneGroups.get(plan.oldestKept) ?? []), plan.storeId]);
    for (const [oldestKept, ids] of pruneGroups) await figures.pruneMany(ids, oldestKept);

    const daysOf = new Map(plans.map((p) => [p.storeId, p.days]));
    return storeIds.map((id) => ({ storeId: id, days: daysOf.get(id) ?? [] }));
  }
}

/** What one store needs this run, from what the batch read: null when it has nothing to roll up. */
function planStore(storeId: string, settings: Settings, progress: Progress, firstOrderAt: Date | null, changedTimes: readonly Date[], now: Date): StorePlan | null {
  const tz = settings.timezone;
  const today = localDate(now, tz);
  const oldestKept = shiftDay(today, -DAILY_FIGURES_RETENTION_DAYS);
  if (!progress.lastDay && !firstOrderAt) return null;
  const firstDay = progress.lastDay ?? localDate(firstOrderAt!, tz);
  const due = daysDue(now, tz, progress.lastDay, firstDay, DAILY_FIGURES_RETENTION_DAYS);
  const changed = progress.lastComputedAt ? changedPastDays(changedTimes, now, tz, oldestKept) : [];
  const days = [...new Set([...due, ...changed])].sort();
  if (days.length === 0) return null;
  return { storeId, settings, days, runs: consecutiveRuns(days), anyDue: due.length > 0, oldestKept };
}

/**
 * A run's orders sorted into its days, in one pass: handing each day the whole run made a first roll-up
 * of a busy store's eight weeks 56 x 112,000 comparisons (a sixth of a 1,000-store sidecar's CPU at start).
 */
function ordersByDay(run: readonly string[], timeZone: string, orders: readonly DayOrder[]): Map<string, DayOrder[]> {
  const bounds = run.map((day) => ({ day, ...localDayBounds(day, timeZone) }));
  const out = new Map<string, DayOrder[]>();
  for (const order of orders) {
    // Days are consecutive and ascending: a binary search finds the order's day.
    let lo = 0;
    let hi = bounds.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (bounds[mid]!.start <= order.createdAt) lo = mid;
      else hi = mid - 1;
    }
    const b = bounds[lo]!;
    if (order.createdAt < b.start || order.createdAt >= b.end) continue;
    const list = out.get(b.day);
    if (list) list.push(order);
    else out.set(b.day, [order]);
  }
  return out;
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

/** Splits the ranges to read into queries of at most DAYS_PER_QUERY store-days and STORES_PER_QUERY ranges. */
function chunkByDays<T extends { run: readonly string[] }>(segments: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let days = 0;
  for (const segment of segments) {
    if (current.length > 0 && (days + segment.run.length > DAYS_PER_QUERY || current.length >= STORES_PER_QUERY)) {
      chunks.push(current);
      current = [];
      days = 0;
    }
    current.push(segment);
    days += segment.run.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
