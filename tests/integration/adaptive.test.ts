import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedBetween } from '../../sidecar/src/domain/baseline';
import { minimumStopDetectionMinutes, volumeCadenceMinutes } from '../../sidecar/src/domain/cadence';
import { ReplayStream, type ReplayOrder } from '../../sidecar/src/domain/replay';
import { SilenceCalibrationCache } from '../../sidecar/src/services/silence-calibration';
import { CalibrationRepository } from '../../sidecar/src/store/calibrations';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';

let sidecar: SidecarHandle;

beforeAll(async () => {
  // Adaptive mode is scheduled every minute: a "minute" of a day here keeps the store's own scheduled
  // checks out of the way, and the test runs its checks itself at the instants it chooses.
  sidecar = await startSidecar({ minuteMs: 86_400_000 });
});
afterAll(async () => {
  await sidecar?.close();
});

const MIN = 60_000;

describe('adaptive mode, live: the check service reads MariaDB and asks the same functions the backtest replays', () => {
  it('alerts on a silence the store history makes unlikely, ignores admin orders, and resolves with what was missed', async () => {
    const shop = await sidecar.addStore({
      name: 'Adaptiveshop',
      url: 'https://adaptiveshop.example',
      timezone: 'Europe/Berlin',
      settings: { mode: 'adaptive', check_interval_minutes: 1440, alert_emails: ['owner@shop.example'] },
    });
    const now = new Date(Math.floor(Date.now() / MIN) * MIN);
    const silentSince = now.getTime() - 40 * MIN;
    const historyStart = now.getTime() - 35 * 86_400_000;
    // 35 days of 40 successful orders an hour, every hour; then 40 minutes with only an admin's order.
    const rows: Array<Record<string, unknown>> = [];
    let id = 0;
    for (let t = historyStart; t < silentSince; t += 90_000) {
      const at = new Date(t);
      rows.push({ store_id: shop.id, order_id: ++id, status: 'processing', total: 30 + (id % 20), payment_method: 'stripe', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at });
    }
    const adminAt = new Date(now.getTime() - 5 * MIN);
    rows.push({ store_id: shop.id, order_id: ++id, status: 'completed', total: 10, created_via: 'admin', created_at: adminAt, status_changed_at: adminAt, updated_at: adminAt });
    for (let i = 0; i < rows.length; i += 2000) await sidecar.db('orders').insert(rows.slice(i, i + 2000));
    // Watched all along: what happened since registration is news (older orders would only be baseline).
    await sidecar.db('stores').where({ id: shop.id }).update({ first_contact_at: new Date(historyStart), created_at: new Date(historyStart) });
    // Written straight into the table, not through the ingest: the hourly roll-ups are counted once here.
    await sidecar.container.rollups.rebuild(shop.id);

    const outcome = await sidecar.container.checks.run(shop.id, 'manual', now);
    const flow = outcome?.evaluations.find((r) => r.detector === 'order_flow');
    expect(flow).toMatchObject({ breached: true, learning: false, came: 0 });
    expect(flow?.summary).toMatch(/no successful order for 4\d min: about 2\d(\.\d)? were expected, 0 came/);
    // The mode's two tests, and the renewals check every store has (on by default, quiet without renewals).
    expect(outcome?.evaluations.map((r) => r.detector).sort()).toEqual(['failure_rate', 'order_flow', 'renewals']);
    const alert = await sidecar.db('alerts').where({ store_id: shop.id, state: 'open' }).first();
    expect(alert.detector).toBe('order_flow');
    const sent = await sidecar.db('notifications').where({ store_id: shop.id, kind: 'alert' }).first();
    const content = JSON.parse(sent.content);
    expect(content.headline).toMatch(/^No orders where about \d+ were expected$/);
    expect(content.findings[0].numbers['successful orders that came']).toBe(0);

    // Orders come back at the usual pace.
    const back = Array.from({ length: 8 }, (_, i) => new Date(now.getTime() + MIN + i * 90_000));
    await sidecar.db('orders').insert(
      back.map((at) => ({ store_id: shop.id, order_id: ++id, status: 'processing', total: 40, payment_method: 'stripe', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at })),
    );
    await sidecar.container.rollups.rebuild(shop.id);
    const later = new Date(now.getTime() + 12 * MIN);
    const recovered = await sidecar.container.checks.run(shop.id, 'manual', later);
    expect(recovered?.decision.action).toBe('resolve');
    const resolved = await sidecar.db('notifications').where({ store_id: shop.id, kind: 'resolved' }).first();
    const resolvedContent = JSON.parse(resolved.content);
    const impact = resolvedContent.impact;
    // The problem lasted from the last successful order (about 53 minutes), not from the alert (12 minutes).
    expect(resolvedContent.startedAt).toBe(impact.startedAt);
    expect(resolvedContent.duration).toMatch(/^5\d min$/);
    // About 53 minutes from the last successful order at about 40 an hour (the baseline has learnt
    // the silent hour too): 30 or so expected, 8 came.
    expect(impact.came).toBe(8);
    expect(impact.missedOrders).toBeGreaterThanOrEqual(18);
    expect(impact.missedOrders).toBeLessThanOrEqual(30);
    expect(Number(impact.missedRevenue)).toBeGreaterThan(0);
  });
});

