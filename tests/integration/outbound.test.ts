import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';

// A real deployment: no OUTBOUND_ALLOW, so the 127.0.0.1 receiver stands for a service on our network.
let strict: SidecarHandle;
// The tests' usual set-up, allowing 127.0.0.1.
let allowed: SidecarHandle;
let receiver: HttpReceiver;
let talkative: Server;
let talkativeUrl: string;

beforeAll(async () => {
  [strict, allowed, receiver] = await Promise.all([startSidecar({ outboundAllow: '' }), startSidecar(), startHttpReceiver()]);
  talkative = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('INTERNAL ADMIN PAGE: db password hunter2'));
  await new Promise<void>((resolve) => talkative.listen(0, '127.0.0.1', () => resolve()));
  talkativeUrl = `http://127.0.0.1:${(talkative.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  talkative?.closeAllConnections();
  await Promise.all([strict?.close(), allowed?.close(), receiver?.close(), new Promise((resolve) => talkative?.close(resolve))]);
});

const channelsPath = (store: StoreCredentials) => `/v1/stores/${store.id}/channels`;

describe('Slack and webhook URLs off the public internet (item 1)', () => {
  it('refuses a channel whose URL names or resolves to a non-public address, in any spelling', async () => {
    const store = await strict.addStore({ name: 'Strict', url: 'https://strict.example', timezone: 'UTC' });
    const port = new URL(receiver.url).port;
    const internal = [
      receiver.url,
      `http://localhost:${port}/`,
      `http://2130706433:${port}/`,
      `http://0x7f.0.0.1:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      'http://[::]/',
      'http://0.0.0.0/',
      'http://10.1.2.3/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/',
      'http://[fe80::1]/',
      'http://[fd00::2]/',
      'http://224.0.0.1/',
    ];
    for (const url of internal) {
      const res = await signed(strict.app, store, 'POST', channelsPath(store), { type: 'webhook', url });
      expect({ url, status: res.status, field: res.body.errors?.[0]?.field }).toEqual({ url, status: 400, field: 'url' });
    }
    expect((await signed(strict.app, store, 'GET', channelsPath(store))).body.channels).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it('checks the address again when it connects, so a name that changed its answer is still refused', async () => {
    const store = await strict.addStore({ name: 'Rebound', url: 'https://rebound.example', timezone: 'UTC' });
    const before = receiver.requests.length;
    // As if hooks.example.com had resolved to a public address when saved and to 127.0.0.1 now.
    const [id] = await strict.db('notification_channels').insert({
      store_id: store.id,
      type: 'slack',
      url: `http://localhost:${new URL(receiver.url).port}/services/x`,
      created_at: new Date(),
    });
    const res = await signed(strict.app, store, 'POST', `/v1/stores/${store.id}/test-notification`, {});
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(res.body.message).toContain(`slack #${id}: localhost:${new URL(receiver.url).port} refused`);
    expect(receiver.requests.length).toBe(before);
    const deliveries = await strict.db('deliveries').where({ recipient: `slack #${id}` }).select('status');
    expect(deliveries.map((d) => d.status)).toEqual(['failed']);
  });

  it('answers with the receiver status only, never its body', async () => {
    const store = await allowed.addStore({ name: 'Quiet', url: 'https://quiet.example', timezone: 'UTC' });
    const added = await signed(allowed.app, store, 'POST', channelsPath(store), { type: 'webhook', url: talkativeUrl });
    expect(added.status).toBe(201);
    const res = await signed(allowed.app, store, 'POST', `/v1/stores/${store.id}/test-notification`, {});
    expect(res.body).toMatchObject({ ok: true });
    expect(res.body.message).toMatch(new RegExp(`webhook #${added.body.channel.id}.*: HTTP 200`));
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    const stored = await allowed.db('deliveries').where({ recipient: `webhook #${added.body.channel.id}` }).pluck('response');
    expect(stored.join(' ')).not.toContain('hunter2');
  });

  it('keeps at most 10 channels per store', async () => {
    const store = await allowed.addStore({ name: 'Many', url: 'https://many.example', timezone: 'UTC' });
    for (let i = 0; i < 10; i += 1) {
      expect((await signed(allowed.app, store, 'POST', channelsPath(store), { type: 'slack', url: `${receiver.url}/c${i}` })).status).toBe(201);
    }
    const eleventh = await signed(allowed.app, store, 'POST', channelsPath(store), { type: 'slack', url: `${receiver.url}/c10` });
    expect(eleventh.status).toBe(409);
    expect(eleventh.body.errors[0].field).toBe('(channels)');
    expect((await signed(allowed.app, store, 'GET', channelsPath(store))).body.channels).toHaveLength(10);
  });

  it('sends at most 5 test notifications a minute per store, then 429 with Retry-After', async () => {
    const store = await allowed.addStore({ name: 'Clicky', url: 'https://clicky.example', timezone: 'UTC' });
    expect((await signed(allowed.app, store, 'POST', channelsPath(store), { type: 'slack', url: receiver.url })).status).toBe(201);
    const path = `/v1/stores/${store.id}/test-notification`;
    for (let i = 0; i < 5; i += 1) expect((await signed(allowed.app, store, 'POST', path, { click: i })).status).toBe(200);
    const sixth = await signed(allowed.app, store, 'POST', path, { click: 5 });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await allowed.db('notifications').where({ store_id: store.id, kind: 'test' }).count({ n: '*' })).toEqual([{ n: 5 }]);
    // Another store is not held back by this one.
    const other = await allowed.addStore({ name: 'Other', url: 'https://other.example', timezone: 'UTC', settings: { alert_emails: ['ops@other.example'] } });
    expect((await signed(allowed.app, other, 'POST', `/v1/stores/${other.id}/test-notification`, {})).status).toBe(200);
  });
});
