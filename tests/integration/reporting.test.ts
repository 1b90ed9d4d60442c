import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { startWooCommerceRest, type WooCommerceRestStandin } from '../helpers/woocommerce-rest';

let smtp: TestSmtp;
let rest: WooCommerceRestStandin;
let sidecar: SidecarHandle;

beforeAll(async () => {
  smtp = await startTestSmtp();
  rest = await startWooCommerceRest();
  // A 15-minute check interval lasts 1.5 s here.
  sidecar = await startSidecar({ smtpPort: smtp.port, minuteMs: 100 });
});
afterAll(async () => {
  await sidecar?.close();
  await Promise.all([smtp?.close(), rest?.close()]);
});

const heartbeat = (minutesAgo: number) => ({ id: crypto.randomUUID(), type: 'heartbeat', occurred_at: new Date(Date.now() - minutesAgo * 60_000).toISOString() });
const mailsFor = (name: string) => smtp.messages.filter((m) => m.subject?.endsWith(` at ${name}`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function store(name: string, url: string): Promise<StoreCredentials> {
  const s = await sidecar.addStore({ name, url, timezone: 'UTC', settings: { mode: 'hybrid', threshold_peak: 3, threshold_off_peak: 3, alert_emails: ['owner@shop.example'] } });
  await signed(sidecar.app, s, 'PUT', `/v1/stores/${s.id}/rest-credentials`, { consumer_key: rest.consumerKey, consumer_secret: rest.consumerSecret }).expect(200);
  return s;
}

describe('knowing when the monitor is blind', () => {
  it('raises "WordPress stopped reporting" instead of an order alert, says the site answers, and resolves when WordPress is back', async () => {
    const shop = await store('Silentshop', rest.url);
    // The console hears of the blind alert opening and resolving (StoreProblemAlerts tells it).
    const heard: string[] = [];
    const stopListening = await sidecar.container.live.subscribe((e) => {
      if (e.storeId === shop.id && e.type.startsWith('alert.')) heard.push(e.type);
    });
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [heartbeat(20)] }).expect(202);

    const blind = await smtp.waitForMessage((m) => m.subject === '[WOOM CRITICAL] WordPress stopped reporting at Silentshop');
    expect(blind.text).toMatch(/last sent us news at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(20 min ago\)/);
    expect(blind.text).toContain('When we asked your store directly: your store answers, so WordPress runs');
    // Several scheduled checks later: still one notice, and no order alert although no order came.
    await sleep(4_000);
    expect(mailsFor('Silentshop')).toHaveLength(1);
    const alerts = await sidecar.db('alerts').where({ store_id: shop.id });
    expect(alerts.map((a: { detector: string; state: string }) => `${a.detector}:${a.state}`)).toEqual(['reporting:open']);
    const status = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/status`)).body;
    expect(status.detectors.reporting).toMatchObject({ state: 'alerting', summary: expect.stringMatching(/has not reported for 2\d minutes/) });

    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [heartbeat(0)] }).expect(202);
    const back = await smtp.waitForMessage((m) => m.subject === '[WOOM] Resolved: WordPress is reporting again at Silentshop');
    expect(back.text).toMatch(/reported again at .* after 2\d min of silence/);
    expect((await sidecar.db('alerts').where({ store_id: shop.id, detector: 'reporting' }).first()).state).toBe('resolved');
    await eventually(() => heard.includes('alert.resolved'), 10_000);
    expect(heard.slice(0, 2)).toEqual(['alert.opened', 'alert.resolved']);
    stopListening();
    // Order monitoring resumes: no successful order in the window is an order alert again.
    const orderAlert = await smtp.waitForMessage((m) => /^\[WOOM (WARNING|CRITICAL)\] Only 0 successful orders in 15 minutes at Silentshop$/.test(m.subject ?? ''));
    expect(orderAlert.text).toContain('Paid orders in the last check period: ');
  });

  it('"Run check now" does not judge orders while WordPress is silent either: it answers why; the silence is counted', async () => {
    const shop = await store('Mutedshop', rest.url);
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [heartbeat(25)] }).expect(202);
    const res = await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/check`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'wordpress_silent', message: expect.stringMatching(/^Not run: WordPress has not reported for 2\d minutes .*Order checks pause while WordPress is silent/) });
    expect(await sidecar.db('check_runs').where({ store_id: shop.id, trigger: 'manual' })).toHaveLength(0);
    const alerts = await sidecar.db('alerts').where({ store_id: shop.id });
    expect(alerts.map((a: { detector: string }) => a.detector)).toEqual(['reporting']);

    // Skipped checks, manual and scheduled, still count; the store's own alert counts as an alert.
    const metric = (text: string, labels: string[]) => Number(text.split('\n').find((l) => labels.every((label) => l.includes(label)))?.split(' ').at(-1));
    const text = await eventually(async () => {
      const body = (await request(sidecar.app).get('/metrics')).text;
      return metric(body, ['woom_checks_total{', `store="${shop.id}"`, 'trigger="schedule"', 'decision="skipped"']) >= 1 ? body : null;
    });
    expect(metric(text, ['woom_checks_total{', `store="${shop.id}"`, 'trigger="manual"', 'decision="skipped"'])).toBe(1);
    expect(metric(text, ['woom_alerts_total{', `store="${shop.id}"`, 'detector="reporting"'])).toBe(1);
  });

  it('says when the store does not answer at all', async () => {
    const shop = await store('Downshop', 'http://127.0.0.1:9');
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [heartbeat(30)] }).expect(202);
    const blind = await smtp.waitForMessage((m) => m.subject === '[WOOM CRITICAL] WordPress stopped reporting at Downshop');
    expect(blind.text).toMatch(/When we asked your store directly: the store does not answer at all: the site may be down/);
  });

  it('stays quiet for a store that has never reported', async () => {
    const shop = await store('Newshop', rest.url);
    await sleep(3_500);
    expect(mailsFor('Newshop')).toHaveLength(0);
    const status = (await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/status`)).body;
    expect(status.detectors.reporting.state).toBe('learning');
  });
});
