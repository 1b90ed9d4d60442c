/**
 * The sidecar is stopped while 50 orders change status in WordPress, then restarted: the bridge keeps
 * the events in its outbox, backs off, and after the restart every event arrives exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { eventually, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

const ORDERS = 50;

describe('WordPress -> sidecar: an outage of the sidecar', () => {
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let store: { id: string; secret: string };

  beforeAll(async () => {
    sidecar = await startSidecar();
    store = await sidecar.addStore({ name: 'outage store', url: 'http://127.0.0.1/', timezone: 'UTC' });
    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 3 });
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await sidecar?.close();
  });

  it('delivers every event exactly once after the sidecar comes back', async () => {
    const ids = await wp.createOrders({ status: 'pending', count: ORDERS });
    await eventually('the 50 order.created events', async () => {
      const [row] = await sidecar.db('order_events').where({ store_id: store.id, type: 'order.created' }).count({ n: '*' });
      return Number(row?.n) === ORDERS ? true : undefined;
    }, { poke: () => wp.runQueue(), timeoutMs: 60_000 });
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });

    const portBefore = sidecar.port;
    await sidecar.stop();
    for (const id of ids) {
      await wp.setOrderStatus(id, 'processing');
      if (id % 10 === 0) await wp.runQueue();
    }
    await wp.runQueue();

    // Nothing was lost or dead-lettered while the sidecar was away, and the bridge is backing off.
    expect(await wp.outboxCounts()).toEqual({ pending: ORDERS, dead: 0 });
    const delivery = JSON.parse(await wp.php(`echo wp_json_encode(get_option('woom_delivery'));`)) as { failures: number; last_error: string };
    expect(delivery.failures).toBeGreaterThan(0);
    expect(delivery.last_error).toMatch(/unreachable|refused|connect/i);
    const [during] = await sidecar.db('order_events').where({ store_id: store.id, type: 'order.status_changed' }).count({ n: '*' });
    expect(Number(during?.n)).toBe(0);

    await sidecar.restart();
    expect(sidecar.port).toBe(portBefore);

    await eventually('the outbox to drain', async () => {
      const counts = await wp.outboxCounts();
      return counts.pending === 0 ? counts : undefined;
    }, { poke: () => wp.runQueue(), timeoutMs: 60_000, intervalMs: 500 });

    const changes = (await sidecar.db('order_events')
      .where({ store_id: store.id, type: 'order.status_changed' })
      .select('id', 'order_id', 'from_status', 'to_status')) as Array<{ id: string; order_id: number; from_status: string; to_status: string }>;
    expect(changes).toHaveLength(ORDERS);
    expect(new Set(changes.map((c) => c.order_id))).toEqual(new Set(ids));
    expect(new Set(changes.map((c) => c.id)).size).toBe(ORDERS);
    for (const change of changes) expect(change).toMatchObject({ from_status: 'pending', to_status: 'processing' });

    const created = await sidecar.db('order_events').where({ store_id: store.id, type: 'order.created' }).count({ n: '*' });
    expect(Number(created[0]?.n)).toBe(ORDERS);
    const processing = await sidecar.db('orders').where({ store_id: store.id, status: 'processing' }).count({ n: '*' });
    expect(Number(processing[0]?.n)).toBe(ORDERS);
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });
  }, 180_000);

  it('keeps the events, rather than dead-lettering them, while the sidecar refuses the signature (401)', async () => {
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: 'the-wrong-secret-0000' });
    await wp.php(`update_option('woom_delivery', ['failures' => 0, 'retry_at' => 0]);`);
    const [orderId] = await wp.createOrders({ status: 'processing' });
    await eventually('a refused attempt', async () => {
      const delivery = JSON.parse(await wp.php(`echo wp_json_encode(get_option('woom_delivery'));`)) as { last_error: string };
      return /HTTP 401/.test(delivery.last_error) ? delivery : undefined;
    }, { poke: () => wp.runQueue() });
    expect(await wp.outboxCounts()).toEqual({ pending: 1, dead: 0 });

    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
    await eventually('the event after the secret was fixed', async () => {
      const rows = await sidecar.db('order_events').where({ store_id: store.id, order_id: orderId });
      return rows.length === 1 ? rows : undefined;
    }, { poke: () => wp.runQueue(), timeoutMs: 30_000, intervalMs: 500 });
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });
  }, 60_000);
});
