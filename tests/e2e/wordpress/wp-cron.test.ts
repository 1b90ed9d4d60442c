/**
 * Without Action Scheduler the bridge falls back to WP-Cron: a real cron calling /wp-cron.php (what a
 * low-traffic store needs) delivers the events, and retries after the sidecar was away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { eventually, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

describe('WordPress -> sidecar on WP-Cron', () => {
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let store: { id: string; secret: string };

  const eventsOf = async (orderId: number) =>
    (await sidecar.db('order_events').where({ store_id: store.id, order_id: orderId }).orderBy('occurred_at')) as Array<{ type: string; to_status: string }>;

  beforeAll(async () => {
    sidecar = await startSidecar();
    store = await sidecar.addStore({ name: 'cron store', url: 'http://127.0.0.1/', timezone: 'UTC' });
    wp = await startWordPress({ actionScheduler: false, retryBaseSeconds: 1, retryMaxSeconds: 2 });
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await sidecar?.close();
  });

  it('uses WP-Cron when Action Scheduler is missing and delivers through /wp-cron.php', async () => {
    expect(await wp.php(`echo function_exists('as_enqueue_async_action') ? 'as' : 'cron';`)).toBe('cron');
    const [orderId] = await wp.createOrders({ status: 'processing' });
    const rows = await eventually('the order.created event', async () => {
      const found = await eventsOf(orderId!);
      return found.length > 0 ? found : undefined;
    }, { poke: () => wp.runWpCron(), intervalMs: 500 });
    expect(rows).toMatchObject([{ type: 'order.created', to_status: 'processing' }]);
  }, 60_000);

  it('keeps the events while the sidecar is down and sends them once after it is back', async () => {
    const [orderId] = await wp.createOrders({ status: 'pending' });
    await eventually('the created event', async () => ((await eventsOf(orderId!)).length === 1 ? true : undefined), { poke: () => wp.runWpCron(), intervalMs: 500 });

    await sidecar.stop();
    await wp.setOrderStatus(orderId!, 'failed');
    await wp.runWpCron();
    expect(await wp.outboxCounts()).toEqual({ pending: 1, dead: 0 });
    await sidecar.restart();

    const rows = await eventually('the status change after the restart', async () => {
      const found = await eventsOf(orderId!);
      return found.length === 2 ? found : undefined;
    }, { poke: () => wp.runWpCron(), intervalMs: 500, timeoutMs: 45_000 });
    expect(rows.map((r) => r.to_status)).toEqual(['pending', 'failed']);
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });
  }, 90_000);
});
