import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container } from '../../sidecar/src/container';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { testContent } from '../../sidecar/src/notify/content';
import { RetryLaterError } from '../../sidecar/src/services/notification-service';
import { schedulerIdFor } from '../../sidecar/src/queue/names';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
let sidecar: SidecarHandle;

beforeAll(async () => {
  smtp = await startTestSmtp();
  // Real minutes: each test drives the clock itself by passing `now` to the check service, and the
  // stores' own schedules (1440 minutes) stay out of the way.
  sidecar = await startSidecar({ smtpPort: smtp.port, notifyBackoffMs: 300 });
});
afterAll(async () => {
  await sidecar?.close();
  await smtp?.close();
});

const T0 = Date.now();
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const mailsFor = (name: string) => smtp.messages.filter((m) => m.subject?.includes(` at ${name}`));
const recipientOf = (m: ParsedMail) => (m.to && 'text' in m.to ? m.to.text : '');
const ackPath = (m: ParsedMail) => {
  const link = /(https?:\/\/\S+\/acknowledge\/\S+)/.exec(m.text ?? '')?.[1];
  if (!link) throw new Error(`no acknowledge link in: ${m.text}`);
  return new URL(link).pathname;
};

async function store(name: string, settings: Record<string, unknown>): Promise<StoreCredentials> {
  const shop = await sidecar.addStore({
    name,
    url: `https://${name.toLowerCase()}.example`,
    timezone: 'UTC',
    settings: { mode: 'rolling_average', check_interval_minutes: 1440, cooldown_minutes: 0, alert_emails: ['owner@shop.example'], ...settings },
  });
  // A new store (and each settings change) is checked at once; let that pass while the store has no
  // orders, so the test's own checks are the only ones that see them. The schedule's next run is at the
  // store's own point of the day (1440 minutes); one that falls in the next half minute is let pass too.
  await eventually(async () => {
    const schedule = (await sidecar.container.scheduler.list()).find((s) => s.id === schedulerIdFor(shop.id));
    const queued = await sidecar.container.checkQueue.getJobs(['waiting', 'active', 'prioritized']);
    return (schedule?.next ?? 0) > Date.now() + 30_000 && !queued.some((job) => job.data.storeId === shop.id);
  }, 45_000);
  return shop;
}

let orderId = 0;
/** Orders straight into the table, newest last: RAD reads the latest by creation time. */
async function orders(shop: StoreCredentials, statuses: string[]) {
  const base = Date.now();
  await sidecar.db('orders').insert(
    statuses.map((status, i) => ({
      store_id: shop.id,
      order_id: ++orderId,
      status,
      created_at: new Date(base + i),
      status_changed_at: new Date(base + i),
      updated_at: new Date(base + i),
    })),
  );
  // Not through the ingest: the hourly roll-ups the resolved notice's impact reads are counted here.
  await sidecar.container.rollups.rebuild(shop.id);
}
const allFailing = ['failed', 'failed', 'failed', 'failed']; // critical: nothing gets through
const mostlyFailing = ['processing', 'failed', 'failed', 'failed']; // 75%: a warning

const check = (shop: StoreCredentials, minutes: number) => sidecar.container.checks.run(shop.id, 'manual', at(minutes));

/** Every notification of the store has left the queue (sent or failed), so the mailbox is complete. */
async function settled(shop: StoreCredentials) {
  await eventually(async () => (await sidecar.db('notifications').where({ store_id: shop.id, status: 'pending' })).length === 0, 15_000);
}

async function alertRow(shop: StoreCredentials) {
  return sidecar.db('alerts').where({ store_id: shop.id }).orderBy('id', 'desc').first();
}

function postStatusForm(shop: StoreCredentials, form: Record<string, string>, actor = 'shopadmin') {
  const path = `/v1/stores/${shop.id}/pages/status`;
  const body = new URLSearchParams(form).toString();
  return request(sidecar.app)
    .post(path)
    .set(signedHeaders(shop, 'POST', path, body))
    .set('X-Woom-Actor', actor)
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .send(body);
}

