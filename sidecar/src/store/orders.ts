import type { Knex } from 'knex';
import type { HourlyHistory } from '../domain/baseline';
import { NON_CUSTOMER_CHANNELS } from '../domain/checks';
import type { OrderFact } from '../domain/detectors';
import type { OrderDetail } from '../domain/diagnosis';
import { FAILURE_LOOKBACK_ORDERS } from '../domain/failure-rate';
import { DROP_SPAN_MINUTES } from '../domain/order-flow';
import { HOUR_MS, hourIndex } from '../domain/time';
import { RollupRepository } from './rollups';

export interface OrderSummary extends OrderFact {
  total: number | null;
  currency: string | null;
  paymentMethod: string | null;
}

interface OrderRow {
  order_id: number | string;
  status: string;
  created_at: Date;
  total: number | null;
  currency: string | null;
  payment_method: string | null;
}

const toSummary = (row: OrderRow): OrderSummary => ({
  orderId: Number(row.order_id),
  status: row.status,
  createdAt: row.created_at,
  total: row.total,
  currency: row.currency,
  paymentMethod: row.payment_method,
});

const COLUMNS = ['order_id', 'status', 'created_at', 'total', 'currency', 'payment_method'];

/** The detectors' view of a store's orders: each order once, with its latest known status. */
export class OrderRepository {
  constructor(private readonly db: Knex) {}

  /** Customer orders created in [start, end): what the time-based detector counts. */
  async createdBetween(storeId: string, start: Date, end: Date): Promise<OrderSummary[]> {
    const rows: OrderRow[] = await customerOnly(
      this.db('orders').select(COLUMNS).where('store_id', storeId).andWhere('created_at', '>=', start).andWhere('created_at', '<', end),
    );
    return rows.map(toSummary);
  }

  /** The newest customer orders whose status is one of `statuses`, newest first: RAD's window. */
  async latestWithStatus(storeId: string, statuses: readonly string[], limit: number): Promise<OrderSummary[]> {
    const rows: OrderRow[] = await customerOnly(
      this.db('orders').select(COLUMNS).where('store_id', storeId).whereIn('status', statuses).orderBy('created_at', 'desc').limit(limit),
    );
    return rows.map(toSummary);
  }

  /** Adaptive mode's inputs (see AdaptiveOrderQueries.facts). */
  adaptiveFacts(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], now: Date): Promise<AdaptiveFacts> {
    return new AdaptiveOrderQueries(this.db).facts(storeId, successStatuses, failureStatuses, now);
  }

  /** The baseline's hourly inputs (see AdaptiveOrderQueries.hourlyHistory). */
  hourlyHistory(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], now: Date): Promise<HourlyHistory> {
    return new AdaptiveOrderQueries(this.db).hourlyHistory(storeId, successStatuses, failureStatuses, now);
  }

  /** What changes from minute to minute (see AdaptiveOrderQueries.recentFacts). */
  recentFacts(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], now: Date): Promise<Omit<AdaptiveFacts, 'hourly'>> {
    return new AdaptiveOrderQueries(this.db).recentFacts(storeId, successStatuses, failureStatuses, now);
  }

  successfulBetween(storeId: string, successStatuses: readonly string[], from: Date, to: Date): Promise<number> {
    return new AdaptiveOrderQueries(this.db).successfulBetween(storeId, successStatuses, from, to);
  }

  /** Creation times (ms) of successful customer orders in [from, to), oldest first (see AdaptiveOrderQueries.successTimesBetween). */
  successTimesBetween(storeId: string, successStatuses: readonly string[], from: Date, to: Date): Promise<number[]> {
    return new AdaptiveOrderQueries(this.db).successTimesBetween(storeId, successStatuses, from, to);
  }

  /** How many customer orders were created in [start, end), whatever their status. */
  async countCreatedBetween(storeId: string, start: Date, end: Date): Promise<number> {
    const row = await customerOnly(this.db('orders').count({ n: '*' }).where('store_id', storeId).andWhere('created_at', '>=', start).andWhere('created_at', '<', end)).first();
    return Number((row as { n?: number | string } | undefined)?.n ?? 0);
  }

  /** countCreatedBetween for many stores at once, summed over several [start, end) windows (the console's overview). */
  async countCreatedInWindowsByStore(storeIds: readonly string[], windows: ReadonlyArray<readonly [Date, Date]>): Promise<Map<string, number>> {
    if (storeIds.length === 0 || windows.length === 0) return new Map();
    const rows: Array<{ store_id: string; n: number | string }> = await customerOnly(
      this.db('orders')
        .select('store_id')
        .count({ n: '*' })
        .whereIn('store_id', [...storeIds])
        .andWhere((q) => {
          for (const [start, end] of windows) q.orWhere((w) => w.where('created_at', '>=', start).andWhere('created_at', '<', end));
        }),
    ).groupBy('store_id');
    return new Map(rows.map((r) => [r.store_id, Number(r.n)]));
  }

  /** latest() for many stores: each one's newest order creation time. */
  async latestByStore(storeIds: readonly string[]): Promise<Map<string, Date>> {
    if (storeIds.length === 0) return new Map();
    const rows: Array<{ store_id: string; at: Date }> = await this.db('orders').select('store_id').max({ at: 'created_at' }).whereIn('store_id', [...storeIds]).groupBy('store_id');
    return new Map(rows.map((r) => [r.store_id, new Date(r.at)]));
  }

  async latest(storeId: string): Promise<OrderSummary | null> {
    const row: OrderRow | undefined = await this.db('orders').select(COLUMNS).where('store_id', storeId).orderBy('created_at', 'desc').first();
    return row ? toSummary(row) : null;
  }
}

