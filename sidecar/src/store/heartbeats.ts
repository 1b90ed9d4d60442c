import type { Knex } from 'knex';
import type { HeartbeatFatals } from '../domain/store-health';

/**
 * The heartbeats the bridge sent, as `order_events` keeps them (type `heartbeat`, the snapshot in
 * `data`): the history the fatal-errors judgement reads.
 */
export class HeartbeatRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Each heartbeat since `since` that carried a health snapshot, with its fatal-error count (those since
   * the heartbeat before). A heartbeat without a snapshot (an older bridge) says nothing either way.
   */
  async fatalErrors(storeId: string, since: Date): Promise<HeartbeatFatals[]> {
    const rows = (await this.db('order_events')
      .where({ store_id: storeId, type: 'heartbeat' })
      .where('occurred_at', '>=', since)
      .whereRaw("JSON_VALUE(data, '$.health.fatal_errors') IS NOT NULL")
      .orderBy('occurred_at')
      .select('occurred_at', this.db.raw("JSON_VALUE(data, '$.health.fatal_errors') AS fatal_errors"))) as Array<{ occurred_at: Date; fatal_errors: string }>;
    return rows.map((r) => ({ at: r.occurred_at, fatalErrors: Math.max(0, Number(r.fatal_errors) || 0) }));
  }
}
