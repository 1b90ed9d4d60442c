/**
 * The store probe against a local HTTP server this test controls (home, Store API, cart, checkout),
 * through the real sidecar (MariaDB, Redis, SMTP): one failure is a blip, two in a row alert with the
 * failing page's own message, a passing probe resolves, the order alert names what the probe sees.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_USER_AGENT } from '../../sidecar/src/services/probe-http';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

type Mode = 'ok' | 'checkout500' | 'nopayment';

const CART = '<!doctype html><html><body class="woocommerce-cart"><div class="woocommerce"><div class="wc-empty-cart-message"><div class="cart-empty woocommerce-info">Your cart is currently empty.</div></div></div></body></html>';
const CHECKOUT_WITHOUT_PAYMENT =
  '<!doctype html><html><body><div class="woocommerce"><form name="checkout" method="post" class="checkout woocommerce-checkout" action="/checkout/">' +
  '<div id="order_review" class="woocommerce-checkout-review-order"><table class="shop_table"></table></div></form></div></body></html>';

/** A store's four probed URLs, answering as the test says; counts and keeps each request. */
class FakeStoreServer {
  mode: Mode = 'ok';
  /** The cart page's status, apart from the checkout's mode. */
  cartStatus = 200;
  readonly requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>Shop</body></html>');
      if (path === '/wp-json/wc/store/v1/products') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('[{"id":1,"name":"Mug"}]');
      if (path === '/cart/') return void res.writeHead(this.cartStatus, { 'Content-Type': 'text/html' }).end(CART);
      if (path === '/checkout/') {
        if (this.mode === 'checkout500') return void res.writeHead(500, { 'Content-Type': 'text/html' }).end('<p>There has been a critical error on this website.</p>');
        if (this.mode === 'nopayment') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(CHECKOUT_WITHOUT_PAYMENT);
        // WooCommerce sends a visitor with an empty cart from the checkout to the cart.
        return void res.writeHead(302, { Location: '/cart/' }).end();
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening: the port refuses connections, as a stopped web server's does. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

let smtp: TestSmtp;
let sidecar: SidecarHandle;
const servers: FakeStoreServer[] = [];

async function fakeStore(): Promise<FakeStoreServer> {
  const server = new FakeStoreServer();
  await server.start();
  servers.push(server);
  return server;
}

beforeAll(async () => {
  smtp = await startTestSmtp();
  // A "minute" of the schedules lasts 200 ms here.
  sidecar = await startSidecar({ smtpPort: smtp.port, minuteMs: 200 });
});
afterAll(async () => {
  await sidecar?.close();
  await smtp?.close();
  for (const server of servers) await server.stop();
});

const heartbeat = () => ({ id: crypto.randomUUID(), type: 'heartbeat', occurred_at: new Date().toISOString() });
async function connected(store: StoreCredentials): Promise<void> {
  await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: [heartbeat()] }).expect(202);
}
const probeAlerts = (storeId: string) => sidecar.db('alerts').where({ store_id: storeId, detector: 'probe' }).orderBy('id');
const mail = (subject: string) => smtp.waitForMessage((m) => m.subject === subject, 15_000);