/** What adaptive mode's detectors read: the same shapes the backtest builds from a file (domain/replay). */
export interface AdaptiveFacts {
  hourly: HourlyHistory;
  lastSuccessAt: Date | null;
  recentSuccessTimes: Date[];
  recentClassified: OrderDetail[];
}

/** Customer checkouts only: an admin's order or a subscription renewal says nothing about the checkout. */
function customerOnly(query: Knex.QueryBuilder): Knex.QueryBuilder {
  return query.where((q) => q.whereNull('created_via').orWhereNotIn('created_via', [...NON_CUSTOMER_CHANNELS]));
}

export class AdaptiveOrderQueries {
  constructor(private readonly db: Knex) {}

  /**
   * Successful and failed customer orders per UTC hour of the last eight weeks (whole hours before now's),
   * the last successful order, the successes of the last hours and the newest classified orders.
   */
  async facts(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], now: Date): Promise<AdaptiveFacts> {
    const hourly = await this.hourlyHistory(storeId, successStatuses, failureStatuses, now);
    return { hourly, ...(await this.recentFacts(storeId, successStatuses, failureStatuses, now)) };
  }

  /**
   * What the baseline is built from: the hourly roll-ups (order_hourly, kept by the ingest), retried
   * carts included, so a build never reads the orders. A check asks for this at most once an hour per
   * store (services/baseline-cache).
   */
  async hourlyHistory(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], now: Date): Promise<HourlyHistory> {
    return new RollupRepository(this.db).hourly(storeId, successStatuses, failureStatuses, hourIndex(now));
  }

  /**
   * What changes from minute to minute: the newest classified orders (the failure test), which for most
   * stores also hold the successes of the drop test's span and the last success, so one index read
   * answers the check; a busy store reads the rest of the span, a store whose newest orders all failed
   * looks up its last success.
   */
  async recentFacts(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], now: Date): Promise<Omit<AdaptiveFacts, 'hourly'>> {
    const success = new Set(successStatuses);
    const spanStart = now.getTime() - DROP_SPAN_MINUTES * 60_000;
    const classified: OrderRow[] = await customerOnly(
      this.db('orders')
        .select(COLUMNS)
        .where('store_id', storeId)
        .whereIn('status', [...successStatuses, ...failureStatuses])
        .andWhere('created_at', '<=', now),
    )
      .orderBy('created_at', 'desc')
      .limit(FAILURE_LOOKBACK_ORDERS);
    const all = classified.length < FAILURE_LOOKBACK_ORDERS;
    const oldest = classified.length > 0 ? new Date(classified[classified.length - 1]!.created_at).getTime() : now.getTime();
    const inSpan = (row: { created_at: Date }) => new Date(row.created_at).getTime() >= spanStart;
    const recent = new Map<number, Date>();
    for (const row of classified) if (success.has(row.status) && inSpan(row)) recent.set(Number(row.order_id), new Date(row.created_at));
    if (!all && oldest >= spanStart) {
      // The newest orders do not reach back over the span: read its older part (ties at the seam once).
      const older: Array<{ order_id: number | string; created_at: Date }> = await customerOnly(
        this.db('orders')
          .select('order_id', 'created_at')
          .where('store_id', storeId)
          .whereIn('status', [...successStatuses])
          .andWhere('created_at', '>=', new Date(spanStart))
          .andWhere('created_at', '<=', new Date(oldest)),
      );
      for (const row of older) recent.set(Number(row.order_id), new Date(row.created_at));
    }
    const recentSuccessTimes = [...recent.values()].sort((a, b) => a.getTime() - b.getTime());
    // The newest success, if any is among the newest classified orders, is the newest of them.
    const newestSuccess = classified.find((row) => success.has(row.status));
    const lastSuccessAt =
      recentSuccessTimes.length > 0
        ? recentSuccessTimes[recentSuccessTimes.length - 1]!
        : newestSuccess
          ? new Date(newestSuccess.created_at)
          : all
            ? null
            : await this.lastSuccessBefore(storeId, successStatuses, now);
    return {
      lastSuccessAt,
      recentSuccessTimes,
      recentClassified: classified.map((row) => {
        const o = toSummary(row);
        return { orderId: o.orderId, status: o.status, createdAt: o.createdAt, total: o.total === null ? null : Number(o.total), paymentMethod: o.paymentMethod };
      }),
    };
  }

  /** Successful customer orders created in (from, to): what came after the problem began (`from` is often the last good order). */
  /**
   * The newest successful customer order, when none came in the last hours: the newest roll-up hour with a
   * success names the hour to read (MAX over the orders with a status filter reads every order of the store).
   */
  private async lastSuccessBefore(storeId: string, success: readonly string[], now: Date): Promise<Date | null> {
    const hours: number[] = await this.db('order_hourly')
      .where('store_id', storeId)
      .whereIn('status', [...success])
      .andWhere('hour', '<=', hourIndex(now))
      .distinct('hour')
      .orderBy('hour', 'desc')
      .limit(2)
      .pluck('hour');
    for (const hour of hours) {
      const row: { created_at: Date | null } | undefined = await customerOnly(
        this.db('orders')
          .max({ created_at: 'created_at' })
          .where('store_id', storeId)
          .whereIn('status', [...success])
          .andWhere('created_at', '>=', new Date(hour * HOUR_MS))
          .andWhere('created_at', '<', new Date((hour + 1) * HOUR_MS))
          .andWhere('created_at', '<=', now),
      ).first();
      if (row?.created_at) return new Date(row.created_at);
    }
    return null;
  }

  /**
   * The silence calibration's input (domain/calibration): when each successful customer order of the last
   * eight weeks was created. Read once a day per store (services/silence-calibration); the hourly roll-ups
   * cannot show a busy store's minute-scale gaps.
   */
  async successTimesBetween(storeId: string, successStatuses: readonly string[], from: Date, to: Date): Promise<number[]> {
    const rows: Array<{ created_at: Date }> = await customerOnly(
      this.db('orders')
        .select('created_at')
        .where('store_id', storeId)
        .whereIn('status', [...successStatuses])
        .andWhere('created_at', '>=', from)
        .andWhere('created_at', '<', to),
    ).orderBy('created_at', 'asc');
    return rows.map((r) => new Date(r.created_at).getTime());
  }

  async successfulBetween(storeId: string, successStatuses: readonly string[], from: Date, to: Date): Promise<number> {
    const row: { n: number | string } | undefined = await customerOnly(
      this.db('orders')
        .count({ n: '*' })
        .where('store_id', storeId)
        .whereIn('status', [...successStatuses])
        .andWhere('created_at', '>', from)
        .andWhere('created_at', '<', to),
    ).first();
    return Number(row?.n ?? 0);
  }
}
