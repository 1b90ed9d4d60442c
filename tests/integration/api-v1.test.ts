import { Ajv2020 } from 'ajv/dist/2020.js';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../sidecar/src/http/api/routes';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';

let sidecar: SidecarHandle;
let doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
let admin = '';
let reader = '';
let scoped = '';
let shopA = '';
let shopB = '';
const seen = new Set<string>();

/** The document's path template a concrete URL matches, or null when the document lacks it. */
function templateOf(method: string, url: string): string | null {
  const path = url.replace(/^\/api\/v1/, '').split('?')[0]!;
  for (const template of Object.keys(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
    if (pattern.test(path) && doc.paths[template]![method]) return template;
  }
  return null;
}

/** Calls /api/v1 and fails when the route is not in the document or the answer does not match it. */
async function api(method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const template = templateOf(method, url);
  expect(template, `${method.toUpperCase()} ${url} is not in the OpenAPI document`).not.toBeNull();
  let req = request(sidecar.app)[method](url).set('Authorization', `Bearer ${token}`);
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  const res = body === undefined ? await req : await req.send(body as object);
  const response = doc.paths[template!]![method]!.responses[String(res.status)];
  expect(response, `${method.toUpperCase()} ${template} answered ${res.status}, which the document does not list`).toBeDefined();
  if (response!.content) {
    const pointer = `api#/paths/${template!.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${res.status}/content/application~1json/schema`;
    const validate = ajv.getSchema(pointer)!;
    expect(validate(res.body), `${method.toUpperCase()} ${template} ${res.status}: ${JSON.stringify(validate.errors)}`).toBe(true);
  }
  seen.add(`${method} ${template}`);
  return res;
}

beforeAll(async () => {
  sidecar = await startSidecar();
  doc = (await request(sidecar.app).get('/api/v1/openapi.json').expect(200)).body;
  ajv.addSchema({ ...doc, $id: 'api' });
  const c = sidecar.container;
  shopA = (await sidecar.addStore({ name: 'Shop A', url: 'https://a.example', timezone: 'Europe/Berlin' })).id;
  shopB = (await sidecar.addStore({ name: 'Shop B', url: 'https://b.example', timezone: 'America/New_York' })).id;
  admin = (await c.apiTokens.create({ name: 'admin', scope: 'write', createdBy: 'test' })).token;
  reader = (await c.apiTokens.create({ name: 'reader', scope: 'read', createdBy: 'test' })).token;
  scoped = (await c.apiTokens.create({ name: 'a-only', scope: 'write', storeId: shopA, createdBy: 'test' })).token;
});
afterAll(async () => {
  await sidecar?.close();
});

describe('/api/v1', () => {
  it('documents every route of the table in OpenAPI 3.1', async () => {
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0');
    for (const route of apiRoutes(sidecar.container as never)) {
      expect(doc.paths[route.path]?.[route.method], `${route.method} ${route.path}`).toBeDefined();
    }
    const docs = await request(sidecar.app).get('/api/docs/').expect(200);
    expect(docs.text).toContain('swagger-initializer.js');
    expect(docs.text).not.toMatch(/<script>(?!\s*<\/script>)/);
    expect((await request(sidecar.app).get('/api/docs/swagger-initializer.js').expect(200)).text).toContain('../v1/openapi.json');
  });

  it('refuses a missing, unknown or revoked token with the one error shape', async () => {
    const none = await request(sidecar.app).get('/api/v1/stores').expect(401);
    expect(none.body).toMatchObject({ error: 'unauthorized' });
    await request(sidecar.app).get('/api/v1/stores').set('Authorization', 'Bearer woomtk_nope').expect(401);
    const { token, record } = await sidecar.container.apiTokens.create({ name: 'gone', scope: 'read', createdBy: 'test' });
    await api('get', '/api/v1/stores', token);
    await sidecar.container.apiTokens.revoke(record.id);
    await request(sidecar.app).get('/api/v1/stores').set('Authorization', `Bearer ${token}`).expect(401);
    const used = await sidecar.db('api_tokens').where({ id: record.id }).first();
    expect(used.last_used_at).not.toBeNull();
  });

  it('lists stores with their state, a page at a time', async () => {
    const page = await api('get', '/api/v1/stores?limit=1', admin);
    expect(page.status).toBe(200);
    expect(page.body.stores).toHaveLength(1);
    const next = await api('get', `/api/v1/stores?limit=1&cursor=${page.body.next_cursor}`, admin);
    expect(next.body.stores[0].id).not.toBe(page.body.stores[0].id);
    expect(next.body.stores[0].state).toMatchObject({ kind: 'learning', tone: 'blue' });
    const bad = await api('get', '/api/v1/stores?limit=0', admin);
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([{ field: 'limit', message: expect.any(String) }]);
  });

  it('registers a store once per Idempotency-Key, the secret in the answer', async () => {
    const body = { name: 'Shop C', url: 'https://c.example', timezone: 'Europe/Paris' };
    const first = await api('post', '/api/v1/stores', admin, body, { 'Idempotency-Key': 'reg-c-1' });
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^woomsk_/);
    const again = await api('post', '/api/v1/stores', admin, body, { 'Idempotency-Key': 'reg-c-1' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await sidecar.db('stores').where({ name: 'Shop C' }).count({ n: '*' })).toEqual([{ n: 1 }]);
    const other = await api('post', '/api/v1/stores', admin, { ...body, name: 'Shop D' }, { 'Idempotency-Key': 'reg-c-1' });
    expect(other.status).toBe(422);
    const tz = await api('post', '/api/v1/stores', admin, { ...body, timezone: 'Mars/Base' });
    expect(tz.status).toBe(400);
    expect(tz.body.fields[0].field).toBe('timezone');
    const extra = await api('post', '/api/v1/stores', admin, { ...body, secret: 'x' });
    expect(extra.body.fields).toEqual([{ field: 'secret', message: 'is not a known field' }]);
    expect(await sidecar.db('stores').count({ n: '*' })).toEqual([{ n: 3 }]);

    const id = first.body.store.id as string;
    const patched = await api('patch', `/api/v1/stores/${id}`, admin, { name: 'Shop C2', timezone: 'Asia/Tokyo' });
    expect(patched.body.store).toMatchObject({ name: 'Shop C2', timezone: 'Asia/Tokyo' });
    const paused = await api('post', `/api/v1/stores/${id}/pause`, admin);
    expect(paused.body.settings.enabled).toBe(false);
    expect((await api('get', `/api/v1/stores/${id}`, admin)).body.store.state.kind).toBe('paused');
    await api('post', `/api/v1/stores/${id}/resume`, admin);
    expect((await api('delete', `/api/v1/stores/${id}`, admin)).status).toBe(204);
    expect((await api('get', `/api/v1/stores/${id}`, admin)).status).toBe(404);
  });

  it('settings, status, sales, maintenance and channels through the same services as the bridge API', async () => {
    expect((await api('get', `/api/v1/stores/${shopA}/settings`, admin)).body.settings.timezone).toBe('Europe/Berlin');
    const bad = await api('put', `/api/v1/stores/${shopA}/settings`, admin, { check_interval_minutes: 'often' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].field).toBe('check_interval_minutes');
    expect((await api('put', `/api/v1/stores/${shopA}/settings`, admin, { alert_emails: ['ops@a.example'] })).body.settings.alert_emails).toEqual(['ops@a.example']);
    const status = await api('get', `/api/v1/stores/${shopA}/status`, reader);
    expect(status.body.store.id).toBe(shopA);
    const sales = await api('get', `/api/v1/stores/${shopA}/sales`, reader);
    expect(sales.body.hours).toHaveLength(24);
    const started = await api('post', `/api/v1/stores/${shopA}/maintenance`, admin, { minutes: 30, reason: 'deploy' });
    expect(started.status).toBe(201);
    expect((await api('get', `/api/v1/stores/${shopA}/maintenance`, reader)).body.windows).toHaveLength(1);
    const badWindow = await api('post', `/api/v1/stores/${shopA}/maintenance`, admin, { minutes: 0 });
    expect(badWindow.body.fields[0].field).toBe('minutes');
    expect((await api('delete', `/api/v1/stores/${shopA}/maintenance/${started.body.window.id}`, admin)).status).toBe(200);
    const channel = await api('post', `/api/v1/stores/${shopA}/channels`, admin, { type: 'webhook', url: 'https://hooks.example/x' });
    expect(channel.body.secret).toMatch(/^whsec_/);
    expect((await api('get', `/api/v1/stores/${shopA}/channels`, reader)).body.channels).toHaveLength(1);
    // The sales feed is off until asked for, and set on the channel with its rate.
    expect(channel.body.channel).toMatchObject({ sales_feed: false, sales_feed_batch_above: 10 });
    const feed = await api('patch', `/api/v1/stores/${shopA}/channels/${channel.body.channel.id}`, admin, { sales_feed: true, sales_feed_batch_above: 20 });
    expect(feed.body.channel).toMatchObject({ sales_feed: true, sales_feed_batch_above: 20 });
    const badFeed = await api('patch', `/api/v1/stores/${shopA}/channels/${channel.body.channel.id}`, admin, { sales_feed_batch_above: 0 });
    expect(badFeed.status).toBe(400);
    expect(badFeed.body.fields[0].field).toBe('sales_feed_batch_above');
    expect((await api('patch', `/api/v1/stores/${shopA}/channels/${channel.body.channel.id}`, admin, {})).body.fields[0].field).toBe('(body)');
    expect((await api('get', `/api/v1/stores/${shopA}/channels`, reader)).body.channels[0]).toMatchObject({ sales_feed: true, sales_feed_batch_above: 20 });
    expect((await api('delete', `/api/v1/stores/${shopA}/channels/${channel.body.channel.id}`, admin)).status).toBe(204);
    const check = await api('post', `/api/v1/stores/${shopA}/check`, admin);
    expect([200, 409]).toContain(check.status);
  });

  it('daily figures as rolled up, for a period, with a bad date named and a store-scoped token held to its store', async () => {
    await sidecar.db('orders').insert(
      [['2026-11-20T09:00:00Z', 'completed', 30], ['2026-11-20T10:00:00Z', 'failed', 5], ['2026-11-22T12:00:00Z', 'processing', 12.5]].map(([at, status, total], i) => ({
        store_id: shopA, order_id: 9000 + i, status, total, currency: 'EUR', created_via: 'checkout', created_at: new Date(at as string), status_changed_at: new Date(at as string), updated_at: new Date(at as string),
      })),
    );
    await sidecar.container.dailyFiguresService.rollUp(shopA, new Date('2026-11-23T08:00:00Z'));
    const res = await api('get', `/api/v1/stores/${shopA}/daily-figures?from=2026-11-20&to=2026-11-22`, reader);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ store_id: shopA, timezone: 'Europe/Berlin', from: '2026-11-20', to: '2026-11-22' });
    expect(res.body.days.map((d: { day: string; orders: number; successful: number; failed: number; revenue: number; average_order_value: number | null }) => [d.day, d.orders, d.successful, d.failed, d.revenue, d.average_order_value])).toEqual([
      ['2026-11-20', 2, 1, 1, 30, 30],
      ['2026-11-21', 0, 0, 0, 0, null],
      ['2026-11-22', 1, 1, 0, 12.5, 12.5],
    ]);
    const bad = await api('get', `/api/v1/stores/${shopA}/daily-figures?from=2026-11-31`, reader);
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([expect.objectContaining({ field: 'from' })]);
    expect((await api('get', `/api/v1/stores/${shopB}/daily-figures`, scoped)).status).toBe(403);
  });

  it('alerts: a manual alert, acknowledged, resolved with a note, listed with a cursor', async () => {
    const opened = await api('post', '/api/v1/alerts', admin, { store_id: shopA, severity: 'critical', message: 'Payment provider reports an outage' });
    expect(opened.status).toBe(201);
    const id = opened.body.alert.id as number;
    expect((await api('get', `/api/v1/stores/${shopA}`, reader)).body.store.state.kind).toBe('critical');
    const ack = await api('post', `/api/v1/alerts/${id}/acknowledge`, admin);
    expect(ack.body).toMatchObject({ result: 'acknowledged', alert: { acknowledged_by: 'token:admin' } });
    const noNote = await api('post', `/api/v1/alerts/${id}/resolve`, admin, {});
    expect(noNote.body.fields[0].field).toBe('note');
    const resolved = await api('post', `/api/v1/alerts/${id}/resolve`, admin, { note: 'Provider fixed it' });
    expect(resolved.body.alert).toMatchObject({ state: 'resolved', resolved_by: 'token:admin', resolution_note: 'Provider fixed it' });
    expect((await api('post', `/api/v1/alerts/${id}/resolve`, admin, { note: 'again' })).status).toBe(409);
    await api('post', '/api/v1/alerts', admin, { store_id: shopB, severity: 'warning', message: 'b' });
    await api('post', '/api/v1/alerts', admin, { store_id: shopB, severity: 'warning', message: 'b2' });
    const page1 = await api('get', '/api/v1/alerts?limit=2', reader);
    expect(page1.body.alerts).toHaveLength(2);
    const page2 = await api('get', `/api/v1/alerts?limit=2&cursor=${page1.body.next_cursor}`, reader);
    expect(page2.body.alerts.map((a: { id: number }) => a.id)).toEqual([id]);
    const filtered = await api('get', `/api/v1/alerts?store=${shopB}&state=open&severity=warning`, reader);
    expect(filtered.body.alerts).toHaveLength(2);
    expect((await api('get', `/api/v1/alerts/${id}`, reader)).body.alert.id).toBe(id);
    expect((await api('get', '/api/v1/alerts?from=yesterday', reader)).body.fields[0].field).toBe('from');
  });

  it('a read token cannot write; a store-scoped token sees only its store', async () => {
    const refused = await api('post', `/api/v1/stores/${shopA}/pause`, reader);
    expect(refused.status).toBe(403);
    expect((await api('get', '/api/v1/stores', scoped)).body.stores.map((s: { id: string }) => s.id)).toEqual([shopA]);
    expect((await api('post', '/api/v1/stores', scoped, { name: 'x', url: 'https://x.example', timezone: 'UTC' })).status).toBe(403);
    expect((await api('get', `/api/v1/alerts?store=${shopB}`, scoped)).status).toBe(403);
    expect((await api('post', '/api/v1/alerts', scoped, { store_id: shopB, severity: 'warning', message: 'x' })).status).toBe(403);
  });

  it('a store-scoped token gets 403 on every route of another store', async () => {
    const bAlert = (await sidecar.db('alerts').where({ store_id: shopB }).first('id')).id as number;
    const fill = (path: string) => path.replace('{storeId}', shopB).replace('{alertId}', String(bAlert)).replace('{windowId}', '1').replace('{channelId}', '1');
    const routes = apiRoutes(sidecar.container as never).filter((r) => r.path.includes('{storeId}') || r.path.includes('{alertId}'));
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const res = await api(route.method, `/api/v1${fill(route.path)}`, scoped, route.method === 'get' || route.method === 'delete' ? undefined : {});
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect(await sidecar.db('stores').where({ id: shopB }).first()).toBeDefined();
  });

  it('every POST that creates something honours Idempotency-Key: the replay creates nothing, another body is refused', async () => {
    const bodies: Record<string, { path: string; body: Record<string, unknown>; other: Record<string, unknown>; table: string }> = {
      '/stores': { path: '/api/v1/stores', body: { name: 'Idem Shop', url: 'https://idem.example', timezone: 'UTC' }, other: { name: 'Idem Shop 2', url: 'https://idem.example', timezone: 'UTC' }, table: 'stores' },
      '/alerts': { path: '/api/v1/alerts', body: { store_id: shopA, severity: 'warning', message: 'idem' }, other: { store_id: shopA, severity: 'warning', message: 'idem 2' }, table: 'alerts' },
      '/stores/{storeId}/maintenance': { path: `/api/v1/stores/${shopB}/maintenance`, body: { minutes: 20, reason: 'idem' }, other: { minutes: 25, reason: 'idem' }, table: 'maintenance_windows' },
      '/stores/{storeId}/channels': { path: `/api/v1/stores/${shopB}/channels`, body: { type: 'webhook', url: 'https://hooks.example/idem' }, other: { type: 'webhook', url: 'https://hooks.example/idem2' }, table: 'notification_channels' },
    };
    const idempotent = apiRoutes(sidecar.container as never).filter((r) => r.idempotent);
    expect(idempotent.map((r) => r.path).sort()).toEqual(Object.keys(bodies).sort());
    for (const route of idempotent) {
      const { path, body, other, table } = bodies[route.path]!;
      const rows = async () => Number(((await sidecar.db(table).count({ n: '*' }))[0] as { n: number }).n);
      const key = `idem-${route.path}`;
      const first = await api('post', path, admin, body, { 'Idempotency-Key': key });
      expect(first.status, route.path).toBe(201);
      const after = await rows();
      const replay = await api('post', path, admin, body, { 'Idempotency-Key': key });
      expect(replay.status, route.path).toBe(201);
      expect(replay.headers['idempotent-replayed'], route.path).toBe('true');
      expect(replay.body, route.path).toEqual(first.body);
      expect(await rows(), route.path).toBe(after);
      expect((await api('post', path, admin, other, { 'Idempotency-Key': key })).status, route.path).toBe(422);
      expect(await rows(), route.path).toBe(after);
      // The same key from another caller is another request.
      expect((await request(sidecar.app).post(path).set('Authorization', `Bearer ${scoped}`).set('Idempotency-Key', key).send(body)).headers['idempotent-replayed'], route.path).toBeUndefined();
    }
  });

  it('exercised every documented operation', () => {
    const missing = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).filter((op) => !seen.has(op));
    expect(missing).toEqual([]);
  });
});
