import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { channelSecretContext, SecretBox } from './secret-box';

export type ChannelType = 'slack' | 'webhook';

export interface ChannelRecord {
  id: number;
  storeId: string;
  type: ChannelType;
  url: string;
  /** The HMAC key a webhook's body is signed with; null for Slack. */
  secret: string | null;
  createdAt: Date;
  /** When the sales feed was turned on for this channel; null: off (the default). */
  salesFeedSince: Date | null;
  /** Up to this many orders a minute are posted one by one; above it, one message a minute. */
  salesFeedBatchAbove: number;
}

export interface SalesFeedOptions {
  sales_feed?: boolean;
  sales_feed_batch_above?: number;
}

export const DEFAULT_SALES_FEED_BATCH_ABOVE = 10;

/** Enough for every team and tool a shop tells; more is a store's admin filling our queue. */
export const MAX_CHANNELS_PER_STORE = 10;

/** A store's notification channels besides e-mail. */
export class ChannelRepository {
  constructor(
    private readonly db: Knex,
    /** Seals webhook signing keys at rest (WOOM_SECRET_KEY); without a key they are kept as they are. */
    private readonly box: SecretBox = new SecretBox(null),
  ) {}

  /** Null when the store has MAX_CHANNELS_PER_STORE already. */
  async add(storeId: string, type: ChannelType, url: string, now = new Date(), feed: SalesFeedOptions = {}): Promise<ChannelRecord | null> {
    const secret = type === 'webhook' ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    return this.db.transaction(async (trx) => {
      // The store's row is locked so two requests at once cannot both add the tenth channel.
      await trx('stores').where({ id: storeId }).forUpdate().first('id');
      const [{ count }] = (await trx('notification_channels').where({ store_id: storeId }).count({ count: '*' })) as [{ count: number | string }];
      if (Number(count) >= MAX_CHANNELS_PER_STORE) return null;
      const salesFeedSince = feed.sales_feed ? now : null;
      const salesFeedBatchAbove = feed.sales_feed_batch_above ?? DEFAULT_SALES_FEED_BATCH_ABOVE;
      const [id] = await trx('notification_channels').insert({
        store_id: storeId,
        type,
        url,
        secret: null,
        created_at: now,
        sales_feed_since: salesFeedSince,
        sales_feed_batch_above: salesFeedBatchAbove,
      });
      // The row's id is part of what the sealed key is bound to, so it is sealed once the id is known.
      if (secret) await trx('notification_channels').where({ id }).update({ secret: this.box.seal(secret, channelSecretContext(Number(id))) });
      return { id: Number(id), storeId, type, url, secret, createdAt: now, salesFeedSince, salesFeedBatchAbove };
    });
  }

  async list(storeId: string): Promise<ChannelRecord[]> {
    const rows = await this.db('notification_channels').where({ store_id: storeId }).orderBy('id');
    return rows.map((row) => ({
      id: Number(row.id),
      storeId: row.store_id,
      type: row.type,
      url: row.url,
      secret: row.secret === null ? null : this.box.open(row.secret, channelSecretContext(Number(row.id))),
      createdAt: row.created_at,
      salesFeedSince: row.sales_feed_since ? new Date(row.sales_feed_since) : null,
      salesFeedBatchAbove: Number(row.sales_feed_batch_above),
    }));
  }

  async find(storeId: string, id: number): Promise<ChannelRecord | null> {
    return (await this.list(storeId)).find((c) => c.id === id) ?? null;
  }

  /**
   * Turns the sales feed on or off and sets its rate. Turning it on again starts from `now`: orders
   * of the time it was off are not posted afterwards. Null for a channel the store does not have.
   */
  async updateSalesFeed(storeId: string, id: number, change: SalesFeedOptions, now = new Date()): Promise<ChannelRecord | null> {
    const current = await this.find(storeId, id);
    if (!current) return null;
    const update: Record<string, unknown> = {};
    if (change.sales_feed !== undefined) {
      if (change.sales_feed && !current.salesFeedSince) update.sales_feed_since = now;
      if (!change.sales_feed) update.sales_feed_since = null;
    }
    if (change.sales_feed_batch_above !== undefined) update.sales_feed_batch_above = change.sales_feed_batch_above;
    if (Object.keys(update).length > 0) await this.db('notification_channels').where({ store_id: storeId, id }).update(update);
    return this.find(storeId, id);
  }

  /** The stores with at least one channel whose sales feed is on (the feed's periodic sweep visits them). */
  async storesWithSalesFeed(): Promise<string[]> {
    const rows: Array<{ store_id: string }> = await this.db('notification_channels').distinct('store_id').whereNotNull('sales_feed_since');
    return rows.map((r) => r.store_id);
  }

  async remove(storeId: string, id: number): Promise<boolean> {
    return (await this.db('notification_channels').where({ store_id: storeId, id }).delete()) > 0;
  }
}
