import type { Knex } from 'knex';

/**
 * store_cadence: the fastest a stop could be detected on each store, from its last baseline
 * (domain/cadence). Undefined: never measured. Infinity: no order is ever expected (stored as NULL).
 */
export class CadenceRepository {
  constructor(private readonly db: Knex) {}

  async get(storeId: string, db: Knex = this.db): Promise<number | undefined> {
    const row: { stop_detection_minutes: number | null } | undefined = await db('store_cadence').where({ store_id: storeId }).first('stop_detection_minutes');
    if (!row) return undefined;
    return row.stop_detection_minutes ?? Number.POSITIVE_INFINITY;
  }

  async all(db: Knex = this.db): Promise<Map<string, number>> {
    const rows: Array<{ store_id: string; stop_detection_minutes: number | null }> = await db('store_cadence').select('store_id', 'stop_detection_minutes');
    return new Map(rows.map((r) => [r.store_id, r.stop_detection_minutes ?? Number.POSITIVE_INFINITY]));
  }

  async save(storeId: string, stopDetectionMinutes: number, now = new Date()): Promise<void> {
    const value = Number.isFinite(stopDetectionMinutes) ? stopDetectionMinutes : null;
    // A store removed in the meantime has no row to refer to: nothing to keep then.
    await this.db.raw(
      'INSERT INTO store_cadence (store_id, stop_detection_minutes, updated_at) SELECT id, ?, ? FROM stores WHERE id = ? ON DUPLICATE KEY UPDATE stop_detection_minutes = VALUES(stop_detection_minutes), updated_at = VALUES(updated_at)',
      [value, now, storeId],
    );
  }
}
