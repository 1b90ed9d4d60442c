import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;

beforeAll(async () => {
  sidecar = await startSidecar({ dailyFiguresEveryMs: 3_600_000 });
  shop = await sidecar.addStore({ name: 'Shop', url: 'https://shop.example', timezone: 'Europe/Berlin' });
});
afterAll(async () => sidecar?.close());

const insertOrder = (orderId: number, createdAt: string, status: string, total: number, createdVia = 'checkout', updatedAt = createdAt) =>
  sidecar.db('orders').insert({
    store_id: shop.id,
    order_id: orderId,
    status,
    total,
    currency: 'EUR',
    payment_method: 'stripe',
    created_via: createdVia,
    created_at: new Date(createdAt),
    status_changed_at: new Date(updatedAt),
    updated_at: new Date(updatedAt),
  });

describe('daily figures', () => {
  it('rolls up ended local days (zero days included), recomputes a day changed late, and serves them as JSON and CSV', async () => {
    await insertOrder(1, '2026-11-20T09:00:00Z', 'completed', 30);
    await insertOrder(2, '2026-11-20T22:59:00Z', 'completed', 10); // 23:59 in Berlin, still the 20th
    await insertOrder(3, '2026-11-20T23:01:00Z', 'failed', 10); // the 21st in Berlin
    await insertOrder(4, '2026-11-22T12:00:00Z', 'completed', 50, 'subscription');
    await insertOrder(5, '2026-11-23T07:00:00Z', 'completed', 70); // today: not rolled up yet
    const service = sidecar.container.dailyFiguresService;

    const first = await service.rollUp(shop.id, new Date('2026-11-23T08:00:00Z'));
    expect(first.days).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    // Run again at once: nothing is due and nothing changed.
    expect((await service.rollUp(shop.id, new Date('2026-11-23T08:05:00Z'))).days).toEqual([]);

    // A late status change on the 20th (a refund read back over REST) is noticed and the day recomputed.
    await sidecar.db('orders').where({ store_id: shop.id, order_id: 1 }).update({ status: 'refunded', updated_at: new Date('2026-11-23T08:06:00Z') });
    expect((await service.rollUp(shop.id, new Date('2026-11-23T08:10:00Z'))).days).toEqual(['2026-11-20']);

    const res = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/daily-figures?from=2026-11-19&to=2026-11-23`);
    expect(res.status).toBe(200);
    expect(res.body.days).toEqual([
      expect.objectContaining({ day: '2026-11-20', orders: 2, successful: 1, refunded: 1, revenue: 10, average_order_value: 10, customer_orders: 2 }),
      expect.objectContaining({ day: '2026-11-21', orders: 1, successful: 0, failed: 1, revenue: 0, average_order_value: null }),
      expect.objectContaining({ day: '2026-11-22', orders: 1, successful: 1, renewal_orders: 1, customer_orders: 0, revenue: 50 }),
    ]);

    const csv = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/daily-figures.csv?from=2026-11-19&to=2026-11-23`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('day,orders,successful,failed,cancelled,refunded,revenue,average_order_value,customer_orders,admin_orders,renewal_orders,currency');
    expect(lines[2]).toBe('2026-11-21,1,0,1,0,0,0,,1,0,0,EUR');
  });

  it('rolls up many stores in their own time zones in one run, and recomputes only the store whose past day changed', async () => {
    const auckland = await sidecar.addStore({ name: 'Auckland', url: 'https://nz.example', timezone: 'Pacific/Auckland' });
    const saoPaulo = await sidecar.addStore({ name: 'Sao Paulo', url: 'https://br.example', timezone: 'America/Sao_Paulo' });
    const put = (storeId: string, orderId: number, at: string, status: string, total: number) =>
      sidecar.db('orders').insert({ store_id: storeId, order_id: orderId, status, total, currency: 'NZD', created_via: 'checkout', created_at: new Date(at), status_changed_at: new Date(at), updated_at: new Date(at) });
    // 12:00 UTC on the 21st is 01:00 on the 22nd in Auckland (UTC+13) and 09:00 on the 21st in Sao Paulo (UTC-3).
    await put(auckland.id, 1, '2026-11-21T12:00:00Z', 'completed', 40);
    await put(auckland.id, 2, '2026-11-21T10:30:00Z', 'failed', 40); // 23:30 on the 21st in Auckland
    await put(saoPaulo.id, 1, '2026-11-21T12:00:00Z', 'completed', 15);
    await put(saoPaulo.id, 2, '2026-11-22T02:30:00Z', 'processing', 5); // 23:30 on the 21st in Sao Paulo
    const service = sidecar.container.dailyFiguresService;
    const days = (outcomes: Awaited<ReturnType<typeof service.rollUpAll>>, id: string) => outcomes.find((o) => o.storeId === id)?.days;

    // 08:00 UTC on the 23rd: 21:00 on the 23rd in Auckland, 05:00 on the 23rd in Sao Paulo.
    const first = await service.rollUpAll(new Date('2026-11-23T08:00:00Z'));
    expect(days(first, auckland.id)).toEqual(['2026-11-21', '2026-11-22']);
    expect(days(first, saoPaulo.id)).toEqual(['2026-11-21', '2026-11-22']);
    const nz = await sidecar.container.dailyFigures.list(auckland.id, '2026-11-20', '2026-11-23');
    expect(nz.map((d) => [d.day, d.orders, d.successful, d.failed, d.revenue])).toEqual([
      ['2026-11-21', 1, 0, 1, 0],
      ['2026-11-22', 1, 1, 0, 40],
    ]);
    const br = await sidecar.container.dailyFigures.list(saoPaulo.id, '2026-11-20', '2026-11-23');
    expect(br.map((d) => [d.day, d.orders, d.successful, d.revenue, d.averageOrderValue])).toEqual([
      ['2026-11-21', 2, 2, 20, 10],
      ['2026-11-22', 0, 0, 0, null],
    ]);

    // One late change in Sao Paulo: only that store's day is computed again.
    await sidecar.db('orders').where({ store_id: saoPaulo.id, order_id: 2 }).update({ status: 'failed', updated_at: new Date('2026-11-23T08:03:00Z') });
    const second = await service.rollUpAll(new Date('2026-11-23T08:05:00Z'));
    expect(days(second, saoPaulo.id)).toEqual(['2026-11-21']);
    expect(days(second, auckland.id)).toEqual([]);
    const again = await sidecar.container.dailyFigures.list(saoPaulo.id, '2026-11-21', '2026-11-21');
    expect(again.map((d) => [d.orders, d.successful, d.failed, d.revenue])).toEqual([[2, 1, 1, 15]]);
  });

  it('spreads a large first roll-up over runs, whole stores at a time, and loses no store\'s days', async () => {
    // Three stores with 5 days of history each, a run allowed 7 store-days: one store a run (a store's
    // days are never split), each run picks up where the last one stopped.
    const names = ['Cap A', 'Cap B', 'Cap C'];
    const stores: Array<Awaited<ReturnType<typeof sidecar.addStore>>> = [];
    for (const [i, name] of names.entries()) stores.push(await sidecar.addStore({ name, url: `https://cap${i}.example`, timezone: 'UTC' }));
    for (const store of stores) {
      for (let d = 0; d < 5; d += 1) {
        const at = new Date(Date.UTC(2026, 9, 10 + d, 12));
        await sidecar.db('orders').insert({ store_id: store.id, order_id: d + 1, status: 'completed', total: 10, currency: 'EUR', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at });
      }
    }
    const service = sidecar.container.dailyFiguresService;
    const now = new Date('2026-10-15T06:00:00Z');
    const ours = (outcomes: Awaited<ReturnType<typeof service.rollUpAll>>) =>
      stores.map((s) => outcomes.find((o) => o.storeId === s.id)?.days.length ?? 0);
    const runs: number[][] = [];
    for (let run = 0; run < 4; run += 1) runs.push(ours(await service.rollUpAll(now, 7)));
    // Other tests' stores may take a run's budget first; ours are done one whole store at a time.
    expect(runs.flat().filter((n) => n > 0)).toEqual([5, 5, 5]);
    expect(runs.every((r) => r.filter((n) => n > 0).length <= 1)).toBe(true);
    for (const store of stores) expect((await sidecar.container.dailyFigures.list(store.id, '2026-10-10', '2026-10-14')).map((d) => d.orders)).toEqual([1, 1, 1, 1, 1]);
  });

  it('answers a bad period with 400 naming the field', async () => {
    const res = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/daily-figures?from=2026-13-01&to=2026-11-23`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'from', message: 'must be a date as YYYY-MM-DD' }]);
    const reversed = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/daily-figures?from=2026-11-23&to=2026-11-01`);
    expect(reversed.body.errors[0].field).toBe('to');
  });
});
