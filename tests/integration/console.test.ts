import http from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { orderEvent, signed } from '../helpers/signing';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';

let a: SidecarHandle;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  a = await startSidecar({ loginLimits: { perAccount: 3, perIp: 50, windowSeconds: 60 } });
  await a.container.operatorAccounts.add({ email: 'admin@example.com', role: 'admin', password: PASSWORD });
  await a.container.operatorAccounts.add({ email: 'viewer@example.com', role: 'viewer', password: PASSWORD });
});
afterAll(async () => {
  await a?.close();
});

/** Signs in through the login form as a browser does: its CSRF cookie and field, then the session cookie. */
async function signIn(app: SidecarHandle['app'], email: string, password = PASSWORD) {
  const agent = request.agent(app);
  const form = await agent.get('/console/login').expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
  const res = await agent.post('/console/login').type('form').send({ email, password, _csrf: csrf });
  return { agent, res };
}

describe('operator console', () => {
  it('signs in with an HttpOnly SameSite=Lax session cookie, shows the overview, signs out', async () => {
    const { agent, res } = await signIn(a.app, 'admin@example.com');
    expect(res.status).toBe(303);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('woom_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect((await a.db('console_sessions').count({ n: '*' }))[0]).toEqual({ n: 1 });
    await a.addStore({ name: 'Overview Shop', url: 'https://o.example', timezone: 'UTC' });
    const page = await agent.get('/console').expect(200);
    expect(page.text).toContain('Overview Shop');
    expect(page.text).not.toMatch(/<script>/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await agent.post('/console/logout').type('form').send({}).expect(403);
    await agent.post('/console/logout').type('form').send({ _csrf: csrf }).expect(303);
    await agent.get('/console').expect(303);
    expect((await a.db('console_sessions').count({ n: '*' }))[0]).toEqual({ n: 0 });
  });

  it('refuses a login without its CSRF token and locks an account after repeated failures', async () => {
    await request(a.app).post('/console/login').type('form').send({ email: 'admin@example.com', password: PASSWORD }).expect(403);
    for (let i = 0; i < 3; i += 1) expect((await signIn(a.app, 'viewer@example.com', 'wrong password!!')).res.status).toBe(401);
    const locked = await signIn(a.app, 'viewer@example.com');
    expect(locked.res.status).toBe(429);
    expect(locked.res.text).toMatch(/Too many failed sign-ins for this account\. Try again in \d+ minute/);
  });

  it('a viewer reads but cannot write; a write without the CSRF header is refused', async () => {
    const store = await a.addStore({ name: 'Csrf Shop', url: 'https://c.example', timezone: 'UTC' });
    const { agent } = await signIn(a.app, 'admin@example.com');
    const page = await agent.get('/console').expect(200);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    await agent.post(`/api/v1/stores/${store.id}/pause`).expect(403);
    await agent.post(`/api/v1/stores/${store.id}/pause`).set('X-CSRF-Token', csrf).expect(200);
    await agent.get('/console/tokens').expect(200);
    await a.container.operatorAccounts.add({ email: 'v2@example.com', role: 'viewer', password: PASSWORD });
    const viewer = (await signIn(a.app, 'v2@example.com')).agent;
    const vpage = await viewer.get('/console').expect(200);
    const vcsrf = /name="csrf-token" content="([^"]+)"/.exec(vpage.text)![1]!;
    await viewer.post(`/api/v1/stores/${store.id}/resume`).set('X-CSRF-Token', vcsrf).expect(403);
    await viewer.get('/console/tokens').expect(403);
    await viewer.get(`/api/v1/stores/${store.id}`).expect(200);
  });

  it('an admin turns the all-stores digest on and off for an operator', async () => {
    const { agent } = await signIn(a.app, 'admin@example.com');
    const page = await agent.get('/console/operators').expect(200);
    expect(page.text).toContain('<th scope="col">All-stores digest</th>');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    await agent.post('/console/operators/digest').type('form').send({ email: 'viewer@example.com', digest: 'on' }).expect(403);
    await agent.post('/console/operators/digest').type('form').send({ _csrf: csrf, email: 'viewer@example.com', digest: 'on' }).expect(303);
    expect(await a.container.operators.digestOptedIn()).toEqual(['viewer@example.com']);
    expect((await agent.get('/console/operators').expect(200)).text).toContain('aria-label="Stop the all-stores digest for viewer@example.com"');
    const bad = await agent.post('/console/operators/digest').type('form').send({ _csrf: csrf, email: 'viewer@example.com', digest: 'maybe' }).expect(400);
    expect(bad.text).toContain('digest must be on or off');
    await agent.post('/console/operators/digest').type('form').send({ _csrf: csrf, email: 'nobody@example.com', digest: 'on' }).expect(400);
    await agent.post('/console/operators/digest').type('form').send({ _csrf: csrf, email: 'viewer@example.com', digest: 'off' }).expect(303);
    expect(await a.container.operators.digestOptedIn()).toEqual([]);
  });

  it("the store page's settings form saves through the WordPress tab's service with the CSRF token, names a bad field and saves nothing, refuses a viewer", async () => {
    const store = await a.addStore({ name: 'Settings Shop', url: 'https://settings.example', timezone: 'Europe/Berlin' });
    const { agent } = await signIn(a.app, 'admin@example.com');
    const page = await agent.get(`/console/stores/${store.id}`).expect(200);
    expect(page.text).toContain('class="woom-settings-form"');
    expect(page.text).toContain(`data-api="POST /api/v1/stores/${store.id}/channels"`);
    const csrf = /<form method="post" class="woom-settings-form"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const settingsNow = async () => JSON.parse((await a.db('store_settings').where({ store_id: store.id }).first()).settings);
    const history = async () => Number(((await a.db('settings_history').where({ store_id: store.id }).count({ n: '*' }))[0] as { n: number }).n);
    const before = await settingsNow();
    const historyBefore = await history();

    // Without the token: refused, nothing saved.
    await agent.post(`/console/stores/${store.id}`).type('form').send({ part: 'notifications', cooldown_minutes: '45' }).expect(403);
    // A value that is not a number, and one the settings schema refuses: each named, nothing saved.
    const notNumber = await agent.post(`/console/stores/${store.id}`).type('form').send({ _csrf: csrf, part: 'notifications', cooldown_minutes: 'soon', alert_emails: 'ops@settings.example' }).expect(400);
    expect(notNumber.text).toContain('Nothing was saved');
    expect(notNumber.text).toMatch(/<a href="#woom-cooldown_minutes">Pause between alerts<\/a>: must be a number/);
    expect(notNumber.text).toContain('value="soon"');
    const badEmail = await agent.post(`/console/stores/${store.id}`).type('form').send({ _csrf: csrf, part: 'notifications', cooldown_minutes: '45', alert_emails: 'not-an-address' }).expect(400);
    expect(badEmail.text).toMatch(/<a href="#woom-alert_emails">Alert e-mails<\/a>:/);
    expect(await settingsNow()).toEqual(before);
    expect(await history()).toBe(historyBefore);

    // A good save: the same reading and writer as the WordPress tab, with who saved it.
    const saved = await agent.post(`/console/stores/${store.id}`).type('form').send({ _csrf: csrf, part: 'notifications', cooldown_minutes: '45', alert_emails: 'ops@settings.example, boss@settings.example' }).expect(200);
    expect(saved.text).toContain('Settings saved.');
    expect(await settingsNow()).toMatchObject({ cooldown_minutes: 45, alert_emails: ['ops@settings.example', 'boss@settings.example'], timezone: 'Europe/Berlin' });
    const row = await a.db('settings_history').where({ store_id: store.id }).orderBy('id', 'desc').first();
    expect(row.changed_by).toBe('admin@example.com');
    expect(await history()).toBe(historyBefore + 1);

    // A viewer sees the settings but no form, and cannot post one even with its own token.
    await a.container.operatorAccounts.add({ email: 'v3@example.com', role: 'viewer', password: PASSWORD });
    const viewer = (await signIn(a.app, 'v3@example.com')).agent;
    const vpage = await viewer.get(`/console/stores/${store.id}`).expect(200);
    expect(vpage.text).not.toContain('woom-settings-form');
    expect(vpage.text).not.toContain(`data-api="POST /api/v1/stores/${store.id}/channels"`);
    expect(vpage.text).toMatch(/<th scope="row">cooldown_minutes<\/th><td>45<\/td>/);
    const vcsrf = /name="csrf-token" content="([^"]+)"/.exec(vpage.text)![1]!;
    await viewer.post(`/console/stores/${store.id}`).type('form').send({ _csrf: vcsrf, part: 'notifications', cooldown_minutes: '5' }).expect(403);
    expect((await settingsNow()).cooldown_minutes).toBe(45);
  });

  it('the scheduled maintenance job removes expired sessions and keeps live ones', async () => {
    const { agent: live } = await signIn(a.app, 'admin@example.com');
    await live.get('/console').expect(200);
    const { res } = await signIn(a.app, 'admin@example.com');
    const staleCookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('woom_session='))!.split(';')[0]!;
    const { sha256 } = await import('../../sidecar/src/services/operator-accounts');
    const staleHash = sha256(staleCookie.slice('woom_session='.length));
    // Idle for 31 minutes: past the 30-minute expiry.
    await a.db('console_sessions').where({ id_hash: staleHash }).update({ last_seen_at: new Date(Date.now() - 31 * 60_000) });
    const liveHashes = (await a.db('console_sessions').whereNot({ id_hash: staleHash }).select('id_hash')).map((r: { id_hash: string }) => r.id_hash);
    expect(liveHashes.length).toBeGreaterThan(0);
    // No call from the test: the sidecar's own maintenance schedule (every second here) must do it.
    await eventually(async () => !(await a.db('console_sessions').where({ id_hash: staleHash }).first()), 15_000);
    expect((await a.db('console_sessions').whereIn('id_hash', liveHashes).select('id_hash')).length).toBe(liveHashes.length);
    await live.get('/console').expect(200);
    // The stale cookie is told its session ended; a browser that never signed in is not.
    const stale = await request(a.app).get('/console').set('Accept', 'text/html').set('Cookie', staleCookie).expect(303);
    expect(stale.headers.location).toBe('/console/login?expired=1');
    const fresh = await request(a.app).get('/console').set('Accept', 'text/html').expect(303);
    expect(fresh.headers.location).toBe('/console/login');
    // The bare address (what a newcomer opens after `npm start`) leads to the console.
    expect((await request(a.app).get('/').expect(302)).headers.location).toBe('/console');
  });

  it('an alert opened on sidecar A reaches a console connected to sidecar B, and Last-Event-ID resumes', async () => {
    // Sidecar B: a second Container on the same database and Redis prefix, as a second process would be.
    const { Container } = await import('../../sidecar/src/container');
    const { createApp } = await import('../../sidecar/src/app');
    const b = new Container(a.container.config, { log: a.container.log });
    const appB = createApp({ ...b, readiness: () => b.readiness(), devPages: false, metricsToken: undefined, log: b.log, publicUrl: b.config.PUBLIC_URL });
    const server = appB.listen(0, '127.0.0.1');
    try {
      await new Promise((r) => server.once('listening', r));
      const port = (server.address() as { port: number }).port;
      // B's Redis connection refuses commands until it is up (no offline queue): a sign-in 85 ms after
      // B was made failed with a 500 on a loaded CI machine.
      await eventually(() => b.redis.status === 'ready');
      const { res } = await signIn(appB, 'admin@example.com');
      expect(res.status, res.text).toBe(303);
      const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('woom_session='))!.split(';')[0]!;
      const store = await a.addStore({ name: 'Live Shop', url: 'https://l.example', timezone: 'UTC' });
      let text = '';
      const stream = http.get({ host: '127.0.0.1', port, path: '/console/events', headers: { Cookie: cookie } }, (r) => r.on('data', (d: Buffer) => (text += d.toString())));
      await eventually(() => text.includes('retry:'));
      await eventually(() => b.live.listenerCount > 0);
      const token = (await a.container.apiTokens.create({ name: 't', scope: 'write', createdBy: 'test' })).token;
      await request(a.app).post('/api/v1/alerts').set('Authorization', `Bearer ${token}`).send({ store_id: store.id, severity: 'critical', message: 'outage' }).expect(201);
      await eventually(() => text.includes('event: alert.opened') && text.includes(store.id), 10_000);
      stream.destroy();
      const firstId = /id: (\S+)\nevent: alert.opened/.exec(text)![1]!;
      const alertId = (await a.db('alerts').where({ store_id: store.id }).first('id')).id;
      await request(a.app).post(`/api/v1/alerts/${alertId}/resolve`).set('Authorization', `Bearer ${token}`).send({ note: 'fixed' }).expect(200);
      let resumed = '';
      const again = http.get({ host: '127.0.0.1', port, path: '/console/events', headers: { Cookie: cookie, 'Last-Event-ID': firstId } }, (r) => r.on('data', (d: Buffer) => (resumed += d.toString())));
      await eventually(() => resumed.includes('event: alert.resolved'), 10_000);
      expect(resumed).not.toContain('event: alert.opened');
      again.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await b.close();
    }
  });

  it('live events: arriving orders are one "orders" event, a quiet check says nothing, an alert opened says so', async () => {
    const store = await a.addStore({ name: 'Quiet Live', url: 'https://ql.example', timezone: 'UTC', settings: { mode: 'hybrid', check_interval_minutes: 60 } });
    const heard: string[] = [];
    const stop = await a.container.live.subscribe((e) => {
      if (e.storeId === store.id) heard.push(e.type);
    });
    try {
      // Two batches at once: one "orders" event (debounced), and no store.changed for each request.
      for (const n of [1, 2]) await signed(a.app, store, 'POST', '/v1/events', { store: store.id, events: [orderEvent({ order_id: 7000 + n })] }).expect(202);
      await eventually(() => heard.includes('orders'), 10_000);
      // A scheduled check that finds nothing wrong changes nothing the console shows of alerts.
      const ran = await a.db('check_runs').where({ store_id: store.id, trigger: 'schedule' }).count({ n: '*' }).first();
      await a.container.checkQueue.add('check', { storeId: store.id, trigger: 'schedule' });
      await eventually(async () => Number((await a.db('check_runs').where({ store_id: store.id, trigger: 'schedule' }).count({ n: '*' }).first())?.n) > Number(ran?.n), 10_000);
      // An alert opened is heard; everything heard before it is the one "orders" event.
      const token = (await a.container.apiTokens.create({ name: 'live', scope: 'write', createdBy: 'test' })).token;
      await request(a.app).post('/api/v1/alerts').set('Authorization', `Bearer ${token}`).send({ store_id: store.id, severity: 'warning', message: 'by hand' }).expect(201);
      await eventually(() => heard.includes('alert.opened'), 10_000);
      expect(heard.slice(0, heard.indexOf('alert.opened'))).toEqual(['orders']);
    } finally {
      stop();
    }
  });
});
