import type { DetectorResult } from '../domain/detectors';
import type { Settings } from '../domain/settings';
import type { StoreState, StoreStateKind } from '../domain/store-state';
import { ago } from '../domain/store-state';
import { HOUR_MS, localDate, zonedToUtc } from '../domain/time';
import type { AlertRecord, AlertRepository } from '../store/alerts';
import type { MaintenanceRepository } from '../store/maintenance';
import type { OrderRepository } from '../store/orders';
import type { RollupRepository } from '../store/rollups';
import type { SettingsRepository } from '../store/settings';
import type { StoreSummary } from '../store/stores';
import { storeStateFor } from './status-service';
import type { MaintenanceWindow } from '../domain/maintenance';
import type { LiveEvents } from './live-events';

/** One store's row of the overview: its state, today's orders against the usual, and what is open. */
export interface OverviewRow {
  id: string;
  name: string;
  url: string;
  timezone: string;
  state: Omit<StoreState, 'since'> & { since: string | null };
  orders_today: number;
  /** Orders by this time of day, averaged over the last 7 days. */
  usual_by_now: number;
  last_order_at: string | null;
  /** "3 min ago", in the store's zone. */
  last_order_ago: string | null;
  /** Orders in each of the last 24 hours, oldest first. */
  hourly_orders: number[];
  open_alert: { id: number; detector: string; severity: string; opened_at: string; acknowledged_by: string | null; acknowledged_at: string | null } | null;
}

/** Problems first, then the rest; a row's rank in the list. */
const RANK: Record<StoreStateKind, number> = { critical: 0, silent: 1, probe_failing: 2, warning: 3, learning: 5, maintenance: 6, paused: 7, ok: 4 };
export const rankOf = (kind: StoreStateKind): number => RANK[kind];

const USUAL_DAYS = 7;
/** How long a store's order figures are kept without an event about it. */
export const FIGURES_TTL_MS = 60_000;

interface OrderFigures {
  hour: number;
  readAt: number;
  today: number;
  /** Orders by this time of day, summed over the 7 days before. */
  usual: number;
  hours: number[];
  lastOrderAt: Date | null;
  /** The newest check's results: whether the store is still learning. */
  lastCheckResults: DetectorResult[];
}
/** Stores per batch of queries: MariaDB's IN lists stay indexed below 1,000 values. */
const SLICE = 500;
const DAY_MS = 86_400_000;

/**
 * Every store's row at once, for the console's overview and GET /api/v1/stores: a handful of batched
 * queries whatever the number of stores, each store's state through the same storeStateFor() as its
 * status page, so the two never disagree.
 */
export class OverviewService {
  constructor(
    private readonly deps: {
      settings: SettingsRepository;
      alerts: AlertRepository;
      orders: OrderRepository;
      maintenance: MaintenanceRepository;
      rollups: RollupRepository;
      /** When given, a store's order figures are kept until its next orders (or change) event. */
      live?: LiveEvents;
      figuresTtlMs?: number;
    },
  ) {}

  /**
   * Each store's order figures (today, the usual, the last 24 hours, the last order) and its newest
   * check's results, kept until the live events say its orders, checks or alerts changed (on any sidecar: they travel through Redis), the hour
   * turns, or FIGURES_TTL_MS passes (orders that reach MariaDB without an event: imports, tests).
   */
  private readonly figures = new Map<string, OrderFigures>();
  private listening: Promise<unknown> | null = null;

  private listen(): Promise<unknown> {
    const live = this.deps.live;
    if (!live) return Promise.resolve();
    this.listening ??= live
      .subscribe((event) => {
        // Every event is about one store whose orders, checks or alerts changed.
        this.figures.delete(event.storeId);
      })
      .catch(() => {
        // Without the events nothing may be kept: figures are read afresh every time.
        this.listening = null;
      });
    return this.listening;
  }

  /** Each store's same-time-of-day figures of the 7 days before, for the hour (and day start) they were read in. */
  private readonly pastDays = new Map<string, { key: string; whole: number; edge: number }>();

