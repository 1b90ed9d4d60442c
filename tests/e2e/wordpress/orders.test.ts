/**
 * Orders made in a real WordPress with the real WooCommerce 11 (`wc_create_order()`, filled in after its first save,
 * and wp-admin's "Add order") reach the real sidecar through the bridge's outbox, and a run of failed
 * orders ends in an alert e-mail.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp';
import { eventually, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

interface EventRow {
  id: string;
  type: string;
  order_id: number | null;
  from_status: string | null;
  to_status: string | null;
  total: string | number | null;
  currency: string | null;
  payment_method: string | null;
  created_via: string | null;
  data: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('WordPress -> sidecar: order events', () => {
  let smtp: TestSmtp;
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let store: { id: string; secret: string };

  const events = async (where: Partial<EventRow> = {}): Promise<EventRow[]> =>
    (await sidecar.db('order_events').where({ store_id: store.id, ...where }).orderBy('occurred_at')) as EventRow[];

  beforeAll(async () => {
    smtp = await startTestSmtp();
    sidecar = await startSidecar({ smtpPort: smtp.port });
    store = await sidecar.addStore({
      name: 'WordPress e2e store',
      url: 'http://127.0.0.1/',
      timezone: 'Europe/Berlin',
      settings: {
        mode: 'rolling_average',
        rad_window_size: 4,
        rad_min_orders: 4,
        rad_failure_threshold_pct: 75,
        failure_statuses: ['failed'],
        cooldown_minutes: 0,
        alert_emails: ['owner@store.test'],
      },
    });
    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await sidecar?.close();
    await smtp?.close();
  });

  it('sends an order born "processing" as order.created and a later change as order.status_changed', async () => {
    const [orderId] = await wp.createOrders({ status: 'processing', total: '49.90', currency: 'EUR', payment_method: 'stripe', created_via: 'checkout' });
    expect(orderId).toBeGreaterThan(0);

    const [created] = await eventually('the order.created event', async () => {
      const rows = await events({ order_id: orderId! });
      return rows.length > 0 ? rows : undefined;
    }, { poke: () => wp.runQueue() });
    expect(created).toMatchObject({ type: 'order.created', from_status: null, to_status: 'processing', currency: 'EUR', payment_method: 'stripe', created_via: 'checkout' });
    expect(Number(created!.total)).toBe(49.9);
    expect(created!.id).toMatch(UUID);

    await wp.setOrderStatus(orderId!, 'completed');
    const changed = await eventually('the order.status_changed event', async () => {
      const rows = await events({ order_id: orderId!, type: 'order.status_changed' });
      return rows.length > 0 ? rows : undefined;
    }, { poke: () => wp.runQueue() });
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ from_status: 'processing', to_status: 'completed' });

    const order = await sidecar.db('orders').where({ store_id: store.id, order_id: orderId }).first();
    expect(order?.status).toBe('completed');
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });
  }, 90_000);

  it('records an order that stays "pending" (no status change ever fires for it)', async () => {
    const [orderId] = await wp.createOrders({ status: 'pending', payment_method: 'bacs' });
    const rows = await eventually('the pending order', async () => {
      const found = await events({ order_id: orderId! });
      return found.length > 0 ? found : undefined;
    }, { poke: () => wp.runQueue() });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'order.created', to_status: 'pending', payment_method: 'bacs' });
  }, 60_000);

  it('stores a wp-admin order as an admin order, and a later edit of its total without a status change', async () => {
    const orderId = await wp.createAdminOrder({ status: 'processing' });
    const row = await eventually('the wp-admin order in the sidecar', async () =>
      (await sidecar.db('orders').where({ store_id: store.id, order_id: orderId }).first()) ?? undefined, { poke: () => wp.runQueue() });
    // Kept out of the checkout baseline: a shop assistant's order says nothing about the checkout.
    expect(row).toMatchObject({ status: 'processing', created_via: 'admin', payment_method: 'cod' });
    expect(Number(row.total)).toBe(19.9);

    await wp.php(`$o = wc_get_order(${orderId}); $o->set_total('59.90'); $o->save();`);
    await eventually('the new total in the sidecar', async () => {
      const after = await sidecar.db('orders').where({ store_id: store.id, order_id: orderId }).first();
      return Number(after?.total) === 59.9 ? after : undefined;
    }, { poke: () => wp.runQueue() });
    const kinds = (await events({ order_id: orderId })).map((e) => e.type);
    expect(kinds).toEqual(['order.created', 'order.updated']);
  }, 120_000);

  it("sends while another site on the same database server, with the same table prefix, is draining", async () => {
    // Named locks are server-wide: hold the one another site's drain (database wp_other, prefix wp_) takes.
    const otherLock = (await wp.php("echo \\Woom\\Bridge\\Sender::drain_lock_name('wp_other', $GLOBALS['wpdb']->prefix);")).trim();
    const other = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    try {
      const [[held]] = (await other.query('SELECT GET_LOCK(?, 0) AS got', [otherLock])) as unknown as [[{ got: number }]];
      expect(held?.got).toBe(1);
      const [orderId] = await wp.createOrders({ status: 'processing' });
      await eventually('the order sent past the other site\'s drain', async () => ((await events({ order_id: orderId! })).length > 0 ? true : undefined), {
        poke: () => wp.runQueue(),
      });
    } finally {
      await other.end();
    }
  }, 60_000);

  it('sends a heartbeat with the outbox backlog through the same path', async () => {
    await wp.php(`do_action('woom_heartbeat');`);
    const beats = await eventually('a heartbeat', async () => {
      const rows = await events({ type: 'heartbeat' });
      return rows.length > 0 ? rows : undefined;
    }, { poke: () => wp.runQueue() });
    const data = typeof beats[0]!.data === 'string' ? JSON.parse(beats[0]!.data) : beats[0]!.data;
    expect(data).toMatchObject({ outbox_size: expect.any(Number) });
    expect(data).toHaveProperty('oldest_event_at');
  }, 60_000);

  it('ends a run of failed payments in an alert e-mail to the store owner', async () => {
    const ids = await wp.createOrders({ status: 'pending', payment_method: 'stripe', count: 4 });
    for (const id of ids) await wp.setOrderStatus(id, 'failed');
    await eventually('four failed orders in the sidecar', async () => {
      const rows = await sidecar.db('orders').where({ store_id: store.id, status: 'failed' }).whereIn('order_id', ids);
      return rows.length === 4 ? rows : undefined;
    }, { poke: () => wp.runQueue() });

    const mail = await smtp.waitForMessage((m) => (m.to ? JSON.stringify(m.to).includes('owner@store.test') : false) && !/test/i.test(m.subject ?? ''), 30_000);
    // The alert names what went wrong: the failure rate of the last orders.
    expect(`${mail.subject ?? ''}\n${mail.text ?? ''}`).toMatch(/fail/i);
  }, 90_000);
});
