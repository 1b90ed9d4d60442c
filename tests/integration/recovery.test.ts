import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';
import { startWooCommerceRest, type WooCommerceRestStandin } from '../helpers/woocommerce-rest';

let sidecar: SidecarHandle;
let rest: WooCommerceRestStandin;

beforeAll(async () => {
  rest = await startWooCommerceRest();
  sidecar = await startSidecar();
});
afterAll(async () => {
  await sidecar?.close();
  await rest?.close();
});

const daysAgo = (d: number, minutes = 0) => new Date(Date.now() - d * 86_400_000 - minutes * 60_000);
const ordersOf = (storeId: string) => sidecar.db('orders').where({ store_id: storeId }).orderBy('order_id');

async function storeWithCredentials(name: string, settings: Record<string, unknown> = { enabled: false }): Promise<StoreCredentials> {
  const store = await sidecar.addStore({ name, url: rest.url, timezone: 'UTC', settings });
  const res = await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/rest-credentials`, { consumer_key: rest.consumerKey, consumer_secret: rest.consumerSecret });
  expect(res.status).toBe(200);
  return store;
}


describe('recovering orders over the WooCommerce REST API', () => {
  it('backfills the last 8 weeks on registration, paging through X-WP-TotalPages, through the official client', async () => {
    rest.orders.length = 0;
    for (let i = 0; i < 250; i += 1) rest.addOrder({ created: daysAgo(50, i * 7), status: i % 10 === 0 ? 'failed' : 'completed' });
    rest.addOrder({ created: daysAgo(70), status: 'completed' }); // older than 8 weeks: not read back
    const store = await storeWithCredentials('Backfill');
    await eventually(async () => (await ordersOf(store.id)).length === 250);
    const orders = await ordersOf(store.id);
    expect(orders.filter((o: { status: string }) => o.status === 'failed')).toHaveLength(25);
    expect(rest.requests.length).toBeGreaterThanOrEqual(3);
    expect(rest.requests.every((q) => q.get('per_page') === '100' && q.get('dates_are_gmt') === 'true' && q.has('modified_after'))).toBe(true);
    const status = (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body;
    expect(status.rest_recovery).toMatchObject({ configured: true, last_error: null });
    // Recovered orders say what WOOM has seen, not that WordPress talked to it.
    expect(status.last_contact_at).toBeNull();
  });

  it('recovers orders the bridge never delivered before the next check, and counts each order once', async () => {
    rest.orders.length = 0;
    rest.requests.length = 0;
    const store = await storeWithCredentials('Lossy', { enabled: true, mode: 'time_based', threshold_peak: 3, threshold_off_peak: 3 });
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    // Three paid orders in the last minutes; the bridge delivered only the first one.
    const created = [daysAgo(0, 6), daysAgo(0, 4), daysAgo(0, 2)].map((at) => rest.addOrder({ created: new Date(Math.floor(at.getTime() / 1000) * 1000), status: 'processing' }));
    const first = created[0]!;
    await signed(sidecar.app, store, 'POST', '/v1/events', {
      store: store.id,
      events: [
        { id: crypto.randomUUID(), type: 'heartbeat', occurred_at: daysAgo(0, 20).toISOString() },
        orderEvent({ order_id: first.id, to: 'processing', created_at: first.created.toISOString(), occurred_at: new Date(first.created.getTime() + 400).toISOString() }),
      ],
    }).expect(202);
    const check = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/check`);
    expect(check.body.detectors.time_based).toMatchObject({ successful: 3, threshold: 3, breached: false });
    expect(await ordersOf(store.id)).toHaveLength(3);
    expect(await sidecar.db('alerts').where({ store_id: store.id })).toHaveLength(0);
    // Reading the same orders again stores nothing new.
    const before = await sidecar.db('order_events').where({ store_id: store.id }).count({ n: '*' }).first();
    await sidecar.container.recovery.recover(store.id);
    expect(await sidecar.db('order_events').where({ store_id: store.id }).count({ n: '*' }).first()).toEqual(before);
  });

  it('counts as recovered only what the bridge never delivered: no second order.created, a missed change from the status held', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Both paths');
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    const whole = (at: Date) => new Date(Math.floor(at.getTime() / 1000) * 1000);
    const delivered = rest.addOrder({ created: whole(daysAgo(0, 9)), status: 'processing' });
    const missedChange = rest.addOrder({ created: whole(daysAgo(0, 8)), status: 'pending' });
    const neverDelivered = rest.addOrder({ created: whole(daysAgo(0, 7)), status: 'processing' });
    await signed(sidecar.app, store, 'POST', '/v1/events', {
      store: store.id,
      events: [
        orderEvent({ order_id: delivered.id, to: 'processing', created_at: delivered.created.toISOString(), occurred_at: delivered.created.toISOString() }),
        orderEvent({ order_id: missedChange.id, to: 'pending', created_at: missedChange.created.toISOString(), occurred_at: missedChange.created.toISOString() }),
      ],
    }).expect(202);
    // The gateway declined later; the bridge's event for it never came.
    rest.setStatus(missedChange.id, 'failed', whole(daysAgo(0, 5)));
    const metric = async () => {
      const text = (await request(sidecar.app).get('/metrics')).text;
      return Number(new RegExp(`woom_events_ingested_total\\{store="${store.id}",result="recovered"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    };
    const outcome = await sidecar.container.recovery.recover(store.id);
    expect(outcome).toMatchObject({ error: null, accepted: 2 });
    expect(await metric()).toBe(2);
    const events = await sidecar.db('order_events').where({ store_id: store.id }).orderBy('occurred_at');
    const of = (id: number) => events.filter((e: { order_id: number }) => Number(e.order_id) === id).map((e: { type: string; from_status: string | null; to_status: string; origin: string }) => [e.type, e.from_status, e.to_status, e.origin]);
    expect(of(delivered.id)).toEqual([['order.created', null, 'processing', 'bridge']]);
    expect(of(missedChange.id)).toEqual([['order.created', null, 'pending', 'bridge'], ['order.status_changed', 'pending', 'failed', 'rest']]);
    expect(of(neverDelivered.id)).toEqual([['order.created', null, 'processing', 'rest']]);
    expect((await ordersOf(store.id)).map((o: { status: string }) => o.status)).toEqual(['processing', 'failed', 'processing']);
    // The bridge's late event for the order REST already recovered: the export lists that change once.
    await signed(sidecar.app, store, 'POST', '/v1/events', {
      store: store.id,
      events: [orderEvent({ order_id: neverDelivered.id, to: 'processing', created_at: neverDelivered.created.toISOString(), occurred_at: new Date(neverDelivered.created.getTime() + 1000).toISOString() })],
    }).expect(202);
    const from = daysAgo(1).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const csv = await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/pages/export/events.csv?from=${from}&to=${to}`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toContain(',origin');
    const listed = lines.slice(1).filter((l) => l.includes(`,${neverDelivered.id},`));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(/,rest$/);
    expect(lines.slice(1).filter((l) => l.includes(`,${missedChange.id},`))).toHaveLength(2);
    // Reading everything again finds nothing new and counts nothing.
    expect((await sidecar.container.recovery.recover(store.id))?.accepted).toBe(0);
    expect(await metric()).toBe(2);
  });

  it('reads back an order whose save committed after a newer one was read (stamped earlier, visible later)', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Slow save', { enabled: true });
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    const whole = (at: Date) => new Date(Math.floor(at.getTime() / 1000) * 1000);
    const quick = rest.addOrder({ created: whole(daysAgo(0, 1)), status: 'processing' });
    await sidecar.container.recovery.recover(store.id);
    expect((await ordersOf(store.id)).map((o: { order_id: number }) => o.order_id)).toEqual([quick.id]);
    // An order whose save began 20 s before the one just read, and committed only now.
    const slow = rest.addOrder({ created: new Date(quick.created.getTime() - 20_000), status: 'processing' });
    await sidecar.container.recovery.recover(store.id);
    expect((await ordersOf(store.id)).map((o: { order_id: number }) => o.order_id).sort()).toEqual([quick.id, slow.id].sort());
  });

  it('never lets a recovered order undo a newer status the bridge sent', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Racy');
    const order = rest.addOrder({ created: new Date(Math.floor(daysAgo(0, 30).getTime() / 1000) * 1000), status: 'pending' });
    await signed(sidecar.app, store, 'POST', '/v1/events', {
      store: store.id,
      events: [orderEvent({ order_id: order.id, type: 'order.status_changed', from: 'pending', to: 'failed', created_at: order.created.toISOString(), occurred_at: daysAgo(0, 1).toISOString() })],
    }).expect(202);
    await sidecar.container.recovery.recover(store.id);
    expect((await ordersOf(store.id))[0]).toMatchObject({ order_id: order.id, status: 'failed' });
  });

  it('does not lose an order when the pages shift because an order is modified while they are read', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Shifty');
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    const base = Math.floor(daysAgo(0, 300).getTime() / 1000) * 1000;
    for (let i = 0; i < 230; i += 1) rest.addOrder({ created: new Date(base + i * 60_000), status: 'completed' });
    let modifiedOnce = false;
    rest.beforeAnswer = () => {
      // Between the first and the second request, the oldest order is refunded: it moves to the end.
      if (rest.requests.length >= 2 && !modifiedOnce) {
        modifiedOnce = true;
        rest.setStatus(rest.orders[0]!.id, 'refunded');
      }
    };
    try {
      await sidecar.container.recovery.recover(store.id);
    } finally {
      rest.beforeAnswer = null;
    }
    expect(modifiedOnce).toBe(true);
    const orders = await ordersOf(store.id);
    expect(orders).toHaveLength(230);
    expect(orders.find((o: { order_id: number }) => o.order_id === rest.orders[0]!.id)?.status).toBe('refunded');
  });

  it('reports REST errors in the status, keeps what it read, invents nothing, and catches up on the next run', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Flaky');
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    const base = Math.floor(daysAgo(0, 200).getTime() / 1000) * 1000;
    for (let i = 0; i < 150; i += 1) rest.addOrder({ created: new Date(base + i * 60_000) });

    for (const [how, expected] of [[500, /answered 500/], ['timeout', /did not answer/]] as const) {
      rest.failNext(1, how);
      const outcome = await sidecar.container.recovery.recover(store.id);
      expect(outcome?.error).toMatch(expected);
      const status = (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body;
      expect(status.rest_recovery.last_error).toMatch(expected);
    }
    // A check still runs while the store cannot be read.
    rest.failNext(1, 500);
    const check = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/check`);
    expect(check.status).toBe(200);
    expect(check.body.detectors.failure_rate).toBeDefined();

    const outcome = await sidecar.container.recovery.recover(store.id);
    expect(outcome?.error).toBeNull();
    expect(await ordersOf(store.id)).toHaveLength(150);
    const status = (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body;
    expect(status.rest_recovery.last_error).toBeNull();
  });

  it('says so when the credentials are refused (401), and stores nothing', async () => {
    rest.orders.length = 0;
    rest.addOrder({ created: daysAgo(1) });
    const store = await sidecar.addStore({ name: 'Wrongkey', url: rest.url, timezone: 'UTC', settings: { enabled: false } });
    await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/rest-credentials`, { consumer_key: rest.consumerKey, consumer_secret: 'cs_wrongwrongwrong' }).expect(200);
    const outcome = await sidecar.container.recovery.recover(store.id);
    expect(outcome?.error).toMatch(/answered 401.*consumer key and secret/);
    expect(await ordersOf(store.id)).toHaveLength(0);
  });

  it('records a malformed answer (not a list, an HTML page, entries that are not orders) as an error and invents no order', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Garbled');
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    const before = await sidecar.db('store_rest_sync').where({ store_id: store.id }).first();
    for (const how of ['not_a_list', 'html', 'bad_entries'] as const) {
      rest.failNext(1, how);
      const outcome = await sidecar.container.recovery.recover(store.id);
      expect(outcome?.error, how).toBeTruthy();
      expect((await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body.rest_recovery.last_error, how).toBe(outcome?.error);
      expect(await ordersOf(store.id)).toHaveLength(0);
      expect(await sidecar.db('order_events').where({ store_id: store.id })).toHaveLength(0);
    }
    // Nothing was read, so the next run asks from where the last good one got to.
    expect((await sidecar.db('store_rest_sync').where({ store_id: store.id }).first()).synced_until).toEqual(before.synced_until);
    const order = rest.addOrder({ created: new Date(Math.floor(daysAgo(0, 3).getTime() / 1000) * 1000) });
    expect((await sidecar.container.recovery.recover(store.id))?.error).toBeNull();
    expect((await ordersOf(store.id)).map((o: { order_id: number }) => o.order_id)).toEqual([order.id]);
    // Counted beside the bridge's events: one order the bridge had not delivered.
    const metrics = (await request(sidecar.app).get('/metrics')).text;
    expect(metrics).toContain(`woom_events_ingested_total{store="${store.id}",result="recovered"} 1\n`);
  });

  it('the scheduled check reads missed orders back before it judges them', async () => {
    rest.orders.length = 0;
    const store = await storeWithCredentials('Scheduled', { enabled: true, mode: 'time_based', check_interval_minutes: 1440, threshold_peak: 1, threshold_off_peak: 1 });
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    // Let the check the new schedule runs at once pass first: the one below is the test's.
    await eventually(async () => !(await sidecar.container.checkQueue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).some((j) => j.data.storeId === store.id && j.name !== 'check'));
    await eventually(async () => !(await sidecar.container.checkQueue.getJobs(['waiting', 'active', 'prioritized'])).some((j) => j.data.storeId === store.id));
    const order = rest.addOrder({ created: new Date(Math.floor(daysAgo(0, 2).getTime() / 1000) * 1000), status: 'processing' });
    // The very job the schedule adds, through the real worker.
    const job = await sidecar.container.checkQueue.add('check', { storeId: store.id, trigger: 'schedule' });
    await eventually(async () => (await job.getState()) === 'completed');
    expect((await ordersOf(store.id)).map((o: { order_id: number }) => o.order_id)).toEqual([order.id]);
    const run = await sidecar.db('check_runs').where({ store_id: store.id, trigger: 'schedule' }).orderBy('id', 'desc').first();
    expect(JSON.parse(run.results)[0]).toMatchObject({ detector: 'time_based', successful: 1, breached: false });
  });

  it('reads back, when the sidecar starts, what was modified while it was down', async () => {
    rest.orders.length = 0;
    // Monitoring off: no schedule, so only the start itself can read the orders back.
    const store = await storeWithCredentials('Restarted', { enabled: false });
    await eventually(async () => (await sidecar.db('store_rest_sync').where({ store_id: store.id }).first())?.last_success_at);
    await sidecar.stop();
    const order = rest.addOrder({ created: new Date(Math.floor(daysAgo(0, 1).getTime() / 1000) * 1000) });
    await sidecar.restart();
    // The start's read-back runs beside the schedules' rebuild; on a loaded machine it takes a while.
    await eventually(async () => (await ordersOf(store.id)).length === 1, 60_000);
    expect((await ordersOf(store.id))[0]).toMatchObject({ order_id: order.id });
  });

  it('refuses malformed credentials, naming the field, and never returns them', async () => {
    const store = await sidecar.addStore({ name: 'Badkey', url: rest.url, timezone: 'UTC' });
    const res = await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/rest-credentials`, { consumer_key: 'hello', consumer_secret: rest.consumerSecret });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['consumer_key']);
    expect(await sidecar.db('store_rest_credentials').where({ store_id: store.id }).first()).toBeUndefined();
    await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/rest-credentials`, { consumer_key: rest.consumerKey, consumer_secret: rest.consumerSecret }).expect(200);
    for (const path of ['settings', 'status']) {
      const body = JSON.stringify((await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/${path}`)).body);
      expect(body).not.toContain(rest.consumerSecret);
    }
  });
});
