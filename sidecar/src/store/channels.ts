import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

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

/** A store's notification channels besides e-mail. */
export class ChannelRepository {
  constructor(private readonly db: Knex) {}

  async add(storeId: string, type: ChannelType, url: string, now = new Date()): Promise<ChannelRecord> {
    const secret = type === 'webhook' ? `whsec_${randomBytes(24).toString('base64url')}` : null;
    const [id] = await this.db('notification_channels').insert({ store_id: storeId, type, url, secret, created_at: now });
    return { id: Number(id), storeId, type, url, secret, createdAt: now };
  }

  async list(storeId: string): Promise<ChannelRecord[]> {
    const rows = await this.db('notification_channels').where({ store_id: storeId }).orderBy('id');
    return rows.map((row) => ({ id: Number(row.id), storeId: row.store_id, type: row.type, url: row.url, secret: row.secret, createdAt: row.created_at }));
  }

  async remove(storeId: string, id: number): Promise<boolean> {
    return (await this.db('notification_channels').where({ store_id: storeId, id }).delete()) > 0;
  }
}
