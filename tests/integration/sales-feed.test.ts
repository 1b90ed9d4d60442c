import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../helpers/http-receiver';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
let sidecar: SidecarHandle;
const receivers: HttpReceiver[] = [];

beforeAll(async () => {
  smtp = await startTestSmtp();
  sidecar = await startSidecar({ smtpPort: smtp.port, notifyBackoffMs: 200 });
});
afterAll(async () => {
  await sidecar?.close();
  await Promise.all([smtp?.close(), ...receivers.map((r) => r.close())]);
});

async function receiver(): Promise<HttpReceiver> {
  const r = await startHttpReceiver();
  receivers.push(r);
  return r;
}

const TITLES = { stripe: 'Credit card (Stripe)', paypal: 'PayPal' };

/** A store whose bridge has told the payment methods' titles (as every heartbeat does). */
async function shop(name: string): Promise<StoreCredentials> {
  const store = await sidecar.addStore({
    name,
    url: `https://${name.toLowerCase()}.example`,
    timezone: 'Europe/Berlin',
    settings: { mode: 'rolling_average', check_interval_minutes: 1440, alert_emails: ['owner@shop.example'] },
  });
  const heartbeat = { id: crypto.randomUUID(), type: 'heartbeat', occurred_at: new Date().toISOString(), data: { outbox_size: 0, health: { gateway_titles: TITLES, gateways_enabled: ['stripe', 'paypal'], gateways_available: ['stripe', 'paypal'] } } };
  await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: [heartbeat] }).expect(202);
  return store;
}

async function channel(store: StoreCredentials, body: Record<string, unknown>): Promise<number> {
  const res = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, body);
  expect(res.status).toBe(201);
  return res.body.channel.id as number;
}

const send = (store: StoreCredentials, events: unknown[]) => signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events }).expect(202);
const posts = (r: HttpReceiver, event: string) => r.requests.filter((q) => q.answered === 200 && q.body.includes(`"event":"${event}"`)).map((q) => JSON.parse(q.body));
const slackTexts = (r: HttpReceiver) => r.requests.filter((q: ReceivedRequest) => q.answered === 200).map((q) => JSON.parse(q.body).text as string);

