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

  /**
   * Writes the store's new figure if the row still holds `expected` (undefined: no row yet), and says
   * whether this write was the one that changed it. Two sidecars that rebuild one store's baseline in the
   * same hour both learn the change; only the one whose write lands reschedules the store.
   */
  async replace(storeId: string, expected: number | undefined, stopDetectionMinutes: number, now = new Date()): Promise<boolean> {
    const value = Number.isFinite(stopDetectionMinutes) ? stopDetectionMinutes : null;
    if (expected === undefined) {
      // A store removed in the meantime has no row to refer to: nothing to keep then.
      const [result] = (await this.db.raw('INSERT IGNORE INTO store_cadence (store_id, stop_detection_minutes, updated_at) SELECT id, ?, ? FROM stores WHERE id = ?', [value, now, storeId])) as [{ affectedRows: number }];
      return result.affectedRows === 1;
    }
    const [result] = (await this.db.raw('UPDATE store_cadence SET stop_detection_minutes = ?, updated_at = ? WHERE store_id = ? AND stop_detection_minutes <=> ?', [
      value,
      now,
      storeId,
      Number.isFinite(expected) ? expected : null,
    ])) as [{ affectedRows: number }];
    return result.affectedRows === 1;
  }
}