describe('old news is not news, live', () => {
  it('a store registered today is not alerted on failures a backfill brings from days before', async () => {
    const shop = await sidecar.addStore({ name: 'Backfilled shop', url: 'https://backfilled.example', timezone: 'UTC', settings: { mode: 'adaptive' } });
    const now = new Date(Math.floor(Date.now() / MIN) * MIN);
    const historyStart = now.getTime() - 30 * 86_400_000;
    const failingAt = now.getTime() - 5 * 86_400_000;
    // 25 days of an order an hour, then 6 failed orders in a row and nothing since: what REST backfill brings.
    const rows: Array<Record<string, unknown>> = [];
    let id = 0;
    for (let t = historyStart; t < failingAt; t += 3_600_000) {
      const at = new Date(t);
      rows.push({ store_id: shop.id, order_id: ++id, status: 'completed', total: 20 + (id % 9), payment_method: 'stripe', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at });
    }
    for (let k = 0; k < 6; k++) {
      const at = new Date(failingAt + k * 5 * MIN);
      rows.push({ store_id: shop.id, order_id: ++id, status: 'failed', total: 30 + k, payment_method: 'stripe', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at });
    }
    await sidecar.db('orders').insert(rows);
    await sidecar.db('stores').where({ id: shop.id }).update({ first_contact_at: new Date(historyStart) });

    const first = await sidecar.container.checks.run(shop.id, 'manual', now);
    expect(first?.evaluations.find((r) => r.detector === 'failure_rate')).toMatchObject({ breached: false });
    expect(first?.evaluations.find((r) => r.detector === 'order_flow')).toMatchObject({ breached: false });
    expect(first?.decision.action).not.toBe('open');

    // The same orders for a store watched all along are news: the failures alert.
    await sidecar.db('stores').where({ id: shop.id }).update({ created_at: new Date(historyStart) });
    const watched = await sidecar.container.checks.run(shop.id, 'manual', new Date(now.getTime() + MIN));
    expect(watched?.evaluations.find((r) => r.detector === 'failure_rate')).toMatchObject({ breached: true });
  });
});