describe('reminders', () => {
  it('a problem that goes on is reminded at reminder_interval_minutes, not at every check', async () => {
    const shop = await store('Remindshop', { reminder_interval_minutes: 30 });
    await orders(shop, allFailing);
    expect((await check(shop, 0))?.decision).toMatchObject({ action: 'open', notify: true });
    for (const m of [5, 10, 29]) expect((await check(shop, m))?.decision).toMatchObject({ action: 'hold', heldBy: 'reminder_interval' });
    expect((await check(shop, 30))?.decision).toMatchObject({ action: 'remind' });
    expect((await check(shop, 45))?.decision).toMatchObject({ action: 'hold', heldBy: 'reminder_interval' });
    await settled(shop);
    expect(mailsFor('Remindshop').map((m) => m.subject)).toEqual([
      '[WOOM CRITICAL] 4 of the last 4 orders failed at Remindshop',
      '[WOOM CRITICAL] Still ongoing: 4 of the last 4 orders failed at Remindshop',
    ]);
    const held = await sidecar.db('check_runs').where({ store_id: shop.id, held_by: 'reminder_interval', trigger: 'manual' });
    expect(held).toHaveLength(4);
  });
});

describe('acknowledging from the e-mail', () => {
  it('GET only confirms; the POST acknowledges; reminders stop; the resolved notice still comes', async () => {
    const shop = await store('Ackshop', { reminder_interval_minutes: 30 });
    await orders(shop, allFailing);
    await check(shop, 0);
    const mail = await smtp.waitForMessage((m) => m.subject?.includes('at Ackshop') ?? false);
    const path = ackPath(mail);
    expect(String(mail.html)).toContain('/acknowledge/');

    const confirm = await request(sidecar.app).get(path);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Acknowledge this alert</button>');
    expect(confirm.text).toContain('4 of the last 4 orders failed (100%), threshold 70%');
    expect(confirm.headers['cache-control']).toBe('no-store');
    // A mail scanner fetching the link changes nothing.
    expect((await alertRow(shop)).acknowledged_at).toBeNull();

    const done = await request(sidecar.app).post(path);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Acknowledged. Reminders and escalation for this alert have stopped');
    const alert = await alertRow(shop);
    expect(alert.acknowledged_by).toBe('owner@shop.example');
    expect(alert.acknowledged_at).not.toBeNull();

    const again = await request(sidecar.app).post(path);
    expect(again.status).toBe(200);
    expect(again.text).toContain('already acknowledged by owner@shop.example');
    expect((await alertRow(shop)).acknowledged_at).toEqual(alert.acknowledged_at);

    for (const m of [30, 60, 120]) expect((await check(shop, m))?.decision).toMatchObject({ action: 'hold', heldBy: 'acknowledged' });
    await orders(shop, Array(10).fill('processing'));
    expect((await check(shop, 130))?.decision).toMatchObject({ action: 'resolve', notify: true });
    await smtp.waitForMessage((m) => m.subject === '[WOOM] Resolved: orders are back to normal at Ackshop');
    await settled(shop);
    expect(mailsFor('Ackshop').map((m) => m.subject)).toEqual([
      '[WOOM CRITICAL] 4 of the last 4 orders failed at Ackshop',
      '[WOOM] Resolved: orders are back to normal at Ackshop',
    ]);

    const resolved = await request(sidecar.app).get(path);
    expect(resolved.text).toContain('already acknowledged');
  });

  it('refuses a forged or tampered link and an expired one, changing nothing', async () => {
    const shop = await store('Forgeshop', {});
    await orders(shop, allFailing);
    // Decided 8 days ago: its link (7 days) has expired.
    const old = await sidecar.container.checks.run(shop.id, 'manual', new Date(Date.now() - 8 * 86_400_000));
    expect(old?.decision.action).toBe('open');
    const mail = await smtp.waitForMessage((m) => m.subject?.includes('at Forgeshop') ?? false);
    const path = ackPath(mail);

    const expired = await request(sidecar.app).post(path);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This link has expired');
    expect((await request(sidecar.app).get(path)).status).toBe(410);

    const [payload, mac] = path.split('/').at(-1)!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const longer = Buffer.from(JSON.stringify({ ...claims, e: Math.floor(Date.now() / 1000) + 86_400 })).toString('base64url');
    for (const forged of [`/acknowledge/${longer}.${mac}`, `${path.slice(0, -3)}xyz`, '/acknowledge/not-a-token']) {
      const res = await request(sidecar.app).post(forged);
      expect(res.status).toBe(403);
      expect(res.text).toContain('This link is not valid');
    }
    expect((await alertRow(shop)).acknowledged_at).toBeNull();
  });
});

