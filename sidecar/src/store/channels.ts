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
}

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
  async add(storeId: string, type: ChannelType, url: string, now = new Date()): Promise<ChannelRecord | null> {
    const secret = type === 'webhook' ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    return this.db.transaction(async (trx) => {
      // The store's row is locked so two requests at once cannot both add the tenth channel.
      await trx('stores').where({ id: storeId }).forUpdate().first('id');
      const [{ count }] = (await trx('notification_channels').where({ store_id: storeId }).count({ count: '*' })) as [{ count: number | string }];
      if (Number(count) >= MAX_CHANNELS_PER_STORE) return null;
      const [id] = await trx('notification_channels').insert({ store_id: storeId, type, url, secret: null, created_at: now });
      // The row's id is part of what the sealed key is bound to, so it is sealed once the id is known.
      if (secret) await trx('notification_channels').where({ id }).update({ secret: this.box.seal(secret, channelSecretContext(Number(id))) });
      return { id: Number(id), storeId, type, url, secret, createdAt: now };
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
    }));
  }

  async remove(storeId: string, id: number): Promise<boolean> {
    return (await this.db('notification_channels').where({ store_id: storeId, id }).delete()) > 0;
  }
}
