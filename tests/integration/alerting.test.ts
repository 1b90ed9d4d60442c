import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
let sidecar: SidecarHandle;

beforeAll(async () => {
  smtp = await startTestSmtp();
  // One "minute" of check_interval_minutes lasts 100 ms here, so a 15-minute schedule fires every 1.5 s.
  sidecar = await startSidecar({ smtpPort: smtp.port, minuteMs: 100, notifyBackoffMs: 300 });
});
afterAll(async () => {
  await sidecar?.close();
  await smtp?.close();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const mailsFor = (name: string) => smtp.messages.filter((m) => m.subject?.includes(` at ${name}`) || m.subject?.endsWith(`for ${name}`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function store(name: string, settings: Record<string, unknown>): Promise<StoreCredentials> {
  return sidecar.addStore({ name, url: `https://${name.toLowerCase()}.example`, timezone: 'UTC', settings: { alert_emails: ['owner@shop.example'], ...settings } });
}

async function send(store: StoreCredentials, events: unknown[]) {
  const res = await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events });
  expect(res.status).toBe(202);
}

/** WordPress has been reporting for 20 minutes: a full time-based window exists. */
const reportingSince20MinutesAgo = () => ({ id: crypto.randomUUID(), type: 'heartbeat', occurred_at: minutesAgo(20) });
const failed = (n: number, method = 'stripe') => Array.from({ length: n }, () => orderEvent({ to: 'failed', payment_method: method }));
const paid = (n: number) => Array.from({ length: n }, () => orderEvent({ to: 'processing' }));


describe('alerts end to end: signed events in, check, e-mail out', () => {
  it('the scheduled time-based check alerts with the numbers, the window and the orders link', async () => {
    const shop = await store('Quietshop', { mode: 'time_based', threshold_peak: 3, threshold_off_peak: 3 });
    await send(shop, [reportingSince20MinutesAgo(), ...paid(1)]);
    const mail = await smtp.waitForMessage((m) => m.subject?.includes('at Quietshop') ?? false);
    expect(mail.subject).toBe('[WOOM WARNING] Only 1 successful order in 15 minutes at Quietshop');
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('owner@shop.example');
    expect(mail.text).toMatch(/Paid orders in the last check period: /);
    expect(mail.text).toMatch(/1 successful order in the last 15 min \((peak|off-peak) hours\), threshold 3/);
    expect(mail.text).toMatch(/Period: \d{4}-\d\d-\d\d \d\d:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(mail.text).toContain('View orders: https://quietshop.example/wp-admin/edit.php?post_type=shop_order');
    expect(mail.text).toContain('https://quietshop.example/wp-admin/admin.php?page=wc-settings&tab=order-monitor');
    const html = String(mail.html).replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    expect(html).toContain('href="https://quietshop.example/wp-admin/edit.php?post_type=shop_order"');
    const alert = await sidecar.db('alerts').where({ store_id: shop.id }).first();
    expect(alert).toMatchObject({ detector: 'time_based', state: 'open' });
    const run = await sidecar.db('check_runs').where({ store_id: shop.id, alert_id: alert.id }).first();
    expect(run).toMatchObject({ trigger: 'schedule', decision: 'open' });
  });

  it('RAD answers a burst of failed orders within seconds, without waiting for the schedule', async () => {
    const shop = await store('Burstshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
    // A new store is checked once at once (services/store-registry); after it the next is at its point of the day,
    // so only the events can trigger the check that opens the alert.
    await eventually(async () => (await sidecar.db('check_runs').where({ store_id: shop.id, trigger: 'schedule' })).length > 0);
    const started = Date.now();
    await send(shop, [...failed(2), ...paid(1)]);
    await send(shop, failed(2));
    const mail = await smtp.waitForMessage((m) => m.subject?.includes('at Burstshop') ?? false, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(mail.subject).toBe('[WOOM WARNING] 4 of the last 5 orders failed at Burstshop');
    expect(mail.text).toContain('Share of the latest orders that failed: ');
    expect(mail.text).toContain('4 of the last 5 orders failed (80%), threshold 70%');
    expect(mail.text).toContain('- failed orders: 4');
    const run = await sidecar.db('check_runs').where({ store_id: shop.id, decision: 'open' }).first();
    expect(run.trigger).toBe('event');
  });

  it('hybrid mode sends one alert for one problem, then one resolved notice when orders come back', async () => {
    const shop = await store('Hybridshop', { mode: 'hybrid', threshold_peak: 3, threshold_off_peak: 3 });
    await send(shop, [reportingSince20MinutesAgo(), ...failed(4)]);
    await smtp.waitForMessage((m) => m.subject?.includes('at Hybridshop') ?? false, 30_000);
    // Several scheduled checks see both detectors firing meanwhile; none may send again.
    await eventually(async () => Number((await sidecar.db('check_runs').where({ store_id: shop.id, decision: 'hold' }).count({ n: '*' }).first())?.n) >= 2);
    expect(mailsFor('Hybridshop')).toHaveLength(1);
    expect(await sidecar.db('alerts').where({ store_id: shop.id })).toHaveLength(1);

    await send(shop, paid(10));
    const resolved = await smtp.waitForMessage((m) => m.subject === '[WOOM] Resolved: orders are back to normal at Hybridshop');
    expect(resolved.text).toMatch(/- started: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(resolved.text).toMatch(/- lasted: \d+ min/);
    const alert = await sidecar.db('alerts').where({ store_id: shop.id }).first();
    expect(alert.state).toBe('resolved');
    await sleep(2_000);
    expect(mailsFor('Hybridshop')).toHaveLength(2);
  });

  it('concurrent checks of one store open one alert, not several', async () => {
    const shop = await store('Raceshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
    await sidecar.db('orders').insert(
      [1, 2, 3, 4].map((id) => ({
        store_id: shop.id,
        order_id: id,
        status: 'failed',
        created_at: new Date(),
        status_changed_at: new Date(),
        updated_at: new Date(),
      })),
    );
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => sidecar.container.checks.run(shop.id, 'manual')));
    // The store's scheduled check may run in the same moment too: whoever comes first opens it.
    expect(outcomes.filter((o) => o?.decision.action === 'open').length).toBeLessThanOrEqual(1);
    expect(outcomes.every((o) => o !== null)).toBe(true);
    expect(await sidecar.db('alerts').where({ store_id: shop.id })).toHaveLength(1);
    expect(await sidecar.db('notifications').where({ store_id: shop.id, kind: 'alert' })).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('an SMTP server that is down when the alert fires still gets the alert, once, when it comes back', async () => {
    await smtp.stop();
    const shop = await store('Downshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
    await send(shop, failed(3));
    const notification = await eventually(async () => sidecar.db('notifications').where({ store_id: shop.id, kind: 'alert' }).first());
    await eventually(async () => sidecar.db('deliveries').where({ notification_id: notification.id, status: 'retrying' }).first());
    await smtp.start();
    await smtp.waitForMessage((m) => m.subject?.includes('at Downshop') ?? false, 15_000);
    await sleep(1_500);
    expect(mailsFor('Downshop')).toHaveLength(1);
    const deliveries = await sidecar.db('deliveries').where({ notification_id: notification.id }).orderBy('id');
    expect(deliveries.at(-1)).toMatchObject({ status: 'sent', recipient: 'owner@shop.example' });
    expect(deliveries.at(-1).response).toMatch(/^250/);
    expect(deliveries.slice(0, -1).every((d: { status: string }) => d.status === 'retrying')).toBe(true);
    expect((await sidecar.db('notifications').where({ id: notification.id }).first()).status).toBe('sent');
  });

  it('a permanent refusal (5xx) is not retried and shows as failed', async () => {
    smtp.refuseWith(550);
    try {
      const shop = await store('Refusedshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
      await send(shop, failed(3));
      const notification = await eventually(async () =>
        sidecar.db('notifications').where({ store_id: shop.id, kind: 'alert', status: 'failed' }).first(),
      );
      await sleep(1_500);
      const deliveries = await sidecar.db('deliveries').where({ notification_id: notification.id });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'failed', attempt: 1 });
      expect(deliveries[0].response).toMatch(/550/);
    } finally {
      smtp.refuseWith(null);
    }
  });

  it('sends to every recipient and records each one', async () => {
    const shop = await store('Teamshop', { mode: 'rolling_average', check_interval_minutes: 1440, alert_emails: ['a@team.example', 'b@team.example'] });
    await send(shop, failed(3));
    await eventually(async () => mailsFor('Teamshop').length === 2);
    const recipients = mailsFor('Teamshop').map((m: ParsedMail) => (m.to && 'text' in m.to ? m.to.text : '')).sort();
    expect(recipients).toEqual(['a@team.example', 'b@team.example']);
    const history = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/alerts`);
    expect(history.status).toBe(200);
    const [alert] = history.body.alerts;
    expect(alert).toMatchObject({ detector: 'rolling_average', state: 'open', severity: 'critical' });
    expect(alert.findings[0].summary).toBe('3 of the last 3 orders failed (100%), threshold 70%');
    const deliveries = alert.notifications[0].deliveries.map((d: { recipient: string; status: string }) => `${d.recipient}:${d.status}`).sort();
    expect(deliveries).toEqual(['a@team.example:sent', 'b@team.example:sent']);
  });
});

describe('POST /v1/stores/:id/test-notification', () => {
  it('sends a test e-mail through the real path and answers with the SMTP answer', async () => {
    const shop = await store('Testshop', {});
    const res = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/test-notification`);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.message).toMatch(/^owner@shop\.example: 250 /);
    const mail = await smtp.waitForMessage((m) => m.subject === '[WOOM] Test notification for Testshop');
    expect(mail.text).toContain('This is a test from WooCommerce Order Monitor');
    const row = await sidecar.db('notifications').where({ store_id: shop.id, kind: 'test' }).first();
    expect(row.status).toBe('sent');
  });

  it('reports the SMTP refusal, and a missing recipient list, as ok: false', async () => {
    const shop = await store('Badtestshop', {});
    smtp.refuseWith(550);
    try {
      const res = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/test-notification`);
      expect(res.body.ok).toBe(false);
      expect(res.body.message).toMatch(/550/);
    } finally {
      smtp.refuseWith(null);
    }
    await signed(sidecar.app, shop, 'PUT', `/v1/stores/${shop.id}/settings`, { alert_emails: [] }).expect(200);
    const empty = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/test-notification`);
    expect(empty.body).toEqual({ ok: false, message: expect.stringContaining('alert_emails') });
  });

  it('reports an SMTP server that is down as ok: false with the reason', async () => {
    const shop = await store('Offlineshop', {});
    await smtp.stop();
    try {
      const res = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/test-notification`);
      expect(res.body.ok).toBe(false);
      expect(res.body.message).toMatch(/SMTP server unreachable/);
    } finally {
      await smtp.start();
    }
  });
});
