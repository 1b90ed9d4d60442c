import { NON_CUSTOMER_CHANNELS } from './checks';
import { localDate, zonedToUtc } from './time';

/**
 * A store's figures for one local calendar day. Computed from the orders known when rolled up, so a late
 * status change or an order read back over REST is a reason to compute the day again, never to patch it.
 */
export interface DailyFigures {
  /** The store's local date, "2026-11-23". */
  day: string;
  /** Every order created that day, whoever created it. */
  orders: number;
  successful: number;
  failed: number;
  cancelled: number;
  refunded: number;
  /** Sum of the successful orders' totals. */
  revenue: number;
  /** Revenue over the successful orders with a total; null on a day without one. */
  averageOrderValue: number | null;
  /** Checkouts by customers: neither typed in by an admin nor a subscription renewal. */
  customerOrders: number;
  adminOrders: number;
  renewalOrders: number;
  /** The most common currency of the day's orders (stores sell in one; null without a total). */
  currency: string | null;
}

export interface DayOrder {
  status: string;
  createdAt: Date;
  total: number | null;
  currency?: string | null;
  createdVia?: string | null;
}

export interface FigureStatuses {
  success_statuses: readonly string[];
  failure_statuses: readonly string[];
}

/** The UTC instants a local day spans: 23 or 25 hours on a daylight-saving day, 24 otherwise. */
export function localDayBounds(day: string, timeZone: string): { start: Date; end: Date } {
  const start = zonedToUtc(`${day}T00:00:00`, timeZone);
  const end = zonedToUtc(`${nextDay(day)}T00:00:00`, timeZone);
  if (!start || !end) throw new Error(`not a calendar date: ${day}`);
  return { start, end };
}

export function nextDay(day: string): string {
  return shiftDay(day, 1);
}

/** A calendar date `days` later (or earlier when negative); calendar arithmetic, no zone involved. */
export function shiftDay(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10);
}

/** ISO weekday of a calendar date: 1 = Monday ... 7 = Sunday. */
export function weekdayOf(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  const utc = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)).getUTCDay();
  return utc === 0 ? 7 : utc;
}

/**
 * The figures of `day` from its orders. Orders outside the day are ignored, so a caller may hand over a
 * little more than the day without the numbers changing.
 */
export function dailyFiguresOf(day: string, timeZone: string, orders: readonly DayOrder[], statuses: FigureStatuses): DailyFigures {
  const figures: DailyFigures = {
    day,
    orders: 0,
    successful: 0,
    failed: 0,
    cancelled: 0,
    refunded: 0,
    revenue: 0,
    averageOrderValue: null,
    customerOrders: 0,
    adminOrders: 0,
    renewalOrders: 0,
    currency: null,
  };
  const { start, end } = localDayBounds(day, timeZone);
  const currencies = new Map<string, number>();
  let withTotal = 0;
  for (const order of orders) {
    if (order.createdAt < start || order.createdAt >= end) continue;
    figures.orders++;
    if (order.createdVia === 'admin') figures.adminOrders++;
    else if (order.createdVia === 'subscription') figures.renewalOrders++;
    else if (!order.createdVia || !NON_CUSTOMER_CHANNELS.includes(order.createdVia)) figures.customerOrders++;
    if (order.currency) currencies.set(order.currency, (currencies.get(order.currency) ?? 0) + 1);
    if (statuses.success_statuses.includes(order.status)) {
      figures.successful++;
      if (order.total !== null && Number.isFinite(order.total)) {
        figures.revenue += order.total;
        withTotal++;
      }
    } else if (order.status === 'cancelled') figures.cancelled++;
    else if (order.status === 'refunded') figures.refunded++;
    else if (statuses.failure_statuses.includes(order.status)) figures.failed++;
  }
  figures.revenue = roundMoney(figures.revenue);
  figures.averageOrderValue = withTotal > 0 ? roundMoney(figures.revenue / withTotal) : null;
  figures.currency = [...currencies.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  return figures;
}

const roundMoney = (value: number): number => Math.round(value * 100) / 100;

/**
 * The local days to roll up at `now`: every whole day after the last one rolled up (or from `firstDay`),
 * up to yesterday, at most `maxDays` of them (the oldest first). Today is never rolled up: it has not ended.
 */
export function daysDue(now: Date, timeZone: string, lastRolled: string | null, firstDay: string, maxDays: number): string[] {
  const today = localDate(now, timeZone);
  let day = lastRolled ? nextDay(lastRolled) : firstDay;
  const earliest = shiftDay(today, -maxDays);
  if (day < earliest) day = earliest;
  const out: string[] = [];
  while (day < today) {
    out.push(day);
    day = nextDay(day);
  }
  return out;
}

/** The past local days (before today) that changed orders were created on: they are computed again. */
export function changedPastDays(createdAts: readonly Date[], now: Date, timeZone: string, oldestKept: string): string[] {
  const today = localDate(now, timeZone);
  const days = new Set<string>();
  for (const at of createdAts) {
    const day = localDate(at, timeZone);
    if (day < today && day >= oldestKept) days.add(day);
  }
  return [...days].sort();
}

/** How long daily figures are kept: the digest compares with the same weekday, the history shows a year. */
export const DAILY_FIGURES_RETENTION_DAYS = 400;
