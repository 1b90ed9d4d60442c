import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSource } from '../../migrations/index';
import { createDatabaseClient, migrateLatest, migrateRollbackAll } from '../../sidecar/src/store/database';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(false);
});
afterAll(async () => database?.drop());

const TABLES = ['alerts', 'api_idempotency', 'api_tokens', 'check_runs', 'console_sessions', 'daily_figures', 'deliveries', 'delivery_claims', 'digest_claims', 'digest_recipients',
  'maintenance_windows', 'notification_channels', 'notifications', 'operators', 'order_events', 'order_hourly', 'orders', 'sales_feed_posts', 'settings_history', 'signed_requests', 'silence_calibrations', 'store_cadence', 'store_probes', 'store_rest_credentials', 'store_rest_sync', 'store_settings', 'stores'];

async function tables(): Promise<string[]> {
  const [rows] = (await database.db.raw('SHOW TABLES')) as [Array<Record<string, string>>];
  return rows.map((row) => Object.values(row)[0]!).filter((name) => !name.startsWith('knex_')).sort();
}

describe('migrations', () => {
  it('run up, down and up again on real MariaDB', async () => {
    // Every migration in the list, however many have landed since this test was written.
    const all = await migrationSource.getMigrations([]);
    const applied = await migrateLatest(database.db);
    expect(applied).toHaveLength(all.length);
    expect(await tables()).toEqual(TABLES);
    expect(await migrateLatest(database.db)).toEqual([]);

    await migrateRollbackAll(database.db);
    expect(await tables()).toEqual([]);

    expect(await migrateLatest(database.db)).toHaveLength(all.length);
    expect(await tables()).toEqual(TABLES);
  });

  it('stores instants as UTC wall-clock values and reads them back unchanged', async () => {
    const instant = new Date('2026-03-29T01:30:00.123Z'); // 03:30 in Berlin, the night clocks change
    await database.db('stores').insert({ id: 'st_tz', name: 'TZ', url: 'https://tz.example', secret: 's', created_at: instant });
    const other = createDatabaseClient(database.url);
    try {
      const stored = await other('stores').where({ id: 'st_tz' }).first();
      expect(stored.created_at.toISOString()).toBe('2026-03-29T01:30:00.123Z');
      const [[raw]] = (await other.raw("SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') AS text FROM stores WHERE id = 'st_tz'")) as [[{ text: string }]];
      expect(raw.text).toBe('2026-03-29 01:30:00.123000');
    } finally {
      await other.destroy();
    }
  });
});
