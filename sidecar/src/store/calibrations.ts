import type { Knex } from 'knex';
import type { SilenceCalibration } from '../domain/calibration';

export interface StoredCalibration {
  day: number;
  key: string;
  calibration: SilenceCalibration;
}

// JSON has no Infinity: a limit that can never be reached is kept as the string, and read back.
const revive = (_key: string, value: unknown) => (value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value);
const replace = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value) ? String(value) : value);

/** silence_calibrations: each store's last silence calibration, shared by restarts and sidecars. */
export class CalibrationRepository {
  constructor(private readonly db: Knex) {}

  async get(storeId: string): Promise<StoredCalibration | undefined> {
    const row: { day: number; cache_key: string; calibration: string } | undefined = await this.db('silence_calibrations')
      .where({ store_id: storeId })
      .first('day', 'cache_key', 'calibration');
    if (!row) return undefined;
    try {
      return { day: row.day, key: row.cache_key, calibration: JSON.parse(row.calibration, revive) as SilenceCalibration };
    } catch {
      // A row this version cannot read is recomputed, as if absent.
      return undefined;
    }
  }

  async save(storeId: string, stored: StoredCalibration, now = new Date()): Promise<void> {
    // A store removed in the meantime has no row to refer to: nothing to keep then.
    await this.db.raw(
      `INSERT INTO silence_calibrations (store_id, day, cache_key, calibration, updated_at) SELECT id, ?, ?, ?, ? FROM stores WHERE id = ?
       ON DUPLICATE KEY UPDATE day = VALUES(day), cache_key = VALUES(cache_key), calibration = VALUES(calibration), updated_at = VALUES(updated_at)`,
      [stored.day, stored.key, JSON.stringify(stored.calibration, replace), now, storeId],
    );
  }
}