  async rows(stores: readonly StoreSummary[], now = new Date()): Promise<OverviewRow[]> {
    // MariaDB turns an IN list of 1,000 values or more into a join that loses the index's group-by
    // shortcut (a 1,000-store overview took seconds): the stores go in slices well under that.
    const slices: Array<readonly StoreSummary[]> = [];
    for (let i = 0; i < stores.length; i += SLICE) slices.push(stores.slice(i, i + SLICE));
    return (await Promise.all(slices.map((slice) => this.slice(slice, now)))).flat();
  }

  private async slice(stores: readonly StoreSummary[], now: Date): Promise<OverviewRow[]> {
    const ids = stores.map((s) => s.id);
    await this.listen();
    const [settings, openAlerts, windows] = await Promise.all([
      this.deps.settings.getMany(ids),
      this.deps.alerts.openAlertsForStores(ids),
      this.deps.maintenance.currentAndUpcomingForStores(ids, now),
    ]);
    const figures = await this.orderFigures(stores, settings, now);
    const alertsOf = groupBy(openAlerts, (a) => a.storeId);
    const windowsOf = groupBy(windows, (w) => w.storeId);

    return stores.flatMap((store) => {
      const s = settings.get(store.id);
      if (!s) return [];
      const open = alertsOf.get(store.id) ?? [];
      const f = figures.get(store.id) ?? { today: 0, usual: 0, hours: new Array<number>(24).fill(0), lastOrderAt: null, lastCheckResults: [] };
      const lastOrderAt = f.lastOrderAt;
      const state = storeStateFor(
        {
          settings: s,
          openAlerts: open,
          windows: windowsOf.get(store.id) ?? ([] as MaintenanceWindow[]),
          lastContactAt: store.lastContactAt,
          lastCheckResults: f.lastCheckResults,
          ordersToday: f.today,
          lastOrderAt,
        },
        now,
      );
      const worst = [...open].sort((a, b) => severityRank(a) - severityRank(b) || a.openedAt.getTime() - b.openedAt.getTime())[0];
      return [
        {
          id: store.id,
          name: store.name,
          url: store.url,
          timezone: s.timezone,
          state: { ...state, since: state.since?.toISOString() ?? null },
          orders_today: f.today,
          usual_by_now: Math.round((f.usual / USUAL_DAYS) * 10) / 10,
          last_order_at: lastOrderAt?.toISOString() ?? null,
          last_order_ago: lastOrderAt ? ago(lastOrderAt, now, s.timezone) : null,
          hourly_orders: f.hours,
          open_alert: worst
            ? {
                id: worst.id,
                detector: worst.detector,
                severity: worst.severity,
                opened_at: worst.openedAt.toISOString(),
                acknowledged_by: worst.acknowledgedBy,
                acknowledged_at: worst.acknowledgedAt?.toISOString() ?? null,
              }
            : null,
        },
      ];
    });
  }

  /** The kept figures of these stores, the others read (and kept) now. */
  private async orderFigures(stores: readonly StoreSummary[], settings: Map<string, Settings>, now: Date): Promise<Map<string, OrderFigures>> {
    const hour = Math.floor(now.getTime() / HOUR_MS);
    const ttl = this.deps.figuresTtlMs ?? FIGURES_TTL_MS;
    const kept = this.deps.live && this.listening ? this.figures : new Map<string, OrderFigures>();
    const stale = stores.filter((s) => {
      const f = kept.get(s.id);
      return !f || f.hour !== hour || now.getTime() - f.readAt >= ttl || now.getTime() < f.readAt;
    });
    if (stale.length > 0) {
      const ids = stale.map((s) => s.id);
      const [counts, lastOrders, lastResults] = await Promise.all([
        this.ordersByNow(stale, settings, now),
        this.deps.orders.latestByStore(ids),
        this.deps.alerts.lastCheckResultsForStores(ids),
      ]);
      // Removed stores leave entries behind; a bound keeps that from growing without end.
      if (kept.size > 100_000) kept.clear();
      for (const id of ids) {
        kept.set(id, {
          hour,
          readAt: now.getTime(),
          today: counts.today.get(id) ?? 0,
          usual: counts.usual.get(id) ?? 0,
          hours: counts.hourly.get(id) ?? new Array<number>(24).fill(0),
          lastOrderAt: lastOrders.get(id) ?? null,
          lastCheckResults: (lastResults.get(id) ?? []) as DetectorResult[],
        });
      }
    }
    return new Map(stores.map((s) => [s.id, kept.get(s.id)!]));
  }

