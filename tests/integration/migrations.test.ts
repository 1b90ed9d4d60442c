import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSource } from '../../migrations/index';
import { createDatabaseClient, migrateLatest, migrateRollbackAll } from '../../sidecar/src/store/database';
import { RollupRepository } from '../../sidecar/src/store/rollups';
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

  it('counts the retried carts of orders held before the roll-ups had them (migration 053)', async () => {
    await migrateRollbackAll(database.db);
    // Up to the migration before 053, then a store with orders and roll-ups as that version kept them.
    const applied = async () => ((await database.db.migrate.list({ migrationSource })) as [Array<{ name: string }>, unknown])[0].map((m) => m.name);
    while (!(await applied()).includes('20261203_052_orders_channel_index')) await database.db.migrate.up({ migrationSource });
    expect(await applied()).not.toContain('20261203_053_order_hourly_retried');
    await database.db('stores').insert({ id: 'st_mig', name: 'Mig', url: 'https://mig.example', secret: 's', created_at: new Date() });
    const order = (id: number, status: string, at: string, total: number) => ({
      store_id: 'st_mig', order_id: id, status, total, payment_method: 'stripe', created_via: 'checkout', created_at: new Date(at), status_changed_at: new Date(at), updated_at: new Date(at),
    });
    await database.db('orders').insert([
      order(1, 'failed', '2026-11-20T10:55:00Z', 30),
      order(2, 'completed', '2026-11-20T11:01:00Z', 30), // tries order 1's cart again, in the next hour
      order(3, 'failed', '2026-11-20T11:20:00Z', 30),
      order(4, 'completed', '2026-11-20T11:40:00Z', 30), // 20 minutes later: another cart
    ]);
    await database.db.raw(`INSERT INTO order_hourly (store_id, hour, status, orders, revenue, revenue_orders)
      SELECT store_id, TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at), status, COUNT(*), SUM(total), COUNT(total) FROM orders GROUP BY 1, 2, 3`);
    await migrateLatest(database.db);
    const rollups = new RollupRepository(database.db);
    const rows = await rollups.rows('st_mig');
    expect(rows.map((r) => [r.status, r.retried])).toEqual([['failed', 1], ['completed', 0], ['failed', 0]]);
    expect(rows).toEqual(await rollups.recount('st_mig'));
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
