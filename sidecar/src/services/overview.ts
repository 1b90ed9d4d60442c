import type { DetectorResult } from '../domain/detectors';
import type { Settings } from '../domain/settings';
import type { StoreState, StoreStateKind } from '../domain/store-state';
import { ago } from '../domain/store-state';
import { HOUR_MS, localDate, zonedToUtc } from '../domain/time';
import type { AlertRecord, AlertRepository } from '../store/alerts';
import type { MaintenanceRepository } from '../store/maintenance';
import type { OrderRepository } from '../store/orders';
import type { ReportRepository } from '../store/reports';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord } from '../store/stores';
import { storeStateFor } from './status-service';
import type { MaintenanceWindow } from '../domain/maintenance';

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
      reports: ReportRepository;
    },
  ) {}

  async rows(stores: readonly StoreRecord[], now = new Date()): Promise<OverviewRow[]> {
    const ids = stores.map((s) => s.id);
    const [settings, openAlerts, windows, lastResults, lastOrders, hourly] = await Promise.all([
      this.deps.settings.getMany(ids),
      this.deps.alerts.openAlertsForStores(ids),
      this.deps.maintenance.currentAndUpcomingForStores(ids, now),
      this.deps.alerts.lastCheckResultsForStores(ids),
      this.deps.orders.latestByStore(ids),
      this.deps.reports.hourlySales(ids, new Date((Math.floor(now.getTime() / HOUR_MS) - 23) * HOUR_MS), ['completed'], ['failed']),
    ]);
    const { today, usual } = await this.ordersByNow(stores, settings, now);
    const alertsOf = groupBy(openAlerts, (a) => a.storeId);
    const windowsOf = groupBy(windows, (w) => w.storeId);
    const hourlyOf = groupBy(hourly, (h) => h.storeId);
    const firstHour = Math.floor(now.getTime() / HOUR_MS) - 23;

    return stores.flatMap((store) => {
      const s = settings.get(store.id);
      if (!s) return [];
      const open = alertsOf.get(store.id) ?? [];
      const lastOrderAt = lastOrders.get(store.id) ?? null;
      const state = storeStateFor(
        {
          settings: s,
          openAlerts: open,
          windows: windowsOf.get(store.id) ?? ([] as MaintenanceWindow[]),
          lastContactAt: store.lastContactAt,
          lastCheckResults: (lastResults.get(store.id) ?? []) as DetectorResult[],
          ordersToday: today.get(store.id) ?? 0,
          lastOrderAt,
        },
        now,
      );
      const hours = new Array<number>(24).fill(0);
      for (const h of hourlyOf.get(store.id) ?? []) {
        const i = Math.floor(h.hour.getTime() / HOUR_MS) - firstHour;
        if (i >= 0 && i < 24) hours[i] = h.orders;
      }
      const worst = [...open].sort((a, b) => severityRank(a) - severityRank(b) || a.openedAt.getTime() - b.openedAt.getTime())[0];
      return [
        {
          id: store.id,
          name: store.name,
          url: store.url,
          timezone: s.timezone,
          state: { ...state, since: state.since?.toISOString() ?? null },
          orders_today: today.get(store.id) ?? 0,
          usual_by_now: Math.round(((usual.get(store.id) ?? 0) / USUAL_DAYS) * 10) / 10,
          last_order_at: lastOrderAt?.toISOString() ?? null,
          last_order_ago: lastOrderAt ? ago(lastOrderAt, now, s.timezone) : null,
          hourly_orders: hours,
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

  /**
   * Orders today (since local midnight) and over the same stretch of each of the last 7 days, one query
   * per distinct local midnight: stores in one time zone share it.
   */
  private async ordersByNow(stores: readonly StoreRecord[], settings: Map<string, Settings>, now: Date) {
    const byMidnight = new Map<number, string[]>();
    for (const store of stores) {
      const s = settings.get(store.id);
      if (!s) continue;
      const midnight = (zonedToUtc(`${localDate(now, s.timezone)} 00:00`, s.timezone) ?? now).getTime();
      byMidnight.set(midnight, [...(byMidnight.get(midnight) ?? []), store.id]);
    }
    const today = new Map<string, number>();
    const usual = new Map<string, number>();
    await Promise.all(
      [...byMidnight].map(async ([midnight, ids]) => {
        const past = Array.from({ length: USUAL_DAYS }, (_, i) => [new Date(midnight - (i + 1) * DAY_MS), new Date(now.getTime() - (i + 1) * DAY_MS)] as const);
        const [t, u] = await Promise.all([
          this.deps.orders.countCreatedInWindowsByStore(ids, [[new Date(midnight), now]]),
          this.deps.orders.countCreatedInWindowsByStore(ids, past),
        ]);
        for (const [id, n] of t) today.set(id, n);
        for (const [id, n] of u) usual.set(id, n);
      }),
    );
    return { today, usual };
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
