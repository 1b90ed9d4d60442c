/**
 * The store digest, the weekly digest and the all-stores digest through the real send path (the digest
 * job's claim, the notification, delivery, SMTP), on known histories: a Berlin store whose day told is
 * the spring's 23-hour Sunday, an Auckland store whose day told is its autumn's 25-hour Sunday, the
 * repeated and the skipped hour, a restart and two sidecars at once. The Berlin digest is saved in
 * test-artifacts/mails/ (HTML, text, PNG by Chromium) and read back from the rendered page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container } from '../../sidecar/src/container';
import { localDayBounds, shiftDay } from '../../sidecar/src/domain/daily-figures';
import { digestContent } from '../../sidecar/src/domain/digest';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { zonedToUtc } from '../../sidecar/src/domain/time';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { storeDigestContent } from '../../sidecar/src/notify/digest-content';
import { ALL_STORES_SCOPE } from '../../sidecar/src/store/digests';
import { launchChromium } from '../helpers/browser';
import { runWoom } from '../helpers/cli';
import { eventually } from '../helpers/eventually';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { REDIS_URL } from '../helpers/redis';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'mails');
const JARGON = [/sidecar/i, /outbox/i, /dead letter/i, /\bRAD\b/, /heartbeat/i, /\bIANA\b/, /\bhold\b/i, /breached/i, /detector/i];

let smtp: TestSmtp;
let sidecar: SidecarHandle;
let second: Container | null = null;
let berlin: StoreCredentials;
let auckland: StoreCredentials;
let autumn: StoreCredentials;
let today: StoreCredentials;
let orderId = 0;
const receivers: HttpReceiver[] = [];

const utc = (wall: string, zone: string) => zonedToUtc(wall, zone)!;

async function insertOrders(storeId: string, orders: Array<{ at: Date; status?: string; total: number; currency: string }>): Promise<void> {
  const rows = orders.map((o) => ({
    store_id: storeId,
    order_id: ++orderId,
    status: o.status ?? 'completed',
    total: o.total,
    currency: o.currency,
    payment_method: 'stripe',
    created_via: 'checkout',
    created_at: o.at,
    status_changed_at: o.at,
    // Written now: a roll-up that ran before these rows arrived sees them as changed and computes the day again.
    updated_at: new Date(),
  }));
  for (let i = 0; i < rows.length; i += 500) await sidecar.db('orders').insert(rows.slice(i, i + 500));
}

/** Orders before registration are baseline only: the store was registered when its history began. */
async function registeredAt(storeId: string, at: Date): Promise<void> {
  await sidecar.db('stores').where({ id: storeId }).update({ created_at: at });
  await sidecar.container.rollups.rebuild(storeId);
}

const mailsAbout = (text: string) => smtp.messages.filter((m) => m.subject?.includes(text));
const waitForMail = (text: string) => smtp.waitForMessage((m) => m.subject?.includes(text) ?? false, 20_000);

