import type { Knex } from 'knex';
import type { DailyFigures, DayOrder } from '../domain/daily-figures';

interface FiguresRow {
  day: string;
  orders: number | string;
  successful: number | string;
  failed: number | string;
  cancelled: number | string;
  refunded: number | string;
  revenue: number | string;
  average_order_value: number | string | null;
  customer_orders: number | string;
  admin_orders: number | string;
  renewal_orders: number | string;
  currency: string | null;
}

const toFigures = (row: FiguresRow): DailyFigures => ({
  day: row.day,
  orders: Number(row.orders),
  successful: Number(row.successful),
  failed: Number(row.failed),
  cancelled: Number(row.cancelled),
  refunded: Number(row.refunded),
  revenue: Number(row.revenue),
  averageOrderValue: row.average_order_value === null ? null : Number(row.average_order_value),
  customerOrders: Number(row.customer_orders),
  adminOrders: Number(row.admin_orders),
  renewalOrders: Number(row.renewal_orders),
  currency: row.currency,
});

const toRow = (storeId: string, f: DailyFigures, computedAt: Date) => ({
  store_id: storeId,
  day: f.day,
  orders: f.orders,
  successful: f.successful,
  failed: f.failed,
  cancelled: f.cancelled,
  refunded: f.refunded,
  revenue: f.revenue,
  average_order_value: f.averageOrderValue,
  customer_orders: f.customerOrders,
  admin_orders: f.adminOrders,
  renewal_orders: f.renewalOrders,
  currency: f.currency,
  computed_at: computedAt,
});

/** The daily_figures table, and the reads the roll-up needs from orders. */
export class DailyFiguresRepository {
  constructor(private readonly db: Knex) {}

  /** Days in [from, to] (local dates), oldest first. */
  async list(storeId: string, from: string, to: string): Promise<DailyFigures[]> {
    const rows: FiguresRow[] = await this.db('daily_figures')
      .select('*', this.db.raw("DATE_FORMAT(day, '%Y-%m-%d') AS day"))
      .where('store_id', storeId)
      .andWhere('day', '>=', from)
      .andWhere('day', '<=', to)
      .orderBy('day', 'asc');
    return rows.map(toFigures);
  }

  /** The newest day rolled up and when the last roll-up began, or nulls for a store never rolled up. */
  async progress(storeId: string): Promise<{ lastDay: string | null; lastComputedAt: Date | null }> {
    const row: { last_day: string | null; last_computed: Date | null } | undefined = await this.db('daily_figures')
      .select(this.db.raw("DATE_FORMAT(MAX(day), '%Y-%m-%d') AS last_day"), this.db.raw('MAX(computed_at) AS last_computed'))
      .where('store_id', storeId)
      .first();
    return { lastDay: row?.last_day ?? null, lastComputedAt: row?.last_computed ? new Date(row.last_computed) : null };
  }

  /** Every store's progress in one query (the roll-up visits every store every few minutes). */
  async progressAll(): Promise<Map<string, { lastDay: string | null; lastComputedAt: Date | null }>> {
    const rows: Array<{ store_id: string; last_day: string | null; last_computed: Date | null }> = await this.db('daily_figures')
      .select('store_id', this.db.raw("DATE_FORMAT(MAX(day), '%Y-%m-%d') AS last_day"), this.db.raw('MAX(computed_at) AS last_computed'))
      .groupBy('store_id');
    return new Map(rows.map((r) => [r.store_id, { lastDay: r.last_day, lastComputedAt: r.last_computed ? new Date(r.last_computed) : null }]));
  }

  /**
   * Every order created in each of the ranges, per range (index-aligned), in one statement: the daily
   * roll-up reads yesterday of hundreds of stores at once rather than one store at a time. Each range is a
   * SELECT of its own under UNION ALL, so MariaDB plans each on (store_id, created_at) with its constants;
   * one query with the ranges OR-ed together or joined from a derived table read every order of each store.
   */
  async ordersInRanges(ranges: ReadonlyArray<{ storeId: string; start: Date; end: Date }>): Promise<DayOrder[][]> {
    if (ranges.length === 0) return [];
    const sql = ranges
      .map((_, i) => `(SELECT ${i} AS range_index, status, created_at, total, currency, created_via FROM orders WHERE store_id = ? AND created_at >= ? AND created_at < ?)`)
      .join(' UNION ALL ');
    const [rows] = (await this.db.raw(sql, ranges.flatMap((r) => [r.storeId, r.start, r.end]))) as [
      Array<{ range_index: number | string; status: string; created_at: Date; total: string | number | null; currency: string | null; created_via: string | null }>,
    ];
    const out: DayOrder[][] = ranges.map(() => []);
    for (const row of rows) {
      out[Number(row.range_index)]!.push({
        status: row.status,
        createdAt: new Date(row.created_at),
        total: row.total === null ? null : Number(row.total),
        currency: row.currency,
        createdVia: row.created_via,
      });
    }
    return out;
  }

  /**
   * When the orders changed since `since` were created, for many stores in one statement (each with its own
   * `since` and `before`): their days are computed again. One SELECT per store under UNION ALL, as above, so
   * each reads only its slice of (store_id, updated_at).
   */
  async changedOrderTimesMany(queries: ReadonlyArray<{ storeId: string; since: Date; before: Date }>): Promise<Map<string, Date[]>> {
    const out = new Map<string, Date[]>();
    if (queries.length === 0) return out;
    // A bound on memory per store: a read-back of weeks changes many orders, but not 100,000 distinct instants.
    const sql = queries
      .map(() => '(SELECT DISTINCT store_id, created_at FROM orders WHERE store_id = ? AND updated_at >= ? AND created_at < ? LIMIT 100000)')
      .join(' UNION ALL ');
    const [rows] = (await this.db.raw(sql, queries.flatMap((q) => [q.storeId, q.since, q.before]))) as [Array<{ store_id: string; created_at: Date }>];
    for (const row of rows) {
      const list = out.get(row.store_id) ?? [];
      list.push(new Date(row.created_at));
      out.set(row.store_id, list);
    }
    return out;
  }

  /** The first order of each store that has one. */
  async firstOrdersAt(storeIds: readonly string[]): Promise<Map<string, Date>> {
    if (storeIds.length === 0) return new Map();
    const rows: Array<{ store_id: string; first: Date | null }> = await this.db('orders')
      .select('store_id')
      .min({ first: 'created_at' })
      .whereIn('store_id', [...storeIds])
      .groupBy('store_id');
    return new Map(rows.filter((r) => r.first).map((r) => [r.store_id, new Date(r.first!)]));
  }

  /** Many stores' days in one statement (rows of several stores; a day written twice ends as one row). */
  async saveMany(days: ReadonlyArray<{ storeId: string; figures: DailyFigures }>, computedAt: Date): Promise<void> {
    // 15 columns a row: 2,000 rows stay well under the 65,535 placeholders of one statement.
    for (let i = 0; i < days.length; i += 2000) {
      const rows = days.slice(i, i + 2000).map(({ storeId, figures }) => toRow(storeId, figures, computedAt));
      await this.db('daily_figures').insert(rows).onConflict(['store_id', 'day']).merge();
    }
  }

  /** Drops the days before `olderThan` of every store given (their oldest kept day is the same). */
  async pruneMany(storeIds: readonly string[], olderThan: string): Promise<number> {
    if (storeIds.length === 0) return 0;
    return this.db('daily_figures').whereIn('store_id', [...storeIds]).andWhere('day', '<', olderThan).del();
  }
}
