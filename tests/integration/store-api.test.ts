import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;
let other: StoreCredentials;

beforeAll(async () => {
  sidecar = await startSidecar();
  // These stores test the specification's fixed-threshold modes; a store left at the defaults is adaptive.
  shop = await sidecar.addStore({ name: 'Shop', url: 'https://shop.example', timezone: 'Europe/Berlin', settings: { mode: 'hybrid' } });
  other = await sidecar.addStore({ name: 'Other', url: 'https://other.example', timezone: 'UTC', settings: { mode: 'hybrid' } });
});
afterAll(async () => sidecar?.close());

const settingsPath = (id: string) => `/v1/stores/${id}/settings`;
const currentSettings = async (store: StoreCredentials) => (await signed(sidecar.app, store, 'GET', settingsPath(store.id))).body.settings;
const schedulerOf = async (storeId: string) => (await sidecar.container.scheduler.list()).find((s) => s.id === `check-${storeId}`);

describe('settings API', () => {
  it('returns every setting with the specification defaults and the store time zone', async () => {
    const res = await signed(sidecar.app, shop, 'GET', settingsPath(shop.id));
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject({ timezone: 'Europe/Berlin', mode: 'hybrid', threshold_peak: 10, rad_failure_threshold_pct: 70 });
  });

  it('monitors a new store in adaptive mode, at the pace its volume allows, unless the admin chooses a fixed mode', async () => {
    const fresh = await sidecar.addStore({ name: 'Fresh', url: 'https://fresh.example', timezone: 'Asia/Tokyo' });
    const res = await signed(sidecar.app, fresh, 'GET', settingsPath(fresh.id));
    expect(res.body.settings).toMatchObject({ timezone: 'Asia/Tokyo', mode: 'adaptive', false_alarms_per_month: 1, check_interval_minutes: 15 });
    // Checked every minute until a check has learnt its volume (the opening check may already have run,
    // so only the end is certain): with no order at all yet, a stop cannot be told from a quiet spell for
    // hours, and it is checked every 15 minutes (new orders still bring a check at once; domain/cadence).
    expect([60_000, 900_000]).toContain((await schedulerOf(fresh.id))?.every);
    await sidecar.container.checks.run(fresh.id, 'manual');
    await eventually(async () => (await schedulerOf(fresh.id))?.every === 900_000);
  });

  it('applies a valid change, records who changed what, and moves the schedule to the new interval', async () => {
    const res = await signed(sidecar.app, shop, 'PUT', settingsPath(shop.id), { threshold_peak: 4, check_interval_minutes: 5 }).set('X-Woom-Actor', 'admin@shop');
    expect(res.status).toBe(200);
    expect(res.body.settings).toMatchObject({ threshold_peak: 4, check_interval_minutes: 5 });
    expect(await currentSettings(shop)).toMatchObject({ threshold_peak: 4, check_interval_minutes: 5 });
    const history = await sidecar.db('settings_history').where({ store_id: shop.id }).orderBy('id', 'desc').first();
    expect(history.changed_by).toBe('admin@shop');
    expect(JSON.parse(history.old_value)).toMatchObject({ threshold_peak: 10, check_interval_minutes: 15 });
    expect(JSON.parse(history.new_value)).toMatchObject({ threshold_peak: 4, check_interval_minutes: 5 });
    expect((await schedulerOf(shop.id))?.every).toBe(5 * 60_000);
  });

  it('applies a change completely or not at all, naming each bad field', async () => {
    const before = await currentSettings(shop);
    const historyBefore = await sidecar.db('settings_history').where({ store_id: shop.id }).count({ n: '*' }).first();
    const res = await signed(sidecar.app, shop, 'PUT', settingsPath(shop.id), {
      threshold_peak: 7,
      peak_start: '25:00',
      alert_emails: ['nope'],
      timezone: 'Atlantis/Capital',
      check_interval_minutes: 0,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['alert_emails[0]', 'check_interval_minutes', 'peak_start', 'timezone']);
    expect(await currentSettings(shop)).toEqual(before);
    expect(await sidecar.db('settings_history').where({ store_id: shop.id }).count({ n: '*' }).first()).toEqual(historyBefore);
    expect((await schedulerOf(shop.id))?.every).toBe(5 * 60_000);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await signed(sidecar.app, shop, 'PUT', settingsPath(shop.id), 'threshold_peak=3');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('(body)');
  });

  it('removes the schedule when monitoring is disabled and restores it when enabled again', async () => {
    await signed(sidecar.app, other, 'PUT', settingsPath(other.id), { enabled: false }).expect(200);
    expect(await schedulerOf(other.id)).toBeUndefined();
    await signed(sidecar.app, other, 'PUT', settingsPath(other.id), { enabled: true }).expect(200);
    expect((await schedulerOf(other.id))?.every).toBe(15 * 60_000);
  });
});

describe('a store signature opens only that store', () => {
  it('refuses another store id in the path with 403 and changes nothing', async () => {
    const before = await currentSettings(other);
    expect((await signed(sidecar.app, shop, 'GET', settingsPath(other.id))).status).toBe(403);
    expect((await signed(sidecar.app, shop, 'PUT', settingsPath(other.id), { threshold_peak: 1 })).status).toBe(403);
    expect((await signed(sidecar.app, shop, 'POST', `/v1/stores/${other.id}/check`)).status).toBe(403);
    expect(await currentSettings(other)).toEqual(before);
  });

  it('binds method and path: a signature for GET does not open PUT', async () => {
    const headers = signedHeaders(shop, 'GET', settingsPath(shop.id), '');
    expect((await request(sidecar.app).get(settingsPath(shop.id)).set(headers)).status).toBe(200);
    const res = await request(sidecar.app).put(settingsPath(shop.id)).set(headers).send('');
    expect(res.status).toBe(401);
    const elsewhere = await request(sidecar.app).get(`/v1/stores/${shop.id}/alerts`).set(headers);
    expect(elsewhere.status).toBe(401);
  });

  it('never returns the store secret from any endpoint', async () => {
    for (const path of ['settings', 'status', 'alerts']) {
      const res = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/${path}`);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(shop.secret);
    }
    const page = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/pages/settings`);
    expect(page.text).not.toContain(shop.secret);
  });
});

describe('status, manual check and alerts', () => {
  it('runs a check now and answers both detectors in store terms', async () => {
    await signed(sidecar.app, other, 'POST', '/v1/events', {
      store: other.id,
      events: ['failed', 'failed', 'completed'].map((to, i) => orderEvent({ order_id: 500 + i, to })),
    }).expect(202);
    const res = await signed(sidecar.app, other, 'POST', `/v1/stores/${other.id}/check`);
    expect(res.status).toBe(200);
    expect(res.body.detectors.time_based.summary).toMatch(/^\d+ successful orders? in the last 15 min \((peak|off-peak) hours\)/);
    expect(res.body.detectors.rolling_average.summary).toBe('2 of the last 3 orders failed (66.7%), threshold 70%');
    expect(res.body.detectors.rolling_average).toMatchObject({ failed: 2, considered: 3, breached: false });
    // The owner's words, for the tab; the raw numbers above are the details.
    expect(res.body.message).toMatch(/^(\d+ paid orders? in the last 15 minutes \((peak|off-peak) hours\)|Paid orders per 15 minutes: no verdict yet)/);
    expect(res.body.message).toContain('2 of the last 3 orders failed (66.7%), below the 70% you set.');
    expect(res.body.message).not.toMatch(/breached|windowStart|failureSharePct|RAD|detector/);
  });

  it('reports each detector, the last order, the last check and the last contact', async () => {
    const res = await signed(sidecar.app, other, 'GET', `/v1/stores/${other.id}/status`);
    expect(res.status).toBe(200);
    expect(res.body.store).toEqual({ id: other.id, name: 'Other', url: 'https://other.example', timezone: 'UTC' });
    expect(res.body.detectors.rolling_average).toEqual({ state: 'ok', summary: '2 of the last 3 orders failed (66.7%), threshold 70%' });
    expect(res.body.detectors.time_based.state).toMatch(/^(ok|learning|alerting)$/);
    expect(res.body.last_order).toMatchObject({ order_id: expect.any(Number), status: expect.any(String) });
    expect(res.body.last_check).toMatchObject({ trigger: expect.any(String) });
    expect(new Date(res.body.last_contact_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('shows a detector the mode does not use as off', async () => {
    await signed(sidecar.app, other, 'PUT', settingsPath(other.id), { mode: 'rolling_average' }).expect(200);
    const res = await signed(sidecar.app, other, 'GET', `/v1/stores/${other.id}/status`);
    expect(res.body.detectors.time_based.state).toBe('off');
  });
});

describe('health', () => {
  it('healthz says the process is alive and readyz that MariaDB and Redis answer', async () => {
    expect((await request(sidecar.app).get('/healthz')).body).toEqual({ ok: true });
    expect((await request(sidecar.app).get('/readyz')).body).toEqual({ ok: true, checks: { database: true, redis: true } });
  });

  it('answers unknown endpoints with a JSON 404', async () => {
    const res = await request(sidecar.app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});