const woom = (args: string[]) => runWoom(args, { DATABASE_URL: sidecar.container.config.DATABASE_URL, REDIS_URL, QUEUE_PREFIX: sidecar.prefix });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startTestSmtp();
  // The digest job looks every half second, on the real clock: the tests that pass their own `now` tell
  // days long past, whose subjects no digest of the real today can carry.
  sidecar = await startSidecar({ smtpPort: smtp.port, digestEveryMs: 500, dailyFiguresEveryMs: 3_600_000 });
  berlin = await sidecar.addStore({ name: 'Berlin Shop', url: 'https://berlin.example', timezone: 'Europe/Berlin', settings: { alert_emails: ['owner@berlin.test'] } });
  auckland = await sidecar.addStore({
    name: 'Auckland Shop',
    url: 'https://auckland.example',
    timezone: 'Pacific/Auckland',
    settings: { alert_emails: ['owner@auckland.test'], digest_weekly: true },
  });
  autumn = await sidecar.addStore({ name: 'Night Shop', url: 'https://night.example', timezone: 'Europe/Berlin', settings: { alert_emails: ['owner@night.test'], digest_hour: '02:30' } });
  today = await sidecar.addStore({ name: 'Today Shop', url: 'https://today.example', timezone: 'UTC', settings: { alert_emails: ['owner@today.test'], digest_hour: '00:00' } });

  // Berlin: eight weeks of 8 orders a day at 25 EUR, Sundays 10 at 20 EUR; nothing on Friday 27 and
  // Saturday 28 March; Sunday 29 March is the 23-hour day the clocks go forward.
  const berlinOrders: Array<{ at: Date; status?: string; total: number; currency: string }> = [];
  for (let day = '2026-02-01'; day < '2026-03-29'; day = shiftDay(day, 1)) {
    if (day === '2026-03-27' || day === '2026-03-28') continue;
    const sunday = new Date(`${day}T12:00:00Z`).getUTCDay() === 0;
    for (let i = 0; i < (sunday ? 10 : 8); i++) berlinOrders.push({ at: utc(`${day}T${String(9 + i).padStart(2, '0')}:15:00`, 'Europe/Berlin'), total: sunday ? 20 : 25, currency: 'EUR' });
  }
  berlinOrders.push(
    { at: new Date('2026-03-28T23:30:00Z'), total: 20, currency: 'EUR' }, // 00:30 CET on the 29th
    { at: new Date('2026-03-29T01:30:00Z'), total: 20, currency: 'EUR' }, // 03:30 CEST, just after the jump
    { at: new Date('2026-03-29T10:00:00Z'), status: 'failed', total: 20, currency: 'EUR' },
    { at: new Date('2026-03-29T12:00:00Z'), total: 20, currency: 'EUR' },
    { at: new Date('2026-03-29T21:30:00Z'), total: 20, currency: 'EUR' }, // 23:30 CEST, still the 29th
    { at: new Date('2026-03-29T22:30:00Z'), total: 20, currency: 'EUR' }, // 00:30 on the 30th: not told
  );
  await insertOrders(berlin.id, berlinOrders);
  // An alert opened and resolved on the 29th.
  await sidecar.db('alerts').insert({
    store_id: berlin.id,
    detector: 'order_flow',
    severity: 'warning',
    state: 'resolved',
    opened_at: new Date('2026-03-29T10:05:00Z'),
    resolved_at: new Date('2026-03-29T11:05:00Z'),
    details: '{}',
  });
  await registeredAt(berlin.id, new Date('2026-01-31T12:00:00Z'));

  // Auckland: 10 orders a day at 25 NZD; Sunday 5 April is the 25-hour day its clocks go back (03:00
  // NZDT becomes 02:00 NZST), with 3 orders, two of them at 02:30 (once in each of the two 02:30s).
  const aucklandOrders: Array<{ at: Date; total: number; currency: string }> = [];
  for (let day = '2026-02-01'; day < '2026-04-05'; day = shiftDay(day, 1)) {
    for (let i = 0; i < 10; i++) aucklandOrders.push({ at: utc(`${day}T${String(9 + i).padStart(2, '0')}:00:00`, 'Pacific/Auckland'), total: 25, currency: 'NZD' });
  }
  aucklandOrders.push(
    { at: new Date('2026-04-04T13:30:00Z'), total: 25, currency: 'NZD' }, // 02:30 NZDT
    { at: new Date('2026-04-04T14:30:00Z'), total: 25, currency: 'NZD' }, // 02:30 NZST
    { at: new Date('2026-04-05T11:30:00Z'), total: 25, currency: 'NZD' }, // 23:30 NZST
    { at: new Date('2026-04-05T12:30:00Z'), total: 25, currency: 'NZD' }, // 00:30 on the 6th: not told
  );
  await insertOrders(auckland.id, aucklandOrders);
  await registeredAt(auckland.id, new Date('2026-01-30T00:00:00Z'));
  await registeredAt(autumn.id, new Date('2026-03-01T00:00:00Z'));
}, 120_000);

afterAll(async () => {
  await second?.close();
  await sidecar?.close();
  for (const r of receivers) await r.close();
  await smtp?.close();
});

