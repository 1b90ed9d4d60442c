import type { Knex } from 'knex';
import { NON_CUSTOMER_CHANNELS } from '../domain/checks';
import type { RenewalOrder } from '../domain/renewals';
import type { RuleOrder } from '../domain/rules';

interface Row {
  status: string;
  created_at: Date;
  total: string | number | null;
  payment_method: string | null;
}

const toOrder = (r: Row): RuleOrder => ({
  status: r.status,
  createdAt: new Date(r.created_at),
  total: r.total === null ? null : Number(r.total),
  paymentMethod: r.payment_method,
});

/** What the custom rules and the renewal detector read: customer checkouts, and renewals apart. */
export class RuleOrderQueries {
  constructor(private readonly db: Knex) {}

  /** Customer orders created in [from, to], oldest first (the rules count checkouts, as the detectors do). */
  async customerOrders(storeId: string, from: Date, to: Date): Promise<RuleOrder[]> {
    const rows: Row[] = await this.db('orders')
      .select('status', 'created_at', 'total', 'payment_method')
      .where('store_id', storeId)
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<=', to)
      .andWhere((q) => q.whereNull('created_via').orWhereNotIn('created_via', [...NON_CUSTOMER_CHANNELS]))
      .orderBy('created_at', 'asc');
    return rows.map(toOrder);
  }

  /** Subscription renewals created in [from, to], oldest first. */
  async renewals(storeId: string, from: Date, to: Date): Promise<RenewalOrder[]> {
    const rows: Row[] = await this.db('orders')
      .select('status', 'created_at', 'total', 'payment_method')
      .where('store_id', storeId)
      .andWhere('created_via', 'subscription')
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<=', to)
      .orderBy('created_at', 'asc');
    return rows.map(toOrder);
  }
}
