import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { RetentionRepository, type RetentionDays } from '../../sidecar/src/store/retention';
import { RollupRepository } from '../../sidecar/src/store/rollups';
import { StoreRepository } from '../../sidecar/src/store/stores';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const DAY = 86_400_000;
const now = new Date('2026-12-02T12:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY);
const DAYS: RetentionDays = { events: 90, heartbeats: 14, checkRuns: 30, notifications: 180, probes: 35, orders: 400 };

/** Records of one store at the given ages (days): events, heartbeats, check runs, notifications, probes, orders. */
async function seed(storeId: string, ages: number[], alertId: number | null = null) {
  const db = database.db;
  let order = 0;
  for (const age of ages) {
    const at = ago(age);
    await db('order_events').insert([
      { store_id: storeId, id: randomUUID(), type: 'order.created', order_id: 1, to_status: 'processing', occurred_at: at, received_at: at },
      { store_id: storeId, id: randomUUID(), type: 'heartbeat', occurred_at: at, received_at: at },
    ]);
    await db('check_runs').insert({ store_id: storeId, ran_at: at, trigger: 'schedule', mode: 'adaptive', results: '[]', decision: 'none', alert_id: alertId });
    await db('notifications').insert({ store_id: storeId, alert_id: alertId, kind: 'alert', status: 'sent', content: '{}', created_at: at });
    await db('store_probes').insert({ store_id: storeId, run_at: at, target: 'home', url: 'https://x.example', probed_at: at, ok: true, detail: '' });
    order += 1;
    await db('orders').insert({ store_id: storeId, order_id: order, status: 'completed', total: 10, created_at: at, status_changed_at: at, updated_at: at });
  }
}

const count = async (table: string, storeId: string, where: Record<string, unknown> = {}) =>
  Number((await database.db(table).where({ store_id: storeId, ...where }).count({ n: '*' }).first())?.n);

describe('retention', () => {
  it('deletes only what is older than its retention, in bounded batches, and never an open alert’s evidence', async () => {
    const stores = new StoreRepository(database.db);
    const rollups = new RollupRepository(database.db);
    const quiet = await stores.create({ name: 'Quiet', url: 'https://quiet.example', settings: defaultSettings('UTC') });
    const alerted = await stores.create({ name: 'Alerted', url: 'https://alerted.example', settings: defaultSettings('UTC') });
    const ages = [1, 10, 20, 40, 100, 200, 500];
    await seed(quiet.id, ages);
    const [alertId] = await database.db('alerts').insert({ store_id: alerted.id, detector: 'order_flow', severity: 'critical', state: 'open', opened_at: ago(150), details: '{}' });
    await seed(alerted.id, ages, alertId!);
    // Enough old events of one store that one batch cannot take them all.
    const old = ago(120);
    for (let i = 0; i < 2_500; i += 500) {
      await database.db('order_events').insert(
        Array.from({ length: 500 }, () => ({ store_id: quiet.id, id: randomUUID(), type: 'order.created', order_id: 1, to_status: 'processing', occurred_at: old, received_at: old })),
      );
    }
    await database.db('notifications').insert({ store_id: quiet.id, alert_id: null, kind: 'alert', status: 'pending', content: '{}', created_at: ago(300) });
    await rollups.rebuild(quiet.id);
    await rollups.rebuild(alerted.id);

    const retention = new RetentionRepository(database.db);
    const cut = await retention.prune(DAYS, now, 3);
    expect(cut.unfinished).toBe(true);
    const report = await retention.prune(DAYS, now);
    expect(report.unfinished).toBe(false);

    // The quiet store: each kind kept for its own number of days.
    expect(await count('order_events', quiet.id, { type: 'order.created' })).toBe(4); // 1, 10, 20, 40 days
    expect(await count('order_events', quiet.id, { type: 'heartbeat' })).toBe(2); // 1, 10
    expect(await count('check_runs', quiet.id)).toBe(3); // 1, 10, 20
    expect(await count('notifications', quiet.id, { status: 'sent' })).toBe(5); // up to 100
    expect(await count('notifications', quiet.id, { status: 'pending' })).toBe(1); // never sent: kept
    expect(await count('store_probes', quiet.id)).toBe(3);
    expect(await count('orders', quiet.id)).toBe(6); // all but 500 days
    expect(await rollups.rows(quiet.id)).toEqual(await rollups.recount(quiet.id));

    // The store whose alert opened 150 days ago keeps everything since 151 days, and the alert's own rows.
    expect(await count('order_events', alerted.id, { type: 'order.created' })).toBe(5); // up to 100
    expect(await count('order_events', alerted.id, { type: 'heartbeat' })).toBe(5);
    expect(await count('check_runs', alerted.id)).toBe(7);
    expect(await count('notifications', alerted.id)).toBe(7);
    expect(await count('store_probes', alerted.id)).toBe(5);
    expect(await count('alerts', alerted.id)).toBe(1);
    expect(await rollups.rows(alerted.id)).toEqual(await rollups.recount(alerted.id));

    // A second run finds nothing more.
    const again = await retention.prune(DAYS, now);
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
  });
});
