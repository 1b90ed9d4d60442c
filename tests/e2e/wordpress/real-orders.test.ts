/**
 * What the bridge sends for the orders the real WooCommerce 11 makes, with HPOS on (a new store's
 * default) and off: a visitor's block checkout (Store API), an order made in wp-admin, and a programmatic
 * `wc_create_order()` filled in after its first save. The bridge posts to a local receiver that answers
 * 202, so the test reads exactly the events that left WordPress.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver';
import { eventually, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

interface SentEvent {
  id: string;
  type: string;
  order_id: number;
  from: string | null;
  to: string;
  total: string | null;
  currency: string;
  payment_method: string;
  created_via: string;
}

describe.each([
  { hpos: true, storage: 'HPOS' },
  { hpos: false, storage: 'posts' },
])('orders of the real WooCommerce ($storage)', ({ hpos }) => {
  let receiver: HttpReceiver;
  let wp: WordPressHandle;

  // Only the event deliveries: wp-admin pages also ask the sidecar for the shop's state (GET .../state).
  const sent = (): SentEvent[] =>
    receiver.requests
      .filter((r) => r.method === 'POST' && r.url.endsWith('/v1/events'))
      .flatMap((r) => (JSON.parse(r.body) as { events: SentEvent[] }).events);
  const sentFor = (orderId: number): SentEvent[] => sent().filter((e) => e.order_id === orderId);
  /** Waits until the outbox is empty (everything written so far has been sent). */
  const delivered = () =>
    eventually('the outbox to be sent', async () => ((await wp.outboxCounts()).pending === 0 ? true : undefined), { poke: () => wp.runQueue(), timeoutMs: 60_000 });

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    receiver.plan = Array.from({ length: 500 }, () => 202);
    wp = await startWordPress({ hpos, retryBaseSeconds: 1, retryMaxSeconds: 2 });
    await wp.connectBridge({ sidecarUrl: receiver.url, storeId: 'st_real_orders', secret: 'a-secret-for-the-receiver-0123456789' });
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await receiver?.close();
  });

  it("reports a visitor's Store API order as created once, with its total, payment method and origin", async () => {
    const orderId = await wp.placeStoreApiOrder();
    await delivered();
    const events = sentFor(orderId);
    const created = events.filter((e) => e.type === 'order.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ from: null, total: '19.90', currency: 'EUR', payment_method: 'cod', created_via: 'store-api' });
    expect(events.map((e) => e.to)).not.toContain('checkout-draft');
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  }, 120_000);

  it('reports a wp-admin order once, as an admin order with its real total, and never its auto-draft', async () => {
    const orderId = await wp.createAdminOrder({ status: 'processing' });
    await delivered();
    const events = sentFor(orderId);
    expect(events.map((e) => e.to)).not.toContain('auto-draft');
    const created = events.filter((e) => e.type === 'order.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ to: 'processing', created_via: 'admin', payment_method: 'cod', total: '19.90' });
    // The form's save moves the order from its draft to "processing" in one request: the sidecar hears of
    // it once, born "processing", never a status change before it was created.
    expect(events.map((e) => `${e.type} ${e.from ?? ''}>${e.to}`)).toEqual(['order.created >processing']);
  }, 120_000);

  it('sends a programmatic order with the values set after its first save, and a later change as order.updated', async () => {
    const [orderId] = await wp.createOrders({ status: 'pending', total: '49.90', currency: 'EUR', payment_method: 'bacs', created_via: 'import' });
    await delivered();
    expect(sentFor(orderId!).filter((e) => e.type === 'order.created')).toEqual([
      expect.objectContaining({ to: 'pending', total: '49.90', payment_method: 'bacs', created_via: 'import' }),
    ]);

    // Edited later without a status change: the sidecar hears of the new total once.
    await wp.php(`$o = wc_get_order(${orderId}); $o->set_total('59.90'); $o->save(); $o = wc_get_order(${orderId}); $o->save();`);
    await delivered();
    const updates = sentFor(orderId!).filter((e) => e.type === 'order.updated');
    expect(updates).toEqual([expect.objectContaining({ from: null, to: 'pending', total: '59.90', payment_method: 'bacs' })]);

    // Saved again in a later request with nothing changed: what was delivered is on record, nothing new goes.
    await wp.php(`$o = wc_get_order(${orderId}); $o->save();`);
    await delivered();
    expect(sentFor(orderId!).filter((e) => e.type === 'order.updated')).toHaveLength(1);
  }, 120_000);
});
