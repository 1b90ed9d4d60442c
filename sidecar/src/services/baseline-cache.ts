import { buildBaseline, type Baseline } from '../domain/baseline';
import type { Settings } from '../domain/settings';
import { hourIndex } from '../domain/time';
import type { OrderRepository } from '../store/orders';
import type { StoreRecord } from '../store/stores';

interface Entry {
  asOfHour: number;
  /** What else the baseline depends on: a settings change or a first contact rebuilds it at once. */
  key: string;
  baseline: Baseline;
}

/** Past this many stores the least recently built baselines are dropped (about 1.5 KB each). */
const MAX_ENTRIES = 50_000;

/**
 * Each store's baseline, built at most once per UTC hour (it only ever reads whole hours before now's,
 * so within an hour it changes only by late orders, which the next hour's baseline counts). The check of
 * every other minute reads only the newest orders. Per process: a second sidecar builds its own, from
 * the same roll-ups, to the same result.
 */
export class BaselineCache {
  private readonly entries = new Map<string, Entry>();
  private readonly silences = new Map<string, Entry>();
  private built = 0;

  constructor(private readonly orders: OrderRepository) {}

  async get(store: StoreRecord, settings: Settings, now: Date): Promise<Baseline> {
    return this.cached(this.entries, store, settings, now, (cached, asOfHour) => cached.asOfHour <= asOfHour);
  }

  /**
   * The baseline as it stood at `at` (a silence's start, domain/order-flow `silenceBaseline`): one per
   * store beside the current one, kept while the silence lasts, so a long silence costs one more build.
   */
  async asOf(store: StoreRecord, settings: Settings, at: Date): Promise<Baseline> {
    return this.cached(this.silences, store, settings, at, () => true);
  }

  private async cached(entries: Map<string, Entry>, store: StoreRecord, settings: Settings, now: Date, replaces: (cached: Entry, asOfHour: number) => boolean): Promise<Baseline> {
    const asOfHour = hourIndex(now);
    const key = JSON.stringify([settings.success_statuses, settings.failure_statuses, settings.timezone, store.firstContactAt?.getTime() ?? null]);
    const cached = entries.get(store.id);
    if (cached && cached.asOfHour === asOfHour && cached.key === key) return cached.baseline;
    const hourly = await this.orders.hourlyHistory(store.id, settings.success_statuses, settings.failure_statuses, now);
    const baseline = buildBaseline(hourly, store.firstContactAt, now, settings.timezone);
    // A check replayed for an earlier hour (a retried job) must not replace the current hour's baseline.
    if (!cached || replaces(cached, asOfHour)) {
      entries.delete(store.id);
      entries.set(store.id, { asOfHour, key, baseline });
      if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    }
    this.built += 1;
    return baseline;
  }

  /** Forgets a store's baseline, e.g. after its orders were rewritten behind the ingest's back. */
  forget(storeId: string): void {
    this.entries.delete(storeId);
    this.silences.delete(storeId);
  }

  /** How many baselines were built from MariaDB (not served from the cache): the benchmarks print it. */
  get buildCount(): number {
    return this.built;
  }
}