describe('sales feed', () => {
  it('posts each successful order once to the channel that asked, with amount, currency, payment method and order number, and nothing about the customer', async () => {
    const hook = await receiver();
    const quiet = await receiver();
    const store = await shop('Feedshop');
    const created = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'webhook', url: hook.url, sales_feed: true });
    expect(created.body.channel).toMatchObject({ sales_feed: true, sales_feed_batch_above: 10 });
    // A second channel left as it comes: the feed is off by default.
    const quietId = await channel(store, { type: 'webhook', url: quiet.url });
    expect((await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/channels`)).body.channels.find((c: { id: number }) => c.id === quietId).sales_feed).toBe(false);

    await send(store, [orderEvent({ order_id: 4242, to: 'processing', total: '49.90', payment_method: 'stripe' })]);
    const [first] = await eventually(() => (posts(hook, 'woom.sale').length >= 1 ? posts(hook, 'woom.sale') : null), 20_000);
    expect(first.notification.sale).toEqual({ order_number: 4242, amount: 49.9, currency: 'EUR', payment_method: 'stripe', payment_method_title: 'Credit card (Stripe)' });
    expect(first.text.trim()).toBe('Order #4242: 49.90 EUR, paid with Credit card (Stripe)');
    expect(first.subject).toBe('[WOOM] Sale at Feedshop');
    // No customer data, and not the alert recipients either.
    const body = JSON.stringify(first);
    expect(body).not.toMatch(/@|billing|shipping|customer|address|email/i);

    // The same order completed later, a failed order, then a new PayPal order: only the new one is posted.
    await send(store, [orderEvent({ order_id: 4242, type: 'order.status_changed', from: 'processing', to: 'completed', total: '49.90' }), orderEvent({ order_id: 4243, to: 'failed', total: '10.00' })]);
    await send(store, [orderEvent({ order_id: 4244, to: 'completed', total: '15.00', payment_method: 'paypal' })]);
    await eventually(() => posts(hook, 'woom.sale').length >= 2, 20_000);
    expect(posts(hook, 'woom.sale').map((p) => p.notification.sale.order_number)).toEqual([4242, 4244]);
    expect(posts(hook, 'woom.sale')[1].text.trim()).toBe('Order #4244: 15.00 EUR, paid with PayPal');
    // Off: the other channel got nothing, and no e-mail went out for a sale.
    expect(quiet.requests).toHaveLength(0);
    expect(smtp.messages.filter((m) => m.subject?.includes('Feedshop'))).toHaveLength(0);
  });

  it('batches a burst above the rate into one message, and the orders of the rest of that minute into one message a minute later', async () => {
    const slack = await receiver();
    const store = await shop('Rushshop');
    await channel(store, { type: 'slack', url: slack.url, sales_feed: true });
    const burst = Array.from({ length: 12 }, (_, i) => orderEvent({ order_id: 5000 + i, to: 'processing', total: i < 6 ? '100.00' : '50.00', payment_method: 'stripe' }));
    await send(store, burst);
    await eventually(() => slackTexts(slack).length >= 1, 20_000);
    const [batch] = slackTexts(slack);
    expect(batch!.split('\n')[0]).toBe('*[WOOM] Sales at Rushshop*');
    expect(batch!.split('\n')[1]).toBe('12 orders in the last minute, 900.00 EUR');
    expect(batch).toContain('#5000: 100.00 EUR, Credit card (Stripe)');

    // Three more within the minute: above the rate still, so they wait for the minute and go as one.
    await send(store, Array.from({ length: 3 }, (_, i) => orderEvent({ order_id: 6000 + i, to: 'completed', total: '20.00' })));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(slackTexts(slack)).toHaveLength(1);
    await eventually(() => slackTexts(slack).length >= 2, 90_000);
    expect(slackTexts(slack)[1]!.split('\n')[1]).toBe('3 orders in the last minute, 60.00 EUR');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(slackTexts(slack)).toHaveLength(2);
    const rows = await sidecar.db('sales_feed_posts').join('notification_channels', 'notification_channels.id', 'sales_feed_posts.channel_id').where('notification_channels.store_id', store.id);
    expect(rows).toHaveLength(15);
  }, 120_000);

  it('a receiver that is down gets the post when it is back, once', async () => {
    const hook = await receiver();
    hook.plan.push(503, 'timeout', 502);
    const store = await shop('Downshop');
    const channelId = await channel(store, { type: 'webhook', url: hook.url, sales_feed: true });
    await send(store, [orderEvent({ order_id: 7001, to: 'processing', total: '30.00' })]);
    // The hanging attempt is let go once it has started, so the retries go on.
    await eventually(() => hook.requests.some((r) => r.answered === 'timeout'), 20_000);
    hook.release(504);
    const notification = await eventually(async () => sidecar.db('notifications').where({ store_id: store.id, kind: 'sale', status: 'sent' }).first(), 60_000);
    expect(hook.requests.map((r) => r.answered)).toEqual([503, 'timeout', 502, 200]);
    expect(posts(hook, 'woom.sale').map((p) => p.notification_id)).toEqual([Number(notification.id)]);
    const rows = await sidecar.db('deliveries').where({ notification_id: notification.id }).orderBy('id');
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['retrying', 'retrying', 'retrying', 'sent']);
    expect(rows.every((r: { recipient: string }) => r.recipient.startsWith(`webhook #${channelId}`))).toBe(true);
    // A sweep afterwards (what the upkeep job runs every minute) finds nothing more to post.
    await sidecar.container.salesFeed.sweep();
    await new Promise((r) => setTimeout(r, 500));
    expect(posts(hook, 'woom.sale')).toHaveLength(1);
  }, 90_000);

  it('is edited on the channel: bad values get 400 naming the field and change nothing; off posts nothing', async () => {
    const hook = await receiver();
    const store = await shop('Editshop');
    const id = await channel(store, { type: 'webhook', url: hook.url });
    const path = `/v1/stores/${store.id}/channels/${id}`;
    const bad = async (body: unknown, field: string) => {
      const res = await signed(sidecar.app, store, 'PATCH', path, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    };
    await bad({ sales_feed: 'yes' }, 'sales_feed');
    await bad({ sales_feed: true, sales_feed_batch_above: 0 }, 'sales_feed_batch_above');
    await bad({ sales_feed_batch_above: 2.5 }, 'sales_feed_batch_above');
    await bad({}, '(body)');
    await bad({ url: 'https://other.example' }, 'url');
    const refused = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'slack', url: hook.url, sales_feed: 'on' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].field).toBe('sales_feed');
    const listed = (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/channels`)).body.channels;
    expect(listed).toEqual([expect.objectContaining({ id, sales_feed: false, sales_feed_batch_above: 10 })]);

    // Off (as created): orders are not posted. On: the next order is, and not the ones from before.
    await send(store, [orderEvent({ order_id: 8001, to: 'processing' })]);
    await sidecar.container.salesFeed.run(store.id);
    const on = await signed(sidecar.app, store, 'PATCH', path, { sales_feed: true, sales_feed_batch_above: 3 });
    expect(on.status).toBe(200);
    expect(on.body.channel).toMatchObject({ sales_feed: true, sales_feed_batch_above: 3 });
    await send(store, [orderEvent({ order_id: 8002, to: 'processing' })]);
    await eventually(() => posts(hook, 'woom.sale').length >= 1, 20_000);
    expect(posts(hook, 'woom.sale').map((p) => p.notification.sale.order_number)).toEqual([8002]);

    const off = await signed(sidecar.app, store, 'PATCH', path, { sales_feed: false });
    expect(off.body.channel.sales_feed).toBe(false);
    await send(store, [orderEvent({ order_id: 8003, to: 'processing' })]);
    expect((await sidecar.container.salesFeed.run(store.id)).posted).toBe(0);
    await sidecar.container.maintenance();
    expect(posts(hook, 'woom.sale')).toHaveLength(1);
    expect(await sidecar.db('notifications').where({ store_id: store.id }).whereIn('kind', ['sale', 'sales'])).toHaveLength(1);
  });
});
