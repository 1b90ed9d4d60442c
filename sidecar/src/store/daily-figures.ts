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

/** The daily_figures table, and the reads the roll-up needs from orders. */
export class DailyFiguresRepository {
  constructor(private readonly db: Knex) {}

  /** Writes (or rewrites) days; a day computed twice at once ends as one row either way. */
  async save(storeId: string, days: readonly DailyFigures[], computedAt: Date): Promise<void> {
    if (days.length === 0) return;
    const rows = days.map((f) => ({
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
    }));
    await this.db('daily_figures').insert(rows).onConflict(['store_id', 'day']).merge();
  }

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

  /** Every order created in [start, end), all channels: what a day's figures are computed from. */
  async ordersBetween(storeId: string, start: Date, end: Date): Promise<DayOrder[]> {
    const rows: Array<{ status: string; created_at: Date; total: string | number | null; currency: string | null; created_via: string | null }> = await this.db(
      'orders',
    )
      .select('status', 'created_at', 'total', 'currency', 'created_via')
      .where('store_id', storeId)
      .andWhere('created_at', '>=', start)
      .andWhere('created_at', '<', end);
    return rows.map((r) => ({
      status: r.status,
      createdAt: new Date(r.created_at),
      total: r.total === null ? null : Number(r.total),
      currency: r.currency,
      createdVia: r.created_via,
    }));
  }

  /** When the orders changed since `since` were created: their days are computed again. */
  async changedOrderTimes(storeId: string, since: Date, before: Date): Promise<Date[]> {
    const rows: Array<{ created_at: Date }> = await this.db('orders')
      .distinct('created_at')
      .where('store_id', storeId)
      .andWhere('updated_at', '>=', since)
      .andWhere('created_at', '<', before)
      .limit(100_000);
    return rows.map((r) => new Date(r.created_at));
  }

  async firstOrderAt(storeId: string): Promise<Date | null> {
    const row = (await this.db('orders').min({ first: 'created_at' }).where('store_id', storeId).first()) as { first: Date | null } | undefined;
    return row?.first ? new Date(row.first) : null;
  }

  async prune(storeId: string, olderThan: string): Promise<number> {
    return this.db('daily_figures').where('store_id', storeId).andWhere('day', '<', olderThan).del();
  }
}
