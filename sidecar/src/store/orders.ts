import type { Knex } from 'knex';
import type { OrderFact } from '../domain/detectors';

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

  async createdBetween(storeId: string, start: Date, end: Date): Promise<OrderSummary[]> {
    const rows: OrderRow[] = await this.db('orders')
      .select(COLUMNS)
      .where('store_id', storeId)
      .andWhere('created_at', '>=', start)
      .andWhere('created_at', '<', end);
    return rows.map(toSummary);
  }

  /** The newest orders whose status is one of `statuses`, newest first. */
  async latestWithStatus(storeId: string, statuses: readonly string[], limit: number): Promise<OrderSummary[]> {
    const rows: OrderRow[] = await this.db('orders')
      .select(COLUMNS)
      .where('store_id', storeId)
      .whereIn('status', statuses)
      .orderBy('created_at', 'desc')
      .limit(limit);
    return rows.map(toSummary);
  }

  async latest(storeId: string): Promise<OrderSummary | null> {
    const row: OrderRow | undefined = await this.db('orders').select(COLUMNS).where('store_id', storeId).orderBy('created_at', 'desc').first();
    return row ? toSummary(row) : null;
  }
}
