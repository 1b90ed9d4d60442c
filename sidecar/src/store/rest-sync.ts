import type { Knex } from 'knex';
import { restSecretContext, SecretBox } from './secret-box';

export interface RestCredentials {
  consumerKey: string;
  consumerSecret: string;
}

export interface RestSyncState {
  syncedUntil: Date;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  consecutiveFailures: number;
  ordersSeen: number;
}

/** A store's WooCommerce REST credentials and how far the recovery has read. */
export class RestSyncRepository {
  constructor(
    private readonly db: Knex,
    /** Seals the consumer secret at rest (WOOM_SECRET_KEY); without a key it is kept as it is. */
    private readonly box: SecretBox = new SecretBox(null),
  ) {}

  async credentials(storeId: string): Promise<RestCredentials | null> {
    const row = await this.db('store_rest_credentials').where({ store_id: storeId }).first();
    return row ? { consumerKey: row.consumer_key, consumerSecret: this.box.open(row.consumer_secret, restSecretContext(storeId)) } : null;
  }

  /** New credentials start a backfill from `backfillFrom`; replaced ones keep the progress made. */
  async saveCredentials(storeId: string, credentials: RestCredentials, backfillFrom: Date, now = new Date()): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('store_rest_credentials')
        .insert({ store_id: storeId, consumer_key: credentials.consumerKey, consumer_secret: this.box.seal(credentials.consumerSecret, restSecretContext(storeId)), updated_at: now })
        .onConflict('store_id')
        .merge();
      await trx('store_rest_sync')
        .insert({ store_id: storeId, synced_until: backfillFrom, consecutive_failures: 0, orders_seen: 0 })
        .onConflict('store_id')
        .ignore();
    });
  }

  async storesWithCredentials(): Promise<string[]> {
    return this.db('store_rest_credentials').pluck('store_id');
  }

  async state(storeId: string): Promise<RestSyncState | null> {
    const row = await this.db('store_rest_sync').where({ store_id: storeId }).first();
    if (!row) return null;
    return {
      syncedUntil: row.synced_until,
      lastAttemptAt: row.last_attempt_at,
      lastSuccessAt: row.last_success_at,
      lastError: row.last_error,
      consecutiveFailures: row.consecutive_failures,
      ordersSeen: Number(row.orders_seen),
    };
  }

  /** Progress is saved page by page, so a run that fails half-way does not start again from the top. */
  async advance(storeId: string, syncedUntil: Date, ordersSeen: number): Promise<void> {
    await this.db('store_rest_sync')
      .where({ store_id: storeId })
      .update({
        synced_until: this.db.raw('GREATEST(synced_until, ?)', [syncedUntil]),
        orders_seen: this.db.raw('orders_seen + ?', [ordersSeen]),
      });
  }

  async recordOutcome(storeId: string, at: Date, error: string | null): Promise<void> {
    await this.db('store_rest_sync')
      .where({ store_id: storeId })
      .update(
        error === null
          ? { last_attempt_at: at, last_success_at: at, last_error: null, consecutive_failures: 0 }
          : { last_attempt_at: at, last_error: error.slice(0, 1000), consecutive_failures: this.db.raw('consecutive_failures + 1') },
      );
  }
}