describe('acknowledging from the status page and the API', () => {
  it('shows the open alert with a button, records who acknowledged it, and the API says it is done', async () => {
    const shop = await store('Pageackshop', {});
    const other = await store('Otherackshop', {});
    await orders(shop, allFailing);
    await check(shop, 0);
    const alert = await alertRow(shop);

    const page = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/pages/status`);
    expect(page.text).toMatch(/<form method="post" class="woom-acknowledge-form">\s*<!--woom:form-fields-->/);
    expect(page.text).toContain(`name="alert_id" value="${alert.id}"`);

    const foreign = await signed(sidecar.app, other, 'POST', `/v1/stores/${shop.id}/alerts/${alert.id}/acknowledge`);
    expect(foreign.status).toBe(403);
    const notMine = await signed(sidecar.app, other, 'POST', `/v1/stores/${other.id}/alerts/${alert.id}/acknowledge`);
    expect(notMine.status).toBe(404);
    expect((await alertRow(shop)).acknowledged_at).toBeNull();

    const res = await postStatusForm(shop, { op: 'acknowledge', alert_id: String(alert.id) });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Alert acknowledged');
    expect(res.text).toMatch(/by shopadmin at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(res.text).not.toContain(`name="alert_id" value="${alert.id}"`);
    expect((await alertRow(shop)).acknowledged_by).toBe('shopadmin');

    const api = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/alerts/${alert.id}/acknowledge`);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({ result: 'already_acknowledged', alert: { id: alert.id, acknowledged_by: 'shopadmin' } });
  });
});

describe('quiet hours', () => {
  const clock = (d: Date) => d.toISOString().slice(11, 16);

  it('hold a warning (recorded), let a critical through, and send the held warning when they end', async () => {
    const quiet = { quiet_hours_start: clock(at(-60)), quiet_hours_end: clock(at(120)) };
    const calm = await store('Quietwarnshop', quiet);
    const loud = await store('Quietcritshop', quiet);
    await orders(calm, mostlyFailing);
    await orders(loud, allFailing);

    expect((await check(calm, 0))?.decision).toMatchObject({ action: 'open', notify: false, heldBy: 'quiet_hours' });
    expect((await check(loud, 0))?.decision).toMatchObject({ action: 'open', notify: true });
    await smtp.waitForMessage((m) => m.subject === '[WOOM CRITICAL] 4 of the last 4 orders failed at Quietcritshop');
    expect((await check(calm, 60))?.decision).toMatchObject({ action: 'hold', heldBy: 'quiet_hours' });
    expect(await sidecar.db('notifications').where({ store_id: calm.id })).toHaveLength(0);
    expect((await alertRow(calm)).state).toBe('open');

    expect((await check(calm, 121))?.decision).toMatchObject({ action: 'notify', reason: 'released' });
    const mail = await smtp.waitForMessage((m) => m.subject?.includes('at Quietwarnshop') ?? false);
    expect(mail.subject).toBe('[WOOM WARNING] 3 of the last 4 orders failed at Quietwarnshop');
    expect(mail.text).not.toContain('STILL ONGOING');
    expect(mail.text).toContain(`Warning since ${at(0).toISOString().slice(0, 10)}`);
  });
});