describe('store probe', () => {
  let server: FakeStoreServer;
  let store: StoreCredentials;
  // Probe runs are driven one by one on a clock of their own, a minute apart and ahead of the real one,
  // so "one failure" and "two in a row" are exact: a scheduled run now comes less than a minute after
  // the last run and is skipped, as two runs within a minute always are.
  let clock = Date.now() + 3600_000;
  const probe = async () => {
    clock += 60_000;
    return sidecar.container.probeMonitor.run(store.id, new Date(clock));
  };

  beforeAll(async () => {
    server = await fakeStore();
    store = await sidecar.addStore({
      name: 'Probe shop',
      url: server.url,
      timezone: 'Europe/Berlin',
      settings: { mode: 'rolling_average', probe_enabled: true, probe_interval_minutes: 1440, alert_emails: ['owner@probe.test'] },
    });
    await connected(store);
    await probe();
  });

  it('requests the four pages with GET and a User-Agent naming WOOM, and passes a working store', async () => {
    const before = server.requests.length;
    const outcome = await probe();
    expect('results' in outcome && outcome.results.map((r) => [r.target, r.ok, r.detail.replace(/\d+ ms/, 'N ms')])).toEqual([
      ['home', true, 'HTTP 200 in N ms'],
      ['store_api', true, 'HTTP 200 in N ms'],
      ['cart', true, 'HTTP 200 in N ms'],
      ['checkout', true, 'HTTP 302 in N ms (sent to the cart: the cart is empty)'],
    ]);
    // The checkout's redirect to the cart page, requested a moment before, is judged by the cart's own
    // answer, not followed: each URL once a run.
    const requests = server.requests.slice(before);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'GET /wp-json/wc/store/v1/products?per_page=1', 'GET /cart/', 'GET /checkout/']);
    expect(new Set(requests.map((r) => r.headers['user-agent']))).toEqual(new Set([PROBE_USER_AGENT]));
    expect(PROBE_USER_AGENT).toMatch(/^WOOM-Probe\/\d+\.\d+\.\d+ \(\+WooCommerce Order Monitor\)$/);
    expect(requests.every((r) => r.headers.cookie === undefined)).toBe(true);
    expect(await sidecar.db('store_probes').where({ store_id: store.id }).count({ n: '*' }).first()).toEqual({ n: 8 });
  });

  it('stays quiet after one failure and alerts after two in a row, naming the page, what it returned and since when', async () => {
    server.mode = 'checkout500';
    await probe();
    expect(await probeAlerts(store.id)).toEqual([]);
    await probe();
    const alert = await mail('[WOOM CRITICAL] Store probe: checkout page returns 500 at Probe shop');
    expect(alert.text).toContain('- checkout page returns 500');
    expect(alert.text).toContain(`Checkout page ${server.url}/checkout/ returned: HTTP 500`);
    expect(alert.text).toMatch(/failing since \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1/);
    // A third failure sends nothing more.
    await probe();
    expect((await probeAlerts(store.id)).map((a: { state: string }) => a.state)).toEqual(['open']);
  });

  it('keeps the open alert current, tells a new cause once, and explains an order drop with what fails now', async () => {
    const openAlert = async () => (await probeAlerts(store.id)).find((a: { state: string }) => a.state === 'open');
    const findings = async () => (JSON.parse((await openAlert()).details).findings as Array<{ summary: string }>).map((f) => f.summary);
    const explain = () => sidecar.container.probeMonitor.explainOrderDrop(store.id, ['order_flow'], 'Europe/Berlin');
    const mails = (subject: string) => smtp.messages.filter((m) => m.subject === subject).length;
    const cartSubject = '[WOOM CRITICAL] Store probe: cart page returns 500 at Probe shop';
    const checkoutSince = async () => (JSON.parse((await openAlert()).details).failures as Array<{ target: string; since: string }>).find((f) => f.target === 'checkout')?.since;
    const firstFailure = await checkoutSince();
    expect(await explain()).toMatch(/^the checkout page has returned 500 since [^,]+$/);

    // The cart fails too (and the checkout, whose redirect leads there, returns its 500).
    server.cartStatus = 500;
    await probe();
    expect(await findings()).toEqual([expect.stringMatching(/^checkout page returns 500: HTTP 500 since /), expect.stringMatching(/^cart page returns 500: HTTP 500 since /)]);
    expect(mails(cartSubject)).toBe(0);
    await probe();
    const update = await mail(cartSubject);
    expect(update.text).toContain('and there is a new one:\n* cart page returns 500');
    expect(await explain()).toMatch(/^the checkout page has returned 500 since .*, and the cart page has returned 500 since /);
    await probe();
    expect(mails(cartSubject)).toBe(1);

    // The cart recovers: the findings and the explanation drop it; failing again sends nothing new.
    server.cartStatus = 200;
    await probe();
    expect(await findings()).toEqual([expect.stringMatching(/^checkout page returns 500/)]);
    expect(await explain()).toMatch(/^the checkout page has returned 500 since [^,]+$/);
    server.cartStatus = 500;
    await probe();
    await probe();
    server.cartStatus = 200;
    await probe();
    expect(mails(cartSubject)).toBe(1);
    expect((await probeAlerts(store.id)).map((a: { state: string }) => a.state)).toEqual(['open']);
    // Eight runs on, the checkout's failures still date from its first one.
    expect(await checkoutSince()).toBe(firstFailure);
  });

  it('claims each run in MariaDB first: two runs at once send one set of requests', async () => {
    const before = server.requests.length;
    clock += 60_000;
    const at = new Date(clock);
    const run = () => sidecar.container.probeMonitor.run(store.id, at);
    const outcomes = await Promise.all([run(), run()]);
    expect(outcomes.filter((o) => 'skipped' in o)).toEqual([{ skipped: 'probed less than a minute ago' }]);
    expect(server.requests.length - before).toBe(4);
    // Still within the minute (200 ms in this test) of the claim: skipped before any request.
    expect(await sidecar.container.probeMonitor.run(store.id, new Date(clock + 150))).toEqual({ skipped: 'probed less than a minute ago' });
    expect(server.requests.length - before).toBe(4);
  });

  it('does not count the probe alert as the order alert', async () => {
    const { body } = await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`).expect(200);
    expect(body.open_alert).toBeNull();
  });

  it('resolves with a notice when every page passes again', async () => {
    server.mode = 'ok';
    await probe();
    const resolved = await mail('[WOOM] Resolved: the store probe passes again at Probe shop (checkout page returns 500)');
    expect(resolved.text).toMatch(/is gone since .* \(\d+ min\)/);
    expect((await probeAlerts(store.id)).map((a: { state: string }) => a.state)).toEqual(['resolved']);
  });

  it('alerts when the checkout page no longer shows the payment form', async () => {
    server.mode = 'nopayment';
    await probe();
    await probe();
    const alert = await mail('[WOOM CRITICAL] Store probe: checkout page no longer shows the payment form at Probe shop');
    expect(alert.text).toContain('returned: no payment section');
    server.mode = 'ok';
    await probe();
    await mail('[WOOM] Resolved: the store probe passes again at Probe shop (checkout page no longer shows the payment form)');
  });

  it('calls a closed port "store unreachable", and an order alert meanwhile says so', async () => {
    await server.stop();
    await probe();
    await probe();
    const alert = await mail('[WOOM CRITICAL] Store probe: store unreachable at Probe shop');
    expect(alert.text).toContain('- home page is unreachable (connection refused, ECONNREFUSED)');

    // Orders stop while the store is down: the order alert names the probe's finding.
    await sidecar.db('stores').where({ id: store.id }).update({ first_contact_at: new Date(Date.now() - 3600_000) });
    await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/settings`, { mode: 'time_based', threshold_peak: 5, threshold_off_peak: 5 }).expect(200);
    const orderAlert = await smtp.waitForMessage((m) => /^\[WOOM (WARNING|CRITICAL)\] Only 0 successful orders/.test(m.subject ?? ''), 15_000);
    expect(orderAlert.subject).toMatch(/, and the store has been unreachable since \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1 at Probe shop$/);
    await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/settings`, { mode: 'rolling_average' }).expect(200);

    await server.start();
    await probe();
    await mail('[WOOM] Resolved: the store probe passes again at Probe shop (store unreachable)');
  });

  it('closes an open probe alert without a notice when the admin turns the probe off', async () => {
    server.mode = 'checkout500';
    await probe();
    await probe();
    await mail('[WOOM CRITICAL] Store probe: checkout page returns 500 at Probe shop');
    const resolvedNotices = async () =>
      Number((await sidecar.db('notifications').where({ store_id: store.id, kind: 'probe_resolved' }).count({ n: '*' }).first())?.n);
    const before = await resolvedNotices();
    expect((await probeAlerts(store.id)).at(-1)).toMatchObject({ state: 'open' });
    const path = `/v1/stores/${store.id}/settings`;
    await signed(sidecar.app, store, 'PUT', path, { probe_enabled: false }).expect(200);
    await sidecar.container.maintenance();
    expect((await probeAlerts(store.id)).at(-1)).toMatchObject({ state: 'resolved' });
    expect(await resolvedNotices()).toBe(before);
    server.mode = 'ok';
    await signed(sidecar.app, store, 'PUT', path, { probe_enabled: true }).expect(200);
  });

  it('refuses bad probe settings with the field named, and changes nothing', async () => {
    const path = `/v1/stores/${store.id}/settings`;
    const before = (await signed(sidecar.app, store, 'GET', path).expect(200)).body.settings;
    for (const [change, field, message] of [
      [{ probe_interval_minutes: 0 }, 'probe_interval_minutes', 'must be 1 or more'],
      [{ probe_interval_minutes: 2.5 }, 'probe_interval_minutes', 'must be a whole number'],
      [{ probe_failures_to_alert: 'two' }, 'probe_failures_to_alert', 'must be a number'],
      [{ probe_enabled: 'yes' }, 'probe_enabled', 'must be true or false'],
    ] as const) {
      const res = await signed(sidecar.app, store, 'PUT', path, change).expect(400);
      expect(res.body.errors).toEqual([{ field, message }]);
    }
    expect((await signed(sidecar.app, store, 'GET', path).expect(200)).body.settings).toEqual(before);
  });
});

describe('store probe schedule', () => {
  it('probes an enabled store on its schedule and never a store whose probe is off', async () => {
    const probed = await fakeStore();
    const quiet = await fakeStore();
    const on = await sidecar.addStore({ name: 'Scheduled', url: probed.url, timezone: 'UTC', settings: { mode: 'rolling_average', probe_enabled: true, probe_interval_minutes: 1 } });
    const off = await sidecar.addStore({ name: 'Unprobed', url: quiet.url, timezone: 'UTC', settings: { mode: 'rolling_average', probe_enabled: false } });
    await connected(on);
    await connected(off);
    const schedulers = async () => (await sidecar.container.probeScheduler.list()).map((s) => s.id);
    expect(await schedulers()).toContain(`probe-${on.id}`);
    expect(await schedulers()).not.toContain(`probe-${off.id}`);

    const runsOf = async (storeId: string) =>
      Number((await sidecar.db('store_probes').where({ store_id: storeId }).countDistinct({ n: 'run_at' }).first())?.n);
    await eventually(async () => (await runsOf(on.id)) >= 3, 20_000);
    expect(probed.requests.filter((r) => r.url === '/').length).toBeGreaterThanOrEqual(3);
    expect(quiet.requests).toEqual([]);
    expect(await runsOf(off.id)).toBe(0);

    // Turning the probe off removes the schedule; turning monitoring off does too.
    await signed(sidecar.app, on, 'PUT', `/v1/stores/${on.id}/settings`, { probe_enabled: false }).expect(200);
    expect(await schedulers()).not.toContain(`probe-${on.id}`);
    expect(await sidecar.container.probeMonitor.run(off.id)).toEqual({ skipped: 'probe off' });
  });
});