describe('store digest', () => {
  it("tells the Berlin store's 23-hour Sunday at 08:00 local time, next to the usual Sunday, with the zero days and alerts", async () => {
    const digests = sidecar.container.digests;
    // 07:59 CEST: not yet.
    expect((await digests.runDue(new Date('2026-03-30T05:59:00Z'))).filter((d) => d.scope === berlin.id)).toEqual([]);
    const sent = (await digests.runDue(new Date('2026-03-30T06:00:00Z'))).filter((d) => d.scope === berlin.id);
    expect(sent).toEqual([expect.objectContaining({ kind: 'daily', localDate: '2026-03-30' })]);

    const mail = await waitForMail('Berlin Shop yesterday (Sunday 2026-03-29)');
    expect(mail.subject).toBe('[WOOM] Berlin Shop yesterday (Sunday 2026-03-29): 2 days without orders');
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('owner@berlin.test');
    const text = mail.text ?? '';
    // 5 orders on the 29th: 00:30 CET, 03:30 CEST after the jump, 23:30 CEST; not the one at 00:30 on the 30th.
    expect(text).toContain('- orders 5; usual for a Sunday 10');
    expect(text).toContain('- revenue 80 EUR; usual for a Sunday 200 EUR');
    expect(text).toContain('- average order value 20 EUR; usual for a Sunday 20 EUR');
    expect(text).toContain('- failed or cancelled 20%; usual for a Sunday 0%');
    expect(text).toContain('- Friday 2026-03-27: no orders (critical)');
    expect(text).toContain('- Saturday 2026-03-28: no orders (critical)');
    expect(text).toContain('alerts: 1 opened, 1 resolved');
    expect(text).not.toContain('All good');
    keep('digest-berlin', mail);
  });

  it("tells the Auckland store's 25-hour Sunday, and on the Monday the week before next to the one before it", async () => {
    const digests = sidecar.container.digests;
    // The store's Slack and webhook channels get the digests too, through the same notifiers as alerts.
    const slack = await startHttpReceiver();
    const hook = await startHttpReceiver();
    receivers.push(slack, hook);
    await signed(sidecar.app, auckland, 'POST', `/v1/stores/${auckland.id}/channels`, { type: 'slack', url: slack.url }).expect(201);
    await signed(sidecar.app, auckland, 'POST', `/v1/stores/${auckland.id}/channels`, { type: 'webhook', url: hook.url }).expect(201);
    // 07:59 NZST on Monday 6 April.
    expect((await digests.runDue(new Date('2026-04-05T19:59:00Z'))).filter((d) => d.scope === auckland.id)).toEqual([]);
    const sent = (await digests.runDue(new Date('2026-04-05T20:00:00Z'))).filter((d) => d.scope === auckland.id);
    expect(sent.map((d) => [d.kind, d.localDate])).toEqual([
      ['daily', '2026-04-06'],
      ['weekly', '2026-04-06'],
    ]);
    const daily = await waitForMail('Auckland Shop yesterday (Sunday 2026-04-05)');
    expect(daily.text).toContain('- orders 3; usual for a Sunday 10');
    expect(daily.text).toContain('- revenue 75 NZD; usual for a Sunday 250 NZD');
    const weekly = await waitForMail('Auckland Shop, week of 2026-03-30 to 2026-04-05');
    expect(weekly.text).toContain('- orders 63; down 10% on the week before (70)');
    expect(weekly.text).toContain('- revenue 1,575 NZD; down 10% on the week before (1,750 NZD)');
    expect(weekly.text).toContain('Sunday 2026-04-05: 3 orders, revenue 75 NZD');
    expect(weekly.text).toContain('Monday 2026-03-30: 10 orders, revenue 250 NZD');
    const slackText = await eventually(() => slack.requests.map((r) => (JSON.parse(r.body) as { text: string }).text).find((t) => t.includes('Auckland Shop yesterday (Sunday 2026-04-05)')));
    expect(slackText).toContain('- orders 3; usual for a Sunday 10');
    const hookEvents = await eventually(() => {
      const bodies = hook.requests.map((r) => JSON.parse(r.body) as { event: string; subject: string; notification: { day?: string; from?: string } });
      const ours = bodies.filter((b) => b.notification.day === '2026-04-05' || b.notification.from === '2026-03-30');
      return ours.length === 2 ? ours : undefined;
    });
    expect(hookEvents.map((b) => b.event).sort()).toEqual(['woom.digest', 'woom.weekly_digest']);
  });

  it('sends a single "all good" line for a day as usual', async () => {
    // Auckland's Tuesday 31 March was like every Tuesday: one line, nothing else.
    await sidecar.container.digests.runDue(new Date('2026-03-31T19:00:00Z'));
    const mail = await waitForMail('Auckland Shop yesterday (Tuesday 2026-03-31)');
    expect(mail.subject).toContain(': all good');
    expect(mail.text).toContain('All good on Tuesday 2026-03-31: 10 orders, revenue 250 NZD, as usual.');
    expect(mail.text).not.toContain('usual for a Tuesday');
  });

  it('sends once in the hour the autumn repeats, and in spring at the first look after the skipped hour', async () => {
    const digests = sidecar.container.digests;
    const night = async (at: string) => (await digests.runDue(new Date(at))).filter((d) => d.scope === autumn.id);
    // Digest hour 02:30 in Berlin. 25 October: 02:30 CEST (00:30Z), then 02:30 CET again (01:30Z).
    expect(await night('2026-10-25T00:29:00Z')).toEqual([]);
    expect(await night('2026-10-25T00:30:00Z')).toEqual([expect.objectContaining({ localDate: '2026-10-25' })]);
    expect(await night('2026-10-25T01:30:00Z')).toEqual([]);
    expect(await night('2026-10-25T01:45:00Z')).toEqual([]);
    // 29 March: 02:30 never happens (01:59 CET is followed by 03:00 CEST).
    expect(await night('2026-03-29T00:59:00Z')).toEqual([]);
    expect(await night('2026-03-29T01:00:00Z')).toEqual([expect.objectContaining({ localDate: '2026-03-29' })]);
    await waitForMail('Night Shop yesterday (Saturday 2026-10-24)');
    await waitForMail('Night Shop yesterday (Saturday 2026-03-28)');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(mailsAbout('Night Shop yesterday (Saturday 2026-10-24)')).toHaveLength(1);
    expect(mailsAbout('Night Shop yesterday (Saturday 2026-03-28)')).toHaveLength(1);
  });

  it('is retried, not lost, when the sender dies after claiming it and before sending', async () => {
    const settings = { ...defaultSettings('Europe/Berlin'), alert_emails: ['owner@berlin.test'] };
    const content = digestContent({ day: '2026-01-14', figures: null, history: [], alertsOpened: 0, alertsResolved: 0, probeUptimePct: null });
    const store = (await sidecar.container.stores.find(berlin.id))!;
    // The claim and its notification are written, then nothing: the process "died" before queueing it.
    const id = await sidecar.container.digestClaims.claim(
      { scope: berlin.id, kind: 'daily', localDate: '2026-01-15', by: 'died', now: new Date() },
      { storeId: berlin.id, kind: 'digest', content: storeDigestContent(store, settings, content, new Date()) },
    );
    expect(id).toBeGreaterThan(0);
    // The upkeep job queues the pending notification; the delivery path sends it once.
    const mail = await waitForMail('Berlin Shop yesterday (Wednesday 2026-01-14)');
    expect(mail.text).toContain('no figures for the day');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mailsAbout('Berlin Shop yesterday (Wednesday 2026-01-14)')).toHaveLength(1);
    const notification = await sidecar.db('notifications').where({ id }).first();
    expect(notification.status).toBe('sent');
  });

  it("counts the store probe's runs of the day told, each run passed only when every page did", async () => {
    const run = (at: string, checkoutOk: boolean) =>
      sidecar.container.probes.insertRun(
        autumn.id,
        new Date(at),
        (['home', 'store_api', 'cart', 'checkout'] as const).map((target) => {
          const ok = target !== 'checkout' || checkoutOk;
          return { target, url: `https://night.example/${target}`, at: new Date(at), ok, failure: ok ? null : ('http_status' as const), status: ok ? 200 : 500, ttfbMs: 100, detail: ok ? 'HTTP 200' : 'HTTP 500' };
        }),
      );
    // Berlin's 15 March runs from 23:00Z on the 14th to 23:00Z on the 15th.
    await run('2026-03-14T22:59:00Z', false); // the 14th: not counted
    await run('2026-03-14T23:00:00Z', true);
    await run('2026-03-15T08:00:00Z', false);
    await run('2026-03-15T12:00:00Z', true);
    await run('2026-03-15T22:59:00Z', true);
    const { start, end } = localDayBounds('2026-03-15', 'Europe/Berlin');
    expect(await sidecar.container.digestClaims.probeUptime(autumn.id, start, end)).toBe(75);
    const quiet = localDayBounds('2026-03-10', 'Europe/Berlin');
    expect(await sidecar.container.digestClaims.probeUptime(autumn.id, quiet.start, quiet.end)).toBeNull();
  });

  it('renders readable HTML (test-artifacts/mails/digest-berlin.png)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 700, height: 900 } });
      await page.route(/^https?:/, (route) => route.abort());
      await page.goto(`file://${join(ARTIFACTS, 'digest-berlin.html')}`);
      const shown = await page.evaluate('document.body.innerText');
      expect(shown).toContain('Berlin Shop yesterday: Sunday 2026-03-29');
      expect(shown).toContain('revenue 80 EUR; usual for a Sunday 200 EUR');
      expect(shown).toContain('Friday 2026-03-27: no orders (critical)');
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(700);
      await page.screenshot({ path: join(ARTIFACTS, 'digest-berlin.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('exactly one digest per store and local day', () => {
  it('across a restart and with two sidecars on the same database and Redis, on the real clock', async () => {
    const now = new Date();
    const yesterday = shiftDay(now.toISOString().slice(0, 10), -1);
    await insertOrders(today.id, [6, 9, 14].map((h) => ({ at: new Date(`${yesterday}T${String(h).padStart(2, '0')}:00:00Z`), total: 30, currency: 'EUR' })));
    // A second sidecar, started now: its workers take digest jobs from the same queue.
    second = new Container(sidecar.container.config, { maintenanceEveryMs: 1_000, pendingAfterMs: 500, digestEveryMs: 500, dailyFiguresEveryMs: 3_600_000 });
    await second.startBackground();
    // Registered two days ago: from here on the digest of yesterday is due (digest hour 00:00 UTC).
    await registeredAt(today.id, new Date(now.getTime() - 2 * 86_400_000));
    const subject = `Today Shop yesterday (`;
    const mail = await waitForMail(subject);
    expect(mail.subject).toContain(yesterday);
    // No same weekday known yet: all good, but not "as usual".
    expect(mail.text).toContain(`All good on ${mail.subject!.match(/\((\w+) /)![1]} ${yesterday}: 3 orders, revenue 90 EUR.`);

    // Both sidecars look again at the same moment, several times: nothing more.
    for (let i = 0; i < 3; i++) {
      const [a, b] = await Promise.all([sidecar.container.digests.runDue(), second.digests.runDue()]);
      expect([...a, ...b].filter((d) => d.scope === today.id)).toEqual([]);
    }
    await sidecar.restart();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(mailsAbout(subject)).toHaveLength(1);
    const claims = (await sidecar.container.digestClaims.claims(today.id)).filter((c) => c.kind === 'daily');
    expect(claims).toEqual([expect.objectContaining({ localDate: now.toISOString().slice(0, 10) })]);
  }, 60_000);

  it('claims a day once when two sidecars decide it at the same moment', async () => {
    const at = new Date('2026-03-23T07:00:00Z'); // 08:00 CET on Monday 23 March: Berlin's Sunday 22nd
    const results = await Promise.all([sidecar.container.digests.runDue(at), second!.digests.runDue(at), sidecar.container.digests.runDue(at), second!.digests.runDue(at)]);
    expect(results.flat().filter((d) => d.scope === berlin.id)).toHaveLength(1);
    await waitForMail('Berlin Shop yesterday (Sunday 2026-03-22)');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mailsAbout('Berlin Shop yesterday (Sunday 2026-03-22)')).toHaveLength(1);
  });
});

describe('all-stores digest', () => {
  it('adds, lists and removes recipients on the command line, refusing a bad address by its option', async () => {
    const bad = await woom(['digest', 'recipients', 'add', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--email must be an e-mail address (got "not-an-address")');
    expect(await sidecar.container.digestClaims.recipients()).toEqual([]);
    const added = await woom(['digest', 'recipients', 'add', 'Boss@Woom.test']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('boss@woom.test gets the all-stores digest once a day.');
    const missing = await woom(['digest', 'recipients', 'remove', 'gone@woom.test']);
    expect([missing.code, missing.stderr.trim()]).toEqual([2, 'No digest recipient gone@woom.test']);
    const listed = await woom(['digest', 'recipients', 'list']);
    expect(listed.stdout.trim()).toBe('boss@woom.test\trecipient');
  }, 90_000);

  it('sends one message a day to the operators who opted in and the recipients, one line per store, problems first', async () => {
    await sidecar.container.operatorAccounts.add({ email: 'ops@woom.test', role: 'admin', password: 'correct horse battery' });
    await sidecar.container.operatorAccounts.add({ email: 'quiet@woom.test', role: 'viewer', password: 'correct horse battery' });
    await sidecar.container.operatorAccounts.setDigestOptIn('ops@woom.test', true);
    // 08:00 UTC (ALL_STORES_DIGEST_AT by default) on Monday 30 March, decided by both sidecars at once.
    const at = new Date('2026-03-30T08:00:00Z');
    const results = await Promise.all([sidecar.container.digests.runDue(at), second!.digests.runDue(at)]);
    expect(results.flat().filter((d) => d.kind === 'all_stores')).toEqual([expect.objectContaining({ localDate: '2026-03-30' })]);
    const subject = 'All stores on 2026-03-29';
    await eventually(() => mailsAbout(subject).length === 2);
    await new Promise((r) => setTimeout(r, 1_000));
    const mails = mailsAbout(subject);
    expect(mails.map((m) => (m.to && 'text' in m.to ? m.to.text : '')).sort()).toEqual(['boss@woom.test', 'ops@woom.test']);
    const mail = mails[0]!;
    expect(mail.subject).toMatch(/^\[WOOM\] All stores on 2026-03-29: \d of 4 stores need a look$/);
    const text = mail.text ?? '';
    const need = text.slice(text.indexOf('Need a look:'), text.indexOf('Fine:'));
    const fine = text.slice(text.indexOf('Fine:'));
    // Berlin first: two critical zero days and an alert; Auckland's Sunday was as usual.
    expect(need.split('\n')[1]).toBe(
      '- Berlin Shop: no orders on 2026-03-27 (critical); no orders on 2026-03-28 (critical); alerts: 1 opened, 1 resolved. Sunday: 5 orders, revenue 80 EUR.',
    );
    expect(fine).toContain('- Auckland Shop: no problems. Sunday: 10 orders, revenue 250 NZD, as usual.');
    expect(text.indexOf('Berlin Shop')).toBeLessThan(text.indexOf('Auckland Shop'));
    for (const name of ['Berlin Shop', 'Auckland Shop', 'Night Shop', 'Today Shop']) expect(text.split(name).length - 1, name).toBe(1);
    keep('digest-all-stores', mail);
  });
});

describe('digest settings', () => {
  it('refuses a bad value with 400 naming the field and changes nothing', async () => {
    const before = (await signed(sidecar.app, berlin, 'GET', `/v1/stores/${berlin.id}/settings`)).body.settings;
    for (const [change, field] of [
      [{ digest_hour: '8am' }, 'digest_hour'],
      [{ digest_hour: '24:00' }, 'digest_hour'],
      [{ digest_enabled: 'yes' }, 'digest_enabled'],
      [{ digest_weekly: null }, 'digest_weekly'],
    ] as const) {
      const res = await signed(sidecar.app, berlin, 'PUT', `/v1/stores/${berlin.id}/settings`, change);
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    expect((await signed(sidecar.app, berlin, 'GET', `/v1/stores/${berlin.id}/settings`)).body.settings).toEqual(before);
    expect(before).toMatchObject({ digest_enabled: true, digest_hour: '08:00', digest_weekly: false });
  });

  it('shows the digest in the settings page and saves it from the form', async () => {
    const path = `/v1/stores/${berlin.id}/pages/settings?part=notifications`;
    const page = await signed(sidecar.app, berlin, 'GET', path);
    expect(page.text).toContain('<h2>Daily summary</h2>');
    expect(page.text).toMatch(/id="woom-digest_hour" name="digest_hour" value="08:00"/);
    const form = new URLSearchParams({ part: 'notifications', digest_enabled: '0', digest_hour: '25:00', digest_weekly: '1' }).toString();
    const refused = await postForm(form);
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/<a href="#woom-digest_hour">Send the summary at<\/a>: must be a time of day as HH:MM/);
    const good = new URLSearchParams([['part', 'notifications'], ['digest_enabled', '0'], ['digest_hour', '06:30'], ['digest_weekly', '0'], ['digest_weekly', '1']]).toString();
    const saved = await postForm(good);
    expect(saved.status).toBe(200);
    expect((await signed(sidecar.app, berlin, 'GET', `/v1/stores/${berlin.id}/settings`)).body.settings).toMatchObject({ digest_enabled: false, digest_hour: '06:30', digest_weekly: true });
    // Off means off: no digest for Berlin's next day.
    expect((await sidecar.container.digests.runDue(new Date('2026-04-10T06:00:00Z'))).filter((d) => d.scope === berlin.id)).toEqual([]);
    expect(await sidecar.container.digestClaims.claimed(berlin.id, 'daily', '2026-04-10')).toBe(false);
  });
});

function postForm(form: string) {
  const path = `/v1/stores/${berlin.id}/pages/settings`;
  return request(sidecar.app).post(path).set(signedHeaders(berlin, 'POST', path, form)).set('Content-Type', 'application/x-www-form-urlencoded').send(form);
}

/** Saves the mail and checks it says none of our words. */
function keep(name: string, mail: ParsedMail): void {
  const text = mail.text ?? '';
  writeFileSync(join(ARTIFACTS, `${name}.txt`), `Subject: ${mail.subject}\n\n${text}`);
  writeFileSync(join(ARTIFACTS, `${name}.html`), String(mail.html));
  for (const word of JARGON) {
    expect(text, `${name}.txt says ${word}`).not.toMatch(word);
    expect(String(mail.html).replace(/<[^>]+>/g, ' '), `${name}.html says ${word}`).not.toMatch(word);
  }
}

// Last: the stores it adds would be lines of the all-stores digests told above.
describe('digest runs on a time budget', () => {
  it('leaves the digests past its time budget to the next run, which sends them', async () => {
    // Three stores with one digest hour (as thousands after an import): a run with no time to spare
    // sends one digest and stops; the runs after it send the others, each once.
    const at = new Date('2026-05-20T03:00:00Z');
    const crowd: StoreCredentials[] = [];
    for (const name of ['Crowd A', 'Crowd B', 'Crowd C']) {
      const shop = await sidecar.addStore({ name, url: 'https://crowd.example', timezone: 'UTC', settings: { alert_emails: ['owner@crowd.test'], digest_hour: '03:00' } });
      await registeredAt(shop.id, new Date('2026-05-01T00:00:00Z'));
      crowd.push(shop);
    }
    const told: string[] = [];
    for (let run = 0; run < 10 && told.length < 3; run++) {
      const sent = (await sidecar.container.digests.runDue(at, { budgetMs: 0 })).filter((d) => d.scope !== ALL_STORES_SCOPE);
      expect(sent.length).toBeLessThanOrEqual(1);
      told.push(...sent.filter((d) => crowd.some((c) => c.id === d.scope)).map((d) => d.scope));
    }
    expect(told.sort()).toEqual(crowd.map((c) => c.id).sort());
    for (const shop of crowd) expect((await sidecar.container.digestClaims.claims(shop.id)).filter((c) => c.localDate === '2026-05-20')).toHaveLength(1);
  });
});