describe('maintenance windows', () => {
  it('suppress and record an alert, then send it right after the window if the problem is still there', async () => {
    const shop = await store('Maintshop', {});
    const started = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/maintenance`, { minutes: 60, reason: 'theme update' });
    expect(started.status).toBe(201);
    expect(started.body.window).toMatchObject({ state: 'active', reason: 'theme update', created_by: `api:${shop.id}` });
    const listed = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/maintenance`);
    expect(listed.body.windows).toHaveLength(1);

    await orders(shop, allFailing);
    expect((await check(shop, 1))?.decision).toMatchObject({ action: 'open', notify: false, heldBy: 'maintenance' });
    expect((await check(shop, 30))?.decision).toMatchObject({ action: 'hold', heldBy: 'maintenance' });
    expect((await alertRow(shop)).state).toBe('open');
    expect(await sidecar.db('check_runs').where({ store_id: shop.id, held_by: 'maintenance' })).toHaveLength(2);
    expect(await sidecar.db('notifications').where({ store_id: shop.id })).toHaveLength(0);

    const page = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/pages/status`);
    expect(page.text).toContain('Maintenance until');
    expect(page.text).toContain('End maintenance now');

    expect((await check(shop, 61))?.decision).toMatchObject({ action: 'notify', reason: 'released' });
    const mail = await smtp.waitForMessage((m) => m.subject?.includes('at Maintshop') ?? false);
    expect(mail.subject).toBe('[WOOM CRITICAL] 4 of the last 4 orders failed at Maintshop');
    await settled(shop);
    expect(mailsFor('Maintshop')).toHaveLength(1);
  });

  it('a problem that ends inside the window resolves silently', async () => {
    const shop = await store('Blipshop', {});
    await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/maintenance`, { minutes: 60 }).expect(201);
    await orders(shop, allFailing);
    await check(shop, 1);
    await orders(shop, Array(10).fill('processing'));
    expect((await check(shop, 20))?.decision).toEqual({ action: 'resolve', alertId: expect.any(Number), notify: false });
    expect((await check(shop, 61))?.decision).toEqual({ action: 'none', reason: 'healthy' });
    expect(await sidecar.db('notifications').where({ store_id: shop.id })).toHaveLength(0);
    expect((await alertRow(shop)).state).toBe('resolved');
  });

  it('hold the store-problem alerts too, and send them after the window if the problem outlived it', async () => {
    const shop = await store('Blindshop', {});
    const res = await postStatusForm(shop, { op: 'maintenance_start', minutes: '30', reason: 'server move' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Maintenance started');
    const [window] = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/maintenance`)).body.windows;
    expect(window).toMatchObject({ state: 'active', created_by: 'shopadmin', reason: 'server move' });

    // WordPress went silent 20 minutes ago: "WordPress stopped reporting", held by the window.
    await sidecar.db('stores').where({ id: shop.id }).update({ first_contact_at: new Date(Date.now() - 86_400_000), last_contact_at: new Date(Date.now() - 20 * 60_000) });
    expect((await sidecar.container.reporting.check(shop.id))?.breached).toBe(true);
    const blind = await sidecar.db('alerts').where({ store_id: shop.id, detector: 'reporting' }).first();
    expect(blind).toMatchObject({ state: 'open', last_notified_at: null });
    expect(await sidecar.db('notifications').where({ store_id: shop.id, status: 'held' })).toHaveLength(1);

    const ended = await postStatusForm(shop, { op: 'maintenance_end', window_id: String(window.id) });
    expect(ended.text).toContain('Maintenance ended');
    const mail = await smtp.waitForMessage((m) => m.subject === '[WOOM CRITICAL] WordPress stopped reporting at Blindshop');
    expect(mail.text).toContain('/acknowledge/');
    expect((await sidecar.db('alerts').where({ id: blind.id }).first()).last_notified_at).not.toBeNull();
    expect((await signed(sidecar.app, shop, 'DELETE', `/v1/stores/${shop.id}/maintenance/${window.id}`)).status).toBe(404);
  });

  it('plans a window from the status page in the store\'s own time, and refuses a bad one beside its field', async () => {
    const shop = await store('Planshop', { timezone: 'Europe/Berlin' });
    const bad = await postStatusForm(shop, { op: 'maintenance_plan', starts_at: '2030-07-01T22:00', ends_at: '2030-07-01T21:00', reason: 'upgrade' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<p class="woom-field-error" id="woom-plan-ends-error">End must be after starts_at</p>');
    expect(bad.text).toContain('value="2030-07-01T22:00"');
    const missing = await postStatusForm(shop, { op: 'maintenance_plan', starts_at: '', ends_at: 'tonight' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Start is required');
    expect(missing.text).toContain('End must be a date and time');
    expect(await sidecar.db('maintenance_windows').where({ store_id: shop.id })).toHaveLength(0);

    // 22:00 to 23:30 in Berlin's summer time is 20:00 to 21:30 UTC.
    const ok = await postStatusForm(shop, { op: 'maintenance_plan', starts_at: '2030-07-01T22:00', ends_at: '2030-07-01T23:30', reason: 'upgrade' });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('Maintenance planned from 2030-07-01 22:00');
    const [window] = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/maintenance`)).body.windows;
    expect(window).toMatchObject({ state: 'upcoming', starts_at: '2030-07-01T20:00:00.000Z', ends_at: '2030-07-01T21:30:00.000Z', reason: 'upgrade', created_by: 'shopadmin' });
  });

  it('refuses bad windows with the field named, and stores nothing', async () => {
    const shop = await store('Badmaintshop', {});
    const cases: Array<[unknown, string]> = [
      [{ minutes: 0 }, 'minutes'],
      [{ minutes: 20_000 }, 'minutes'],
      [{}, 'minutes'],
      [{ starts_at: '2030-01-02T10:00:00Z', ends_at: '2030-01-02T09:00:00Z' }, 'ends_at'],
      [{ starts_at: '2030-01-02T10:00:00Z', ends_at: '2030-01-10T10:00:00Z' }, 'ends_at'],
      [{ starts_at: '2020-01-02T10:00:00Z', ends_at: '2020-01-02T12:00:00Z' }, 'ends_at'],
      [{ starts_at: 'soon', ends_at: '2030-01-02T12:00:00Z' }, 'starts_at'],
      [{ minutes: 10, colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/maintenance`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const page = await postStatusForm(shop, { op: 'maintenance_start', minutes: 'soon' });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/<p class="woom-field-error">must be a number<\/p>/);
    expect(await sidecar.db('maintenance_windows').where({ store_id: shop.id })).toHaveLength(0);

    const planned = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/maintenance`, { starts_at: '2030-01-02T10:00:00Z', ends_at: '2030-01-02T12:00:00Z' });
    expect(planned.body.window).toMatchObject({ state: 'upcoming', starts_at: '2030-01-02T10:00:00.000Z', ends_at: '2030-01-02T12:00:00.000Z' });
    const cancelled = await signed(sidecar.app, shop, 'DELETE', `/v1/stores/${shop.id}/maintenance/${planned.body.window.id}`);
    expect(cancelled.body.window.state).toBe('cancelled');
    expect((await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/maintenance`)).body.windows).toEqual([]);
  });
});

describe('escalation', () => {
  it('goes once to the second list when nobody acknowledges in time, however many checks run at once', async () => {
    const shop = await store('Escalshop', { escalation_minutes: 30, escalation_emails: ['boss@shop.example'], reminder_interval_minutes: 120 });
    await orders(shop, allFailing);
    await check(shop, 0);
    const first = await smtp.waitForMessage((m) => m.subject?.includes('at Escalshop') ?? false);
    expect(recipientOf(first)).toBe('owner@shop.example');
    expect((await check(shop, 29))?.decision).toMatchObject({ escalate: false });

    // Six checks at once (workers of two sidecars, a retried job): one escalation.
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => check(shop, 31 + i / 10)));
    expect(outcomes.filter((o) => o?.decision.action === 'hold' && o.decision.escalate)).toHaveLength(1);
    await eventually(async () => mailsFor('Escalshop').length === 2);
    await settled(shop);
    const escalated = mailsFor('Escalshop').filter((m) => m.subject?.includes('Escalated'));
    expect(escalated).toHaveLength(1);
    expect(recipientOf(escalated[0]!)).toBe('boss@shop.example');
    expect(escalated[0]!.subject).toBe('[WOOM CRITICAL] Escalated, not acknowledged: 4 of the last 4 orders failed at Escalshop');
    expect(escalated[0]!.text).toContain('Nobody acknowledged this alert within 30 minutes of the first notice');
    expect(escalated[0]!.text).toContain('to owner@shop.example');
    expect((await alertRow(shop)).escalated_at).not.toBeNull();

    // The escalation contact acknowledges from their own link; later checks send nothing more.
    await request(sidecar.app).post(ackPath(escalated[0]!)).expect(200);
    expect((await alertRow(shop)).acknowledged_by).toBe('boss@shop.example');
    await Promise.all(Array.from({ length: 4 }, () => check(shop, 200)));
    await settled(shop);
    expect(mailsFor('Escalshop')).toHaveLength(2);
    expect(await sidecar.db('notifications').where({ store_id: shop.id, kind: 'escalation' })).toHaveLength(1);
  });

  it('is not sent for an alert acknowledged before its time', async () => {
    const shop = await store('Calmescalshop', { escalation_minutes: 30, escalation_emails: ['boss@shop.example'] });
    await orders(shop, allFailing);
    await check(shop, 0);
    const alert = await alertRow(shop);
    const [acks] = await Promise.all([
      signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/alerts/${alert.id}/acknowledge`),
      check(shop, 5),
      check(shop, 6),
    ]);
    expect(acks.body.result).toBe('acknowledged');
    await Promise.all([check(shop, 31), check(shop, 32), check(shop, 90)]);
    await settled(shop);
    expect(mailsFor('Calmescalshop')).toHaveLength(1);
    expect((await alertRow(shop)).escalated_at).toBeNull();
  });
});

