/**
 * Events lost between WordPress and the sidecar are read back over the real WooCommerce's REST API
 * (`wc/v3/orders`, through the official client, OAuth 1.0a over plain HTTP) with read-only keys made by
 * WooCommerce's own Keys screen action, before the next check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { signed } from '../../helpers/signing';
import { eventually, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

describe('orders the bridge never delivered', () => {
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let store: { id: string; secret: string };
  let keys: { consumer_key: string; consumer_secret: string };

  beforeAll(async () => {
    sidecar = await startSidecar();
    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
    store = await sidecar.addStore({ name: 'Lossy shop', url: wp.url, timezone: 'UTC', settings: { mode: 'time_based', threshold_peak: 1, threshold_off_peak: 1 } });
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
    keys = await wp.createRestKeys({ permissions: 'read' });
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await sidecar?.close();
  });

  it('are read back over the REST API before the next check, each counted once', async () => {
    // One order reaches the sidecar through the bridge.
    const [delivered] = await wp.createOrders({ status: 'processing' });
    await eventually('the first order to arrive', async () => (await sidecar.db('orders').where({ store_id: store.id, order_id: delivered }).first()) ?? undefined, { poke: () => wp.runQueue() });
    // Four more are made, and their events are lost before the bridge sends them.
    // The bridge points nowhere while they are made (its drain runs right after each request), then
    // their events are lost.
    await wp.connectBridge({ sidecarUrl: 'http://127.0.0.1:9', storeId: store.id, secret: store.secret });
    const lost = await wp.createOrders({ status: 'processing', count: 3 });
    const [failed] = await wp.createOrders({ status: 'failed' });
    await wp.php(`global $wpdb; $wpdb->query("DELETE FROM {$wpdb->prefix}woom_outbox"); delete_option('woom_delivery');`);
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });
    expect(await sidecar.db('orders').where({ store_id: store.id })).toHaveLength(1);

    await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/rest-credentials`, keys).expect(200);
    const check = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/check`);
    expect(check.status).toBe(200);

    const orders = await sidecar.db('orders').where({ store_id: store.id }).orderBy('order_id');
    expect(orders.map((o: { order_id: number }) => o.order_id)).toEqual([delivered, ...lost, failed]);
    expect(orders.find((o: { order_id: number }) => o.order_id === failed)?.status).toBe('failed');
    const status = (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body;
    expect(status.rest_recovery).toMatchObject({ configured: true, last_error: null });

    // A status change the bridge does deliver afterwards still wins, and the order stays one row.
    await wp.setOrderStatus(lost[0]!, 'completed');
    await eventually('the change to arrive', async () => {
      const row = await sidecar.db('orders').where({ store_id: store.id, order_id: lost[0] }).first();
      return row?.status === 'completed' ? row : undefined;
    }, { poke: () => wp.runQueue() });
    await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/check`).expect(200);
    expect(await sidecar.db('orders').where({ store_id: store.id })).toHaveLength(5);
    expect((await sidecar.db('orders').where({ store_id: store.id, order_id: lost[0] }).first()).status).toBe('completed');
  }, 300_000);

  it('is refused by WooCommerce without keys: 401', async () => {
    const res = await fetch(`${wp.url}/?rest_route=/wc/v3/orders&per_page=1`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('woocommerce_rest_cannot_view');
  });
});
