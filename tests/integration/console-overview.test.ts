import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate, zonedToUtc } from '../../sidecar/src/domain/time';
import { eventually } from '../helpers/eventually';
import { orderEvent, signed } from '../helpers/signing';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';

const HOUR = 3_600_000;
const DAY = 86_400_000;
let sidecar: SidecarHandle;

beforeAll(async () => {
  sidecar = await startSidecar();
});
afterAll(async () => {
  await sidecar?.close();
});

/**
 * Eight days of orders at uneven minutes (one every 37 minutes, a few failed, some admin orders that are
 * not customers' and never count), written straight into `orders` with the store registered before them,
 * then the roll-ups rebuilt, as the test lessons ask.
 */
async function storeWithHistory(name: string, timezone: string, now: number) {
  const store = await sidecar.addStore({ name, url: `https://${name.toLowerCase().replace(/\W/g, '')}.example`, timezone });
  await sidecar.db('stores').where({ id: store.id }).update({ created_at: new Date(now - 30 * DAY), last_contact_at: new Date(now - 60_000) });
  const times: number[] = [];
  const rows = [];
  let orderId = 0;
  for (let t = now - 8 * DAY + 11 * 60_000; t < now; t += 37 * 60_000) {
    orderId += 1;
    const admin = orderId % 11 === 0;
    if (!admin) times.push(t);
    rows.push({ store_id: store.id, order_id: orderId, status: orderId % 5 === 0 ? 'failed' : 'completed', total: 20, created_via: admin ? 'admin' : 'checkout', created_at: new Date(t), status_changed_at: new Date(t), updated_at: new Date(t) });
  }
  for (let i = 0; i < rows.length; i += 500) await sidecar.db('orders').insert(rows.slice(i, i + 500));
  await sidecar.container.rollups.rebuild(store.id);
  return { store, times };
}

const countIn = (times: number[], from: number, to: number) => times.filter((t) => t >= from && t < to).length;

describe('overview figures from the hourly roll-ups', () => {
  it('orders today, the usual by now and the last 24 hours match a count of the orders, in whole-hour and half-hour zones', async () => {
    const now = Date.now();
    for (const timezone of ['Europe/Berlin', 'Asia/Kolkata']) {
      const { store, times } = await storeWithHistory(`Figures ${timezone}`, timezone, now);
      const [row] = await sidecar.container.overview.rows([(await sidecar.container.stores.find(store.id))!], new Date(now));
      const midnight = zonedToUtc(`${localDate(new Date(now), timezone)} 00:00`, timezone)!.getTime();
      expect(row!.orders_today, timezone).toBe(countIn(times, midnight, now));
      // The usual: the same stretch of the 7 days before, averaged; this hour of each of those days counts
      // for the share of the hour gone by, so the figure may differ from an exact count by that hour's orders.
      let exact = 0;
      let edge = 0;
      for (let i = 1; i <= 7; i += 1) {
        exact += countIn(times, midnight - i * DAY, now - i * DAY);
        const hourStart = Math.floor(now / HOUR) * HOUR - i * DAY;
        edge += countIn(times, hourStart, hourStart + HOUR);
      }
      expect(Math.abs(row!.usual_by_now - exact / 7), timezone).toBeLessThanOrEqual(edge / 7 + 0.05);
      expect(row!.usual_by_now).toBeGreaterThan(0);
      const firstHour = Math.floor(now / HOUR) - 23;
      expect(row!.hourly_orders, timezone).toEqual(Array.from({ length: 24 }, (_, i) => countIn(times, (firstHour + i) * HOUR, (firstHour + i + 1) * HOUR)));
      expect(row!.last_order_at).toBe(new Date(Math.max(...times)).toISOString());
    }
  });

  it('a 1,000-store overview answers every store (IN lists are sliced under MariaDB’s 1,000-value conversion)', async () => {
    const ids = (await sidecar.container.stores.list()).map((s) => s.id);
    const stores = await sidecar.container.stores.list();
    // The same stores repeated: the slicing, not the data, is under test.
    const many = Array.from({ length: 1_000 }, (_, i) => stores[i % stores.length]!);
    const rows = await sidecar.container.overview.rows(many);
    expect(rows).toHaveLength(1_000);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
  });

  it('a kept figure gives way to the live event of a new order: the API shows it without waiting', async () => {
    const store = await sidecar.addStore({ name: 'Kept Shop', url: 'https://kept.example', timezone: 'UTC' });
    const token = (await sidecar.container.apiTokens.create({ name: 'figures', scope: 'read', createdBy: 'test' })).token;
    const read = async () => (await request(sidecar.app).get(`/api/v1/stores/${store.id}`).set('Authorization', `Bearer ${token}`).expect(200)).body.store;
    expect((await read()).orders_today).toBe(0);
    await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: [orderEvent({ to: 'processing' }), orderEvent({ to: 'completed' })] }).expect(202);
    // Well inside the 60 s a figure is otherwise kept: the event (through Redis) drops it.
    const row = await eventually(async () => {
      const r = await read();
      return r.orders_today === 2 ? r : null;
    }, 10_000);
    expect(row.last_order_at).not.toBeNull();
    expect(row.hourly_orders[23]).toBe(2);
  });
});
