import type { Knex } from 'knex';
import { SALES_FEED_WINDOW_MS } from '../domain/sales-feed';

export interface FeedOrder {
  orderId: number;
  total: number | null;
  currency: string | null;
  paymentMethod: string | null;
}

/** The sales feed's record of what each channel was sent (sales_feed_posts) and the orders it has not. */
export class SalesFeedRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Locks the channel's row for the transaction, so two workers (or two sidecars) deciding the same
   * channel's posts take turns: the second sees the first one's posts. False when the channel is gone or
   * its feed is off.
   */
  async lockChannel(trx: Knex.Transaction, channelId: number): Promise<boolean> {
    const row = await trx('notification_channels').where({ id: channelId }).whereNotNull('sales_feed_since').forUpdate().first('id');
    return Boolean(row);
  }

  /** Successful orders that became so since the feed was turned on and were not posted to the channel yet. */
  async pending(trx: Knex, storeId: string, channelId: number, successStatuses: readonly string[], since: Date, limit: number): Promise<FeedOrder[]> {
    const rows: Array<{ order_id: string | number; total: string | number | null; currency: string | null; payment_method: string | null }> = await trx('orders as o')
      .select('o.order_id', 'o.total', 'o.currency', 'o.payment_method')
      .where('o.store_id', storeId)
      .whereIn('o.status', [...successStatuses])
      .andWhere('o.updated_at', '>=', since)
      .andWhere('o.status_changed_at', '>=', since)
      .whereNotExists((q) => q.select(trx.raw('1')).from('sales_feed_posts as p').where('p.channel_id', channelId).andWhereRaw('p.order_id = o.order_id'))
      .orderBy('o.status_changed_at', 'asc')
      .orderBy('o.order_id', 'asc')
      .limit(limit);
    return rows.map((r) => ({ orderId: Number(r.order_id), total: r.total === null ? null : Number(r.total), currency: r.currency, paymentMethod: r.payment_method }));
  }

  /** Orders posted to the channel in the minute before `now`, and when the oldest of them went out. */
  async lastMinute(trx: Knex, channelId: number, now: Date): Promise<{ count: number; oldest: Date | null }> {
    const row = (await trx('sales_feed_posts')
      .where('channel_id', channelId)
      .andWhere('posted_at', '>', new Date(now.getTime() - SALES_FEED_WINDOW_MS))
      .count({ count: '*' })
      .min({ oldest: 'posted_at' })
      .first()) as { count: number | string; oldest: Date | null } | undefined;
    return { count: Number(row?.count ?? 0), oldest: row?.oldest ? new Date(row.oldest) : null };
  }

  /** When the channel's last batched message went out, within the last two minutes (a rush still going). */
  async lastBatchAt(trx: Knex, channelId: number, now: Date): Promise<Date | null> {
    const row = (await trx('sales_feed_posts as p')
      .join('notifications as n', 'n.id', 'p.notification_id')
      .where('p.channel_id', channelId)
      .andWhere('n.kind', 'sales')
      .andWhere('p.posted_at', '>', new Date(now.getTime() - 2 * SALES_FEED_WINDOW_MS))
      .max({ at: 'p.posted_at' })
      .first()) as { at: Date | null } | undefined;
    return row?.at ? new Date(row.at) : null;
  }

  /** Posts older than `before`: their orders are past the feed's look-back, so they cannot be posted again. */
  async prune(before: Date): Promise<number> {
    return this.db('sales_feed_posts').where('posted_at', '<', before).del();
  }

  async record(trx: Knex, channelId: number, orderIds: readonly number[], notificationId: number, postedAt: Date): Promise<void> {
    if (orderIds.length === 0) return;
    await trx('sales_feed_posts').insert(orderIds.map((orderId) => ({ channel_id: channelId, order_id: orderId, notification_id: notificationId, posted_at: postedAt })));
  }
}
