import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
let sidecar: SidecarHandle;
let shop: StoreCredentials;

beforeAll(async () => {
  smtp = await startTestSmtp();
  sidecar = await startSidecar({ smtpPort: smtp.port });
  shop = await sidecar.addStore({ name: 'Metered', url: 'https://metered.example', timezone: 'UTC', settings: { mode: 'rolling_average', alert_emails: ['ops@metered.example'] } });
});
afterAll(async () => {
  await sidecar?.close();
  await smtp?.close();
});

const metric = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((label) => l.includes(label)));
  return line ? Number(line.split(' ').at(-1)) : undefined;
};

describe('GET /metrics', () => {
  it('counts events, checks, alerts and deliveries, and reports the bridge outbox from heartbeats', async () => {
    const oldest = new Date(Date.now() - 90_000).toISOString();
    const failed = Array.from({ length: 3 }, () => orderEvent({ to: 'failed' }));
    await signed(sidecar.app, shop, 'POST', '/v1/events', {
      store: shop.id,
      events: [...failed, { id: crypto.randomUUID(), type: 'heartbeat', occurred_at: new Date().toISOString(), data: { outbox_size: 12, oldest_event_at: oldest } }],
    }).expect(202);
    await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [failed[0]] }).expect(202);
    await smtp.waitForMessage((m) => m.subject?.includes('Metered') ?? false);
    await signed(sidecar.app, shop, 'POST', `/v1/stores/${shop.id}/check`).expect(200);

    let text = '';
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const res = await request(sidecar.app).get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      text = res.text;
      if (metric(text, 'woom_deliveries_total', 'result="sent"')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const store = `store="${shop.id}"`;
    expect(metric(text, 'woom_events_ingested_total', `${store},result="accepted"`)).toBe(4);
    expect(metric(text, 'woom_events_ingested_total', `${store},result="duplicate"`)).toBe(1);
    expect(metric(text, 'woom_alerts_total', `${store},detector="rolling_average"`)).toBe(1);
    expect(metric(text, 'woom_checks_total', `${store},trigger="manual"`)).toBe(1);
    expect(metric(text, 'woom_checks_total', `${store},trigger="event"`)).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'woom_deliveries_total', 'channel="email",result="sent"')).toBe(1);
    expect(metric(text, 'woom_bridge_outbox_events', store)).toBe(12);
    expect(metric(text, 'woom_bridge_outbox_lag_seconds', store)).toBeGreaterThanOrEqual(89);
  });

  it('asks for METRICS_TOKEN when one is set', async () => {
    const guarded = await startSidecar({ metricsToken: 'a-very-long-metrics-token' });
    try {
      expect((await request(guarded.app).get('/metrics')).status).toBe(401);
      expect((await request(guarded.app).get('/metrics').set('Authorization', 'Bearer a-very-long-metrics-token')).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('JSON logs', () => {
  it('write one line per check and one per delivery attempt, each with what it was about', async () => {
    const lines: string[] = [];
    // The sidecar's own logger, writing its JSON lines here instead of stdout.
    // At debug: a check that decides nothing is logged at debug (it is a check_runs row already), a decision at info.
    const log = pino({ level: 'debug', base: { service: 'woom-sidecar' } }, { write: (line: string) => void lines.push(line) });
    const logged = await startSidecar({ smtpPort: smtp.port, log });
    try {
      const shop = await logged.addStore({ name: 'Logshop', url: 'https://logshop.example', timezone: 'UTC', settings: { mode: 'rolling_average', check_interval_minutes: 1440, alert_emails: ['a@logshop.example', 'b@logshop.example'] } });
      // A new store is checked once at once; its next scheduled check is at its point of the day, so the events' check (RAD alone) opens the alert.
      await eventually(async () => (await logged.db('check_runs').where({ store_id: shop.id, trigger: 'schedule' })).length > 0);
      await signed(logged.app, shop, 'POST', '/v1/events', { store: shop.id, events: Array.from({ length: 3 }, () => orderEvent({ to: 'failed' })) }).expect(202);
      await eventually(async () => (await logged.db('notifications').where({ store_id: shop.id, kind: 'alert', status: 'sent' })).length === 1);
      await signed(logged.app, shop, 'POST', `/v1/stores/${shop.id}/check`).expect(200);

      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e.storeId === shop.id);
      const runs = await logged.db('check_runs').where({ store_id: shop.id }).orderBy('id');
      const checks = entries.filter((e) => e.event === 'check');
      expect(checks.map((e) => `${e.trigger}:${e.decision}`)).toEqual(runs.map((r: { trigger: string; decision: string }) => `${r.trigger}:${r.decision}`));
      expect(checks.find((e) => e.decision === 'open')).toMatchObject({ service: 'woom-sidecar', mode: 'rolling_average', level: 30, results: expect.arrayContaining([expect.objectContaining({ detector: 'rolling_average', breached: true })]) });
      expect(checks.find((e) => e.decision === 'none')).toMatchObject({ trigger: 'schedule', level: 20 });

      const deliveries = await logged.db('deliveries').orderBy('id');
      const sent = entries.filter((e) => e.event === 'delivery');
      expect(sent.map((e) => `${e.recipient}:${e.status}`).sort()).toEqual(deliveries.map((d: { recipient: string; status: string }) => `${d.recipient}:${d.status}`).sort());
      expect(sent[0]).toMatchObject({ channel: 'email', kind: 'alert', attempt: 1, status: 'sent', response: expect.stringMatching(/^250 /) });

      // A check not run because WordPress fell silent still writes its line, saying why.
      await logged.db('stores').where({ id: shop.id }).update({ last_contact_at: new Date(Date.now() - 20 * 60_000) });
      await signed(logged.app, shop, 'POST', `/v1/stores/${shop.id}/check`).expect(409);
      const skipped = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e.storeId === shop.id && e.event === 'check' && e.decision === 'skipped');
      expect(skipped).toEqual([expect.objectContaining({ trigger: 'manual', reason: expect.stringMatching(/^WordPress has not reported for 20 minutes/) })]);
    } finally {
      await logged.close();
    }
  });
});