describe('worse is news', () => {
  it('a warning that becomes critical is e-mailed at once as "Now critical", once, inside the reminder interval', async () => {
    const shop = await store('Worseshop', { reminder_interval_minutes: 120 });
    await orders(shop, mostlyFailing);
    expect((await check(shop, 0))?.decision).toMatchObject({ action: 'open', notify: true });
    await smtp.waitForMessage((m) => m.subject === '[WOOM WARNING] 3 of the last 4 orders failed at Worseshop');
    // Every order of the RAD window (10) fails now: critical, though the reminder interval has not passed.
    await orders(shop, Array.from({ length: 10 }, () => 'failed'));
    expect((await check(shop, 5))?.decision).toMatchObject({ action: 'notify', reason: 'upgrade' });
    const critical = await smtp.waitForMessage((m) => m.subject?.includes('Now critical') ?? false);
    expect(critical.subject).toBe('[WOOM CRITICAL] Now critical: 10 of the last 10 orders failed at Worseshop');
    expect(critical.text).toContain('NOW CRITICAL (was warning)');
    // Still critical a few minutes later: nothing new to say until the reminder is due.
    expect((await check(shop, 10))?.decision).toMatchObject({ action: 'hold', heldBy: 'reminder_interval' });
    await settled(shop);
    expect(mailsFor('Worseshop').map((m) => m.subject)).toEqual([
      '[WOOM WARNING] 3 of the last 4 orders failed at Worseshop',
      '[WOOM CRITICAL] Now critical: 10 of the last 10 orders failed at Worseshop',
    ]);
    expect((await alertRow(shop)).severity).toBe('critical');
  });

  it('a notice decided from a stale view of the alert marks nothing (compare-and-set on last_notified_at)', async () => {
    const shop = await store('Staleshop', {});
    await orders(shop, allFailing);
    await check(shop, 0);
    const alert = await alertRow(shop);
    const { alerts } = sidecar.container;
    expect(await alerts.markNotified(sidecar.container.db, alert.id, at(30), 'critical', false, at(-5))).toBe(false);
    expect((await alertRow(shop)).last_notified_at.getTime()).toBe(alert.last_notified_at.getTime());
    expect(await alerts.markNotified(sidecar.container.db, alert.id, at(30), 'critical', false, alert.last_notified_at)).toBe(true);
    expect((await alertRow(shop)).last_notified_at.getTime()).toBe(at(30).getTime());
  });
});

