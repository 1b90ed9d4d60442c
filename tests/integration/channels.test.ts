import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let smtp: TestSmtp;
let sidecar: SidecarHandle;
let slack: HttpReceiver;
let hook: HttpReceiver;

beforeAll(async () => {
  smtp = await startTestSmtp();
  slack = await startHttpReceiver();
  hook = await startHttpReceiver();
  sidecar = await startSidecar({ smtpPort: smtp.port, notifyBackoffMs: 200 });
});
afterAll(async () => {
  await sidecar?.close();
  await Promise.all([smtp?.close(), slack?.close(), hook?.close()]);
});

async function storeWithChannels(name: string): Promise<{ store: StoreCredentials; secret: string; slackId: number; hookId: number }> {
  const store = await sidecar.addStore({ name, url: `https://${name.toLowerCase()}.example`, timezone: 'UTC', settings: { mode: 'rolling_average', check_interval_minutes: 1440, alert_emails: ['owner@shop.example'] } });
  const s = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'slack', url: slack.url });
  expect(s.status).toBe(201);
  expect(s.body.secret).toBeUndefined();
  const w = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'webhook', url: hook.url });
  expect(w.status).toBe(201);
  expect(w.body.secret).toMatch(/^whsec_/);
  return { store, secret: w.body.secret, slackId: s.body.channel.id, hookId: w.body.channel.id };
}