  /**
   * Orders today (since local midnight), the same stretch of each of the 7 days before, and each of the
   * last 24 hours, from the hourly roll-ups (store/rollups) rather than the orders: a grouped read per
   * distinct local midnight, so stores in one time zone share it. The 7 days before change only with
   * the hour and are kept per store until it turns. This hour of each past day counts for the share of
   * the hour gone by now; a midnight that is not on the hour (India, Newfoundland) has its half hour
   * before midnight counted from the orders and taken off today.
   */
  private async ordersByNow(stores: readonly StoreSummary[], settings: Map<string, Settings>, now: Date) {
    const byMidnight = new Map<number, string[]>();
    for (const store of stores) {
      const s = settings.get(store.id);
      if (!s) continue;
      const midnight = (zonedToUtc(`${localDate(now, s.timezone)} 00:00`, s.timezone) ?? now).getTime();
      byMidnight.set(midnight, [...(byMidnight.get(midnight) ?? []), store.id]);
    }
    const nowHour = Math.floor(now.getTime() / HOUR_MS);
    const hourShare = (now.getTime() % HOUR_MS) / HOUR_MS;
    const today = new Map<string, number>();
    const usual = new Map<string, number>();
    const hourly = new Map<string, number[]>();
    await Promise.all(
      [...byMidnight].map(async ([midnight, ids]) => {
        const startHour = Math.floor(midnight / HOUR_MS);
        const key = `${nowHour}:${startHour}`;
        const missing = ids.filter((id) => this.pastDays.get(id)?.key !== key);
        const offHour = midnight % HOUR_MS !== 0;
        const [recent, past, beforeMidnight] = await Promise.all([
          this.deps.rollups.recentByStore(ids, startHour, nowHour),
          this.deps.rollups.sameTimeOnPastDays(missing, startHour, nowHour, USUAL_DAYS),
          offHour ? this.deps.orders.countCreatedInWindowsByStore(ids, [[new Date(startHour * HOUR_MS), new Date(midnight)]]) : Promise.resolve(new Map<string, number>()),
        ]);
        for (const id of missing) this.pastDays.set(id, { key, ...(past.get(id) ?? { whole: 0, edge: 0 }) });
        for (const id of ids) {
          const figures = recent.get(id);
          today.set(id, Math.max(0, (figures?.today ?? 0) - (beforeMidnight.get(id) ?? 0)));
          if (figures) hourly.set(id, figures.hours);
          const before = this.pastDays.get(id)!;
          usual.set(id, before.whole + before.edge * hourShare);
        }
      }),
    );
    // Removed stores leave entries behind; a bound keeps that from growing without end.
    if (this.pastDays.size > 100_000) this.pastDays.clear();
    return { today, usual, hourly };
  }
}

/** The overview's order: problems first (critical, silent, probe, warning), then by name. */
export function sortProblemsFirst(rows: OverviewRow[]): OverviewRow[] {
  return [...rows].sort((a, b) => rankOf(a.state.kind) - rankOf(b.state.kind) || a.name.localeCompare(b.name));
}

/** "38 OK, 1 critical, 1 silent": how many stores are in each state. */
export function totals(rows: readonly OverviewRow[]): Array<{ kind: StoreStateKind; count: number; label: string }> {
  const labels: Record<StoreStateKind, string> = { ok: 'OK', learning: 'learning', warning: 'warning', critical: 'critical', silent: 'silent', probe_failing: 'probe failing', maintenance: 'maintenance', paused: 'paused' };
  const counts = new Map<StoreStateKind, number>();
  for (const row of rows) counts.set(row.state.kind, (counts.get(row.state.kind) ?? 0) + 1);
  return [...counts].sort((a, b) => rankOf(a[0]) - rankOf(b[0])).map(([kind, count]) => ({ kind, count, label: labels[kind] }));
}

const severityRank = (a: AlertRecord) => (a.severity === 'critical' ? 0 : 1);

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