describe('adaptive history, live and replayed', () => {
  it('counts the same orders per hour from MariaDB as the backtest does from a file, retried carts included', async () => {
    const store = await sidecar.addStore({ name: 'Retry shop', url: 'https://retry.example', timezone: 'UTC' });
    const settings = (await sidecar.container.settings.get(store.id))!;
    const now = new Date('2026-11-20T12:00:00Z');
    const start = now.getTime() - 30 * 3_600_000;
    // A seeded mix: declines, declines tried again (same total and method, 1-12 minutes later: the
    // window is 10), admin orders, orders without a total or a payment method, two at one instant.
    let seed = 7;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const orders: ReplayOrder[] = [];
    for (let id = 1; id <= 600; id += 1) {
      const createdAt = new Date(start + Math.floor(rand() * 29 * 60) * MIN);
      const failed = rand() < 0.25;
      const total = rand() < 0.1 ? null : Math.round(rand() * 5) * 10 + 10;
      const paymentMethod = rand() < 0.1 ? null : rand() < 0.6 ? 'stripe' : 'paypal';
      const createdVia = rand() < 0.1 ? 'admin' : 'checkout';
      orders.push({ orderId: id, status: failed ? 'failed' : 'processing', createdAt, total, paymentMethod, createdVia });
      if (failed && rand() < 0.6) {
        const again = new Date(createdAt.getTime() + Math.floor(1 + rand() * 12) * MIN);
        orders.push({ orderId: (id += 1), status: rand() < 0.5 ? 'failed' : 'completed', createdAt: again, total, paymentMethod, createdVia });
      }
    }
    orders.push({ ...orders[0]!, orderId: 10_000, createdAt: orders[0]!.createdAt });
    await sidecar.db('orders').insert(
      orders.map((o) => ({
        store_id: store.id,
        order_id: o.orderId,
        status: o.status,
        total: o.total,
        payment_method: o.paymentMethod,
        created_via: o.createdVia,
        created_at: o.createdAt,
        status_changed_at: o.createdAt,
        updated_at: o.createdAt,
      })),
    );
    await sidecar.container.rollups.rebuild(store.id);

    const live = (await sidecar.container.orders.adaptiveFacts(store.id, settings.success_statuses, settings.failure_statuses, now)).hourly;
    const sorted = [...orders].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const stream = new ReplayStream(sorted, settings, null);
    const replayed = stream.hourlyHistory();
    const byHour = (h: typeof live) => {
      const out: Record<number, string> = {};
      for (let i = 0; i < h.success.length; i += 1) {
        const counts = [h.success[i], h.failure[i], h.retriedFailure?.[i] ?? 0].map(Number);
        if (counts.some((c) => c > 0) && h.firstHour + i < Math.floor(now.getTime() / 3_600_000)) out[h.firstHour + i] = counts.join('/');
      }
      return out;
    };
    const retried = Object.values(byHour(live)).reduce((sum, c) => sum + Number(c.split('/')[2]), 0);
    expect(retried).toBeGreaterThan(20);
    expect(byHour(live)).toEqual(byHour(replayed));
  });
  it('calibrates the silence limit on the same eight weeks from MariaDB as the backtest does from a file', async () => {
    const store = await sidecar.addStore({ name: 'Calibrated shop', url: 'https://calibrated.example', timezone: 'UTC', settings: { mode: 'adaptive' } });
    const settings = (await sidecar.container.settings.get(store.id))!;
    const now = new Date('2026-10-20T12:30:00Z');
    const start = now.getTime() - 21 * 86_400_000;
    // Three weeks of a seeded Poisson store, 12 successful orders an hour, and a few admin orders and declines.
    let seed = 11;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const orders: ReplayOrder[] = [];
    for (let t = start, id = 1; t < now.getTime(); t += (-Math.log(1 - rand()) / 12) * 3_600_000, id += 1) {
      const u = rand();
      orders.push({ orderId: id, status: u < 0.03 ? 'failed' : 'processing', createdAt: new Date(Math.round(t)), createdVia: u > 0.97 ? 'admin' : 'checkout' });
    }
    for (let i = 0; i < orders.length; i += 2000) {
      await sidecar.db('orders').insert(
        orders.slice(i, i + 2000).map((o) => ({ store_id: store.id, order_id: o.orderId, status: o.status, created_via: o.createdVia, created_at: o.createdAt, status_changed_at: o.createdAt, updated_at: o.createdAt })),
      );
    }
    // Watched all along: the store's history began when it was registered.
    await sidecar.db('stores').where({ id: store.id }).update({ first_contact_at: new Date(start), created_at: new Date(start) });
    await sidecar.container.rollups.rebuild(store.id);
    const record = (await sidecar.container.stores.find(store.id))!;

    const baseline = await sidecar.container.checks.baselines.get(record, settings, now);
    const live = await sidecar.container.checks.calibrations.get(record, settings, baseline, now);
    const every = volumeCadenceMinutes(settings, minimumStopDetectionMinutes(baseline));
    const replayed = new ReplayStream(orders, settings, new Date(start), new Date(start), every).silenceCalibration(now);
    expect(live.calibrated).toBe(true);
    expect(live.gaps).toBeGreaterThan(5000);
    expect(live).toEqual(replayed);

    // A restart or a second sidecar finds the day's calibration in MariaDB and reads no orders for it.
    const restarted = new SilenceCalibrationCache(sidecar.container.orders, new CalibrationRepository(sidecar.db));
    expect(await restarted.get(record, settings, baseline, now)).toEqual(live);
    expect(restarted.computeCount).toBe(0);
    // The store's next calibration day computes it afresh.
    await restarted.get(record, settings, baseline, new Date(now.getTime() + 86_400_000));
    expect(restarted.computeCount).toBe(1);
    // A schedule that still follows a slower cadence (a volume near the edge of two) is calibrated for the
    // checks it makes, not for those the newest baseline alone would give.
    const slower = await restarted.get(record, settings, baseline, now, 400);
    expect(slower.checkEveryMinutes).toBe(volumeCadenceMinutes(settings, 400));
    expect(slower.checkEveryMinutes).not.toBe(every);

    // Five hours later with no order since: live and replay judge the silence alike, by the baseline from
    // before it (the hourly one of then has learnt four silent hours, 48 orders fewer in them).
    const later = new Date(now.getTime() + 5 * 3_600_000);
    const [liveFlow] = await sidecar.container.checks.evaluate(record, settings, later, ['order_flow']);
    const [replayedFlow] = new ReplayStream(orders, settings, new Date(start), new Date(start), every).evaluate(later, ['order_flow']);
    expect(liveFlow).toMatchObject({ detector: 'order_flow', breached: true, kind: 'stop' });
    expect(liveFlow).toMatchObject({ expected: (replayedFlow as { expected: number }).expected, probability: (replayedFlow as { probability: number }).probability });
    const learnt = await sidecar.container.checks.baselines.get(record, settings, later);
    const lastOrder = orders.filter((o) => o.createdVia === 'checkout' && o.status === 'processing').at(-1)!.createdAt;
    expect((liveFlow as { expected: number }).expected).toBeGreaterThan(expectedBetween(learnt, lastOrder, later) + 1);
  });
});
