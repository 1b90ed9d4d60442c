import type { Knex } from 'knex';

export interface HourlyCount {
  /** Start of the hour, UTC. */
  hour: Date;
  successful: number;
  failed: number;
}

export interface FailedOrder {
  orderId: number;
  status: string;
  createdAt: Date;
  statusChangedAt: Date;
  total: number | null;
  currency: string | null;
  paymentMethod: string | null;
}

export interface EventExportRow {
  id: string;
  type: string;
  order_id: number | null;
  from_status: string | null;
  to_status: string | null;
  total: number | null;
  currency: string | null;
  payment_method: string | null;
  created_via: string | null;
  order_created_at: Date | null;
  occurred_at: Date;
  received_at: Date;
  origin: string;
}

/** Read-only views for the status page and the CSV exports. */
export class ReportRepository {
  constructor(private readonly db: Knex) {}

  /** Orders created per hour since `since`, by their latest status, successful and failed apart. */
  async hourlyCounts(storeId: string, since: Date, success: readonly string[], failure: readonly string[]): Promise<HourlyCount[]> {
    const rows: Array<{ bucket: number | string; successful: number | string | null; failed: number | string | null }> = await this.db('orders')
      .where('store_id', storeId)
      .andWhere('created_at', '>=', since)
      .select(
        this.db.raw('FLOOR(UNIX_TIMESTAMP(created_at) / 3600) AS bucket'),
        this.db.raw(`SUM(status IN (${success.map(() => '?').join(', ')})) AS successful`, [...success]),
        this.db.raw(`SUM(status IN (${failure.map(() => '?').join(', ')})) AS failed`, [...failure]),
      )
      .groupBy('bucket');
    return rows.map((row) => ({
      hour: new Date(Number(row.bucket) * 3600_000),
      successful: Number(row.successful ?? 0),
      failed: Number(row.failed ?? 0),
    }));
  }

  /**
   * Orders per UTC hour since `since`: all, successful, failed, and the revenue of the successful ones
   * (the API's sales summary). `storeIds` many at once give the console's sparklines.
   */
  async hourlySales(storeIds: readonly string[], since: Date, success: readonly string[], failure: readonly string[]): Promise<Array<{ storeId: string; hour: Date; orders: number; successful: number; failed: number; revenue: number; currency: string | null }>> {
    if (storeIds.length === 0) return [];
    const rows: Array<{ store_id: string; bucket: number | string; orders: number | string; successful: number | string | null; failed: number | string | null; revenue: number | string | null; currency: string | null }> = await this.db('orders')
      .whereIn('store_id', [...storeIds])
      .andWhere('created_at', '>=', since)
      .select(
        'store_id',
        this.db.raw('FLOOR(UNIX_TIMESTAMP(created_at) / 3600) AS bucket'),
        this.db.raw('COUNT(*) AS orders'),
        this.db.raw(`SUM(status IN (${success.map(() => '?').join(', ')})) AS successful`, [...success]),
        this.db.raw(`SUM(status IN (${failure.map(() => '?').join(', ')})) AS failed`, [...failure]),
        this.db.raw(`SUM(CASE WHEN status IN (${success.map(() => '?').join(', ')}) THEN COALESCE(total, 0) ELSE 0 END) AS revenue`, [...success]),
        this.db.raw('MAX(currency) AS currency'),
      )
      .groupBy('store_id', 'bucket');
    return rows.map((row) => ({
      storeId: row.store_id,
      hour: new Date(Number(row.bucket) * 3600_000),
      orders: Number(row.orders),
      successful: Number(row.successful ?? 0),
      failed: Number(row.failed ?? 0),
      revenue: Number(row.revenue ?? 0),
      currency: row.currency,
    }));
  }

  /** When each successful order of a period was created (for suggested thresholds). */
  async successfulOrderTimes(storeId: string, success: readonly string[], from: Date, to: Date): Promise<Date[]> {
    return this.db('orders')
      .where('store_id', storeId)
      .whereIn('status', success)
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<', to)
      .pluck('created_at');
  }

  /** Every order created in a period, for replaying it through the detectors. */
  async ordersBetween(storeId: string, from: Date, to: Date): Promise<Array<{ orderId: number; status: string; createdAt: Date; total: number | null; paymentMethod: string | null; createdVia: string | null }>> {
    const rows = await this.db('orders')
      .where('store_id', storeId)
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<', to)
      .orderBy('created_at')
      .select('order_id', 'status', 'created_at', 'total', 'payment_method', 'created_via');
    return rows.map((r) => ({ orderId: Number(r.order_id), status: r.status, createdAt: r.created_at, total: r.total, paymentMethod: r.payment_method, createdVia: r.created_via }));
  }

  async recentFailedOrders(storeId: string, failure: readonly string[], limit = 20): Promise<FailedOrder[]> {
    const rows = await this.db('orders')
      .where('store_id', storeId)
      .whereIn('status', failure)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .select('order_id', 'status', 'created_at', 'status_changed_at', 'total', 'currency', 'payment_method');
    return rows.map((row) => ({
      orderId: Number(row.order_id),
      status: row.status,
      createdAt: row.created_at,
      statusChangedAt: row.status_changed_at,
      total: row.total,
      currency: row.currency,
      paymentMethod: row.payment_method,
    }));
  }

  /**
   * The events of a period by when they happened, oldest first, as a stream (a period may hold many). Each
   * change of an order is listed once: an event that leaves the order in the status the list last gave it
   * is the same change seen again (by the bridge and by REST recovery, or sent twice by WooCommerce's
   * hooks) and is left out; heartbeats and `order.updated` are listed as they are.
   */
  async *streamEvents(storeId: string, from: Date, to: Date): AsyncIterable<EventExportRow> {
    const rows = this.db('order_events')
      .where('store_id', storeId)
      .andWhere('occurred_at', '>=', from)
      .andWhere('occurred_at', '<', to)
      .orderBy('occurred_at')
      .select('id', 'type', 'order_id', 'from_status', 'to_status', 'total', 'currency', 'payment_method', 'created_via', 'order_created_at', 'occurred_at', 'received_at', 'origin')
      .stream() as unknown as AsyncIterable<EventExportRow>;
    const listed = new Map<number, string>();
    for await (const row of rows) {
      if (row.order_id !== null && row.type !== 'order.updated' && row.to_status !== null) {
        const orderId = Number(row.order_id);
        if (listed.get(orderId) === row.to_status) continue;
        listed.set(orderId, row.to_status);
      }
      yield row;
    }
  }
}