describe('each recipient at most once', () => {
  async function testNotification(name: string): Promise<{ shop: StoreCredentials; id: number }> {
    const shop = await store(name, {});
    const { container } = sidecar;
    const settings = (await container.settings.get(shop.id))!;
    const record = (await container.stores.find(shop.id))!;
    // Stored without queueing it: the test itself plays the two senders.
    const id = await container.notifications.create(container.db, { storeId: shop.id, alertId: null, kind: 'test', content: testContent(record, settings, new Date()), createdAt: new Date() });
    return { shop, id };
  }
  const subjectOf = (name: string) => `[WOOM] Test notification for ${name}`;

  it('two sidecars delivering one notification at once send the recipient one e-mail', async () => {
    const { id } = await testNotification('Twiceshop');
    // A second sidecar on the same database and Redis (a stalled job picked up by another worker).
    const other = new Container(sidecar.container.config, { log: sidecar.container.log });
    // The SMTP server takes its time, so both senders are inside their send at once.
    smtp.holdMessages(400);
    try {
      const outcomes = await Promise.allSettled([sidecar.container.notificationService.deliver(id, 1, false), other.notificationService.deliver(id, 1, false)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(RetryLaterError);
      // The retry of the one that stood aside finds the notification done.
      expect((await other.notificationService.deliver(id, 2, false)).ok).toBe(true);
    } finally {
      smtp.holdMessages(0);
      await other.close();
    }
    expect(smtp.messages.filter((m) => m.subject === subjectOf('Twiceshop'))).toHaveLength(1);
    const rows = await sidecar.db('deliveries').where({ notification_id: id });
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['sent']);
    expect((await sidecar.db('notifications').where({ id }).first()).status).toBe('sent');
  });

  it("leaves a target to a live sender's claim, and takes over one whose sender died once its lease ran out", async () => {
    const { id } = await testNotification('Leaseshop');
    const claim = { notification_id: id, recipient: 'owner@shop.example', claimed_by: 'another-sender', updated_at: new Date() };
    await sidecar.db('delivery_claims').insert({ ...claim, state: 'sending', lease_until: new Date(Date.now() + 60_000) });
    await expect(sidecar.container.notificationService.deliver(id, 1, false)).rejects.toBeInstanceOf(RetryLaterError);
    expect(smtp.messages.filter((m) => m.subject === subjectOf('Leaseshop'))).toHaveLength(0);

    // The other sender died mid-send: its lease passes and the next try sends.
    await sidecar.db('delivery_claims').where({ notification_id: id }).update({ lease_until: new Date(Date.now() - 1_000) });
    expect((await sidecar.container.notificationService.deliver(id, 2, false)).ok).toBe(true);
    expect(smtp.messages.filter((m) => m.subject === subjectOf('Leaseshop'))).toHaveLength(1);
    expect(await sidecar.db('delivery_claims').where({ notification_id: id }).first()).toMatchObject({ state: 'sent', lease_until: null });
  });
});