describe('Slack and webhook channels', () => {
  it('send every alert to each channel, retrying receivers that fail or time out, recording every attempt', async () => {
    slack.plan.push(500);
    hook.plan.push('timeout', 503);
    const { store, secret, slackId, hookId } = await storeWithChannels('Channelshop');
    const slackBefore = slack.requests.length;
    const hookBefore = hook.requests.length;
    await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: Array.from({ length: 3 }, () => orderEvent({ to: 'failed' })) }).expect(202);

    const notification = await eventually(async () => sidecar.db('notifications').where({ store_id: store.id, kind: 'alert', status: 'sent' }).first(), 20_000);
    const slackCalls = slack.requests.slice(slackBefore);
    const hookCalls = hook.requests.slice(hookBefore);
    expect(slackCalls.map((r) => r.answered)).toEqual([500, 200]);
    expect(hookCalls.map((r) => r.answered)).toEqual(['timeout', 503, 200]);

    expect(JSON.parse(slackCalls[1]!.body).text).toMatch(/^\*\[WOOM CRITICAL\] 3 of the last 3 orders failed at Channelshop\*\n/);
    const delivered = hookCalls[2]!;
    const expected = `sha256=${createHmac('sha256', secret).update(`${delivered.headers['x-woom-timestamp']}.${delivered.body}`).digest('hex')}`;
    expect(delivered.headers['x-woom-signature']).toBe(expected);
    const payload = JSON.parse(delivered.body);
    expect(payload).toMatchObject({ event: 'woom.alert', notification_id: Number(notification.id), notification: { kind: 'alert', severity: 'critical' } });
    expect(payload.notification.findings[0].summary).toBe('3 of the last 3 orders failed (100%), threshold 70%');

    const rows = await sidecar.db('deliveries').where({ notification_id: notification.id }).orderBy('id');
    const byTarget = (label: string) => rows.filter((r: { recipient: string }) => r.recipient === label).map((r: { status: string }) => r.status);
    expect(byTarget('owner@shop.example')).toEqual(['sent']);
    expect(byTarget(`slack #${slackId}`)).toEqual(['retrying', 'sent']);
    expect(byTarget(`webhook #${hookId} (${new URL(hook.url).host})`)).toEqual(['retrying', 'retrying', 'sent']);
    expect(smtp.messages.filter((m) => m.subject?.includes('Channelshop'))).toHaveLength(1);
  });

  it('does not retry a receiver that refuses for good (404), and shows it as failed', async () => {
    hook.plan.push(404);
    const { store, hookId } = await storeWithChannels('Goneshop');
    await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: Array.from({ length: 3 }, () => orderEvent({ to: 'failed' })) }).expect(202);
    const notification = await eventually(async () => sidecar.db('notifications').where({ store_id: store.id, kind: 'alert' }).whereNot({ status: 'pending' }).first(), 20_000);
    expect(notification.status).toBe('partial');
    const rows = await sidecar.db('deliveries').where({ notification_id: notification.id, channel: 'webhook' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ recipient: `webhook #${hookId} (${new URL(hook.url).host})`, status: 'failed' });
    expect(rows[0].response).toMatch(/HTTP 404/);
  });

  it('the test notification goes to every channel and reports each result', async () => {
    const { store, slackId, hookId } = await storeWithChannels('Testchannels');
    const res = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/test-notification`);
    expect(res.body.ok).toBe(true);
    expect(res.body.message).toContain('owner@shop.example: 250');
    // Only the status: a receiver's body is never shown back to the store (issue 16).
    expect(res.body.message).toMatch(new RegExp(`slack #${slackId}: HTTP 200(;|$)`));
    expect(res.body.message).toContain(`webhook #${hookId} (${new URL(hook.url).host}): HTTP 200`);
    expect(res.body.message).not.toContain('HTTP 200 ok');
    expect(JSON.parse(hook.requests.at(-1)!.body).event).toBe('woom.test');
  });

  it('the test notification answers within its budget with each target\'s own result: one failing, one still answering', async () => {
    // Receivers of its own, and a webhook time-out far beyond the budget: the hanging receiver answers
    // only when the test releases it, so "still trying" does not depend on how fast this machine is.
    const failing = await startHttpReceiver();
    const hanging = await startHttpReceiver();
    const patient = await startSidecar({ smtpPort: smtp.port, webhookTimeoutMs: 60_000, testNotificationBudgetMs: 2_000 });
    try {
      const store = await patient.addStore({ name: 'Budgetshop', url: 'https://budgetshop.example', timezone: 'UTC', settings: { mode: 'rolling_average', check_interval_minutes: 1440, alert_emails: ['owner@budget.example'] } });
      const slackChannel = (await signed(patient.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'slack', url: failing.url }).expect(201)).body.channel;
      const hookChannel = (await signed(patient.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'webhook', url: hanging.url }).expect(201)).body.channel;
      failing.plan.push(500);
      hanging.plan.push('timeout');

      const res = await signed(patient.app, store, 'POST', `/v1/stores/${store.id}/test-notification`);
      expect(res.status).toBe(200);
      expect(res.body.ok).toBe(false);
      const hookLabel = `webhook #${hookChannel.id} (${new URL(hanging.url).host})`;
      expect(res.body.message).toContain('owner@budget.example: 250');
      expect(res.body.message).toContain(`slack #${slackChannel.id}: ${new URL(failing.url).host} answered HTTP 500`);
      expect(res.body.message).toContain(`${hookLabel}: no answer yet after 2 s, still trying`);
      // Answered while the webhook was still waiting: the targets were tried side by side.
      expect(hanging.requests.map((r) => r.answered)).toEqual(['timeout']);

      hanging.release(200);
      const notification = await eventually(async () => patient.db('notifications').where({ store_id: store.id, kind: 'test' }).whereNot({ status: 'pending' }).first(), 15_000);
      expect(notification.status).toBe('partial');
      const rows = await patient.db('deliveries').where({ notification_id: notification.id }).orderBy('id');
      expect(Object.fromEntries(rows.map((r: { recipient: string; status: string }) => [r.recipient, r.status]))).toEqual({
        'owner@budget.example': 'sent',
        [`slack #${slackChannel.id}`]: 'failed',
        [hookLabel]: 'sent',
      });
    } finally {
      await patient.close();
      await Promise.all([failing.close(), hanging.close()]);
    }
  });

  it('lists channels without their secrets, refuses bad ones naming the field, and removes them', async () => {
    const { store, secret, hookId } = await storeWithChannels('Listshop');
    const list = await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/channels`);
    expect(list.body.channels.map((c: { type: string }) => c.type)).toEqual(['slack', 'webhook']);
    expect(JSON.stringify(list.body)).not.toContain('secret-token');
    expect(JSON.stringify(list.body)).not.toContain(secret);
    for (const [bad, field] of [[{ type: 'pager', url: hook.url }, 'type'], [{ type: 'slack', url: 'ftp://x' }, 'url'], [{ type: 'slack' }, 'url']] as const) {
      const res = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, bad);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe(field);
    }
    const other = await sidecar.addStore({ name: 'Other', url: 'https://other.example', timezone: 'UTC' });
    expect((await signed(sidecar.app, other, 'DELETE', `/v1/stores/${other.id}/channels/${hookId}`)).status).toBe(404);
    expect((await signed(sidecar.app, store, 'DELETE', `/v1/stores/${store.id}/channels/${hookId}`)).status).toBe(204);
    expect((await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/channels`)).body.channels).toHaveLength(1);
  });
});
