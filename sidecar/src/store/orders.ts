import type { Knex } from 'knex';
import { LOOKBACK_HOURS, type HourlyHistory } from '../domain/baseline';
import { NON_CUSTOMER_CHANNELS } from '../domain/checks';
import type { OrderFact } from '../domain/detectors';
import type { OrderDetail } from '../domain/diagnosis';
import { FAILURE_LOOKBACK_ORDERS, RETRY_WINDOW_MINUTES } from '../domain/failure-rate';
import { DROP_SPAN_MINUTES } from '../domain/order-flow';
import { HOUR_MS, hourIndex } from '../domain/time';

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

  successfulBetween(storeId: string, successStatuses: readonly string[], from: Date, to: Date): Promise<number> {
    return new AdaptiveOrderQueries(this.db).successfulBetween(storeId, successStatuses, from, to);
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

interface HourRow {
  h: number | string;
  s: number | string | null;
  f: number | string | null;
  rev: number | string | null;
  revn: number | string | null;
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
    const asOfHour = hourIndex(now);
    const firstHour = asOfHour - LOOKBACK_HOURS;
    const success = [...successStatuses];
    const failure = [...failureStatuses];
    const classifiedStatuses = [...success, ...failure];
    // TIMESTAMPDIFF works on the stored UTC datetimes without any session time-zone conversion.
    const rows: HourRow[] = await customerOnly(
      this.db('orders')
        .select(
          this.db.raw("TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at) AS h"),
          this.db.raw(`SUM(status IN (${success.map(() => '?').join(',')})) AS s`, success),
          this.db.raw(`SUM(status IN (${failure.map(() => '?').join(',')})) AS f`, failure),
          this.db.raw(`SUM(CASE WHEN status IN (${success.map(() => '?').join(',')}) AND total IS NOT NULL THEN total ELSE 0 END) AS rev`, success),
          this.db.raw(`SUM(status IN (${success.map(() => '?').join(',')}) AND total IS NOT NULL) AS revn`, success),
        )
        .where('store_id', storeId)
        .andWhere('created_at', '>=', new Date(firstHour * HOUR_MS))
        .andWhere('created_at', '<', new Date(asOfHour * HOUR_MS)),
    ).groupBy('h');
    const hourly: HourlyHistory = {
      firstHour,
      success: new Float64Array(LOOKBACK_HOURS),
      failure: new Float64Array(LOOKBACK_HOURS),
      retriedFailure: new Float64Array(LOOKBACK_HOURS),
      revenue: new Float64Array(LOOKBACK_HOURS),
      revenueOrders: new Float64Array(LOOKBACK_HOURS),
    };
    for (const row of rows) {
      const i = Number(row.h) - firstHour;
      if (i < 0 || i >= LOOKBACK_HOURS) continue;
      (hourly.success as Float64Array)[i] = Number(row.s ?? 0);
      (hourly.failure as Float64Array)[i] = Number(row.f ?? 0);
      (hourly.revenue as Float64Array)[i] = Number(row.rev ?? 0);
      (hourly.revenueOrders as Float64Array)[i] = Number(row.revn ?? 0);
    }

    for (const row of await this.retriedFailuresPerHour(storeId, success, failure, firstHour, asOfHour, now)) {
      const i = Number(row.h) - firstHour;
      if (i >= 0 && i < LOOKBACK_HOURS) (hourly.retriedFailure as Float64Array)[i] = Number(row.n ?? 0);
    }

    const last: { created_at: Date | null } | undefined = await customerOnly(
      this.db('orders').max({ created_at: 'created_at' }).where('store_id', storeId).whereIn('status', success).andWhere('created_at', '<=', now),
    ).first();
    const recent: Array<{ created_at: Date }> = await customerOnly(
      this.db('orders')
        .select('created_at')
        .where('store_id', storeId)
        .whereIn('status', success)
        .andWhere('created_at', '>=', new Date(now.getTime() - DROP_SPAN_MINUTES * 60_000))
        .andWhere('created_at', '<=', now),
    ).orderBy('created_at', 'asc');
    const classified: OrderRow[] = await customerOnly(
      this.db('orders')
        .select(COLUMNS)
        .where('store_id', storeId)
        .whereIn('status', classifiedStatuses)
        .andWhere('created_at', '<=', now),
    )
      .orderBy('created_at', 'desc')
      .limit(FAILURE_LOOKBACK_ORDERS);
    return {
      hourly,
      lastSuccessAt: last?.created_at ? new Date(last.created_at) : null,
      recentSuccessTimes: recent.map((r) => r.created_at),
      recentClassified: classified.map((row) => {
        const o = toSummary(row);
        return { orderId: o.orderId, status: o.status, createdAt: o.createdAt, total: o.total === null ? null : Number(o.total), paymentMethod: o.paymentMethod };
      }),
    };
  }

  /** Successful customer orders created in (from, to): what came after the problem began (`from` is often the last good order). */
  /**
   * Failures whose cart was tried again, per hour, as domain/failure-rate `retriedFailures` counts them:
   * the next customer order of the same cart (same total and payment method) came within the retry
   * window. A window function, because MariaDB reads a correlated "a later order within 10 minutes"
   * subquery by store alone, once per failure: a second per check on a store of 10,000 orders.
   */
  private retriedFailuresPerHour(
    storeId: string,
    success: readonly string[],
    failure: readonly string[],
    firstHour: number,
    asOfHour: number,
    now: Date,
  ): Promise<Array<{ h: number | string; n: number | string | null }>> {
    const carts = customerOnly(
      this.db('orders')
        .select(
          this.db.raw("TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at) AS h"),
          this.db.raw(
            `status IN (${failure.map(() => '?').join(',')}) AND LEAD(created_at) OVER (PARTITION BY total, COALESCE(payment_method, '') ORDER BY created_at, order_id) <= created_at + INTERVAL ${RETRY_WINDOW_MINUTES} MINUTE AS retried`,
            [...failure],
          ),
        )
        .where('store_id', storeId)
        .andWhere('total', '>', 0)
        .whereIn('status', [...success, ...failure])
        .andWhere('created_at', '>=', new Date(firstHour * HOUR_MS))
        // A retry just after the last whole hour still counts for it, once it has come.
        .andWhere('created_at', '<=', now),
    ).as('carts');
    return this.db
      .from(carts)
      .select('h', this.db.raw('SUM(retried) AS n'))
      .where('h', '<', asOfHour)
      .groupBy('h') as unknown as Promise<Array<{ h: number | string; n: number | string | null }>>;
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
