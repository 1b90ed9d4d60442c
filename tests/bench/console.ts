import { Agent, request } from 'node:http';
import { newStoreId, newStoreSecret } from '../../sidecar/src/store/stores';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { OverviewService } from '../../sidecar/src/services/overview';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';

const STORES = 1_000;
const DAYS = Number(process.env.BENCH_CONSOLE_DAYS ?? 8);
const ORDERS_PER_HOUR = 2;
const RUNS = 200;
const STREAMS = 500;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const figures = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms`;
};
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function get(port: number, agent: Agent, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function timed(port: number, agent: Agent, paths: (i: number) => string, headers: Record<string, string>, runs = RUNS): Promise<{ times: number[]; bytes: number }> {
  for (let i = 0; i < 10; i += 1) await get(port, agent, paths(i), headers);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    const res = await get(port, agent, paths(i), headers);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 200) throw new Error(`${paths(i)} answered ${res.status}: ${res.body.slice(0, 200)}`);
    bytes = res.body.length;
  }
  return { times, bytes };
}

/**
 * 1,000 stores written straight into MariaDB (registered 30 days ago, WordPress in touch, 8 days of
 * orders, a check run each, a few resolved alerts each, every 20th with an open alert), their hourly
 * roll-ups rebuilt. Their checks are not scheduled: the figures are the pages' and the API's alone.
 */
export async function seed(sidecar: SidecarHandle): Promise<string[]> {
  const db = sidecar.db;
  const now = Date.now();
  const registered = new Date(now - 30 * 86_400_000);
  const ids: string[] = [];
  for (let s = 0; s < STORES; s += 100) {
    const stores = [];
    const settings = [];
    for (let i = s; i < s + 100; i += 1) {
      const id = newStoreId();
      ids.push(id);
      const zone = ZONES[i % ZONES.length]!;
      stores.push({ id, name: `Shop ${String(i).padStart(4, '0')}`, url: `https://shop${i}.example`, secret: newStoreSecret(), created_at: registered, first_contact_at: registered, last_contact_at: new Date(now - 60_000) });
      settings.push({ store_id: id, settings: JSON.stringify({ ...defaultSettings(zone), mode: 'rolling_average', probe_enabled: false }), updated_at: registered });
    }
    await db('stores').insert(stores);
    await db('store_settings').insert(settings);
  }
  let orders: Array<Record<string, unknown>> = [];
  const flush = async () => {
    if (orders.length) await db('orders').insert(orders);
    orders = [];
  };
  for (const [n, id] of ids.entries()) {
    let orderId = 0;
    for (let h = DAYS * 24; h > 0; h -= 1) {
      for (let k = 0; k < ORDERS_PER_HOUR; k += 1) {
        const created = new Date(now - h * 3600_000 + k * 1_500_000 + (n % 60) * 1000);
        orderId += 1;
        orders.push({ store_id: id, order_id: orderId, status: orderId % 17 === 0 ? 'failed' : 'completed', total: 25 + (orderId % 30), currency: 'EUR', created_via: 'checkout', created_at: created, status_changed_at: created, updated_at: created });
      }
    }
    if (orders.length >= 4_000) await flush();
  }
  await flush();
  const runs = [];
  const alerts = [];
  for (const [n, id] of ids.entries()) {
    for (let r = 0; r < 5; r += 1) runs.push({ store_id: id, ran_at: new Date(now - r * 900_000), trigger: 'schedule', mode: 'rolling_average', results: '[]', decision: 'none' });
    for (let r = 1; r <= 5; r += 1) {
      const opened = new Date(now - r * 86_400_000);
      alerts.push({ store_id: id, detector: 'rolling_average', severity: 'warning', state: 'resolved', opened_at: opened, resolved_at: new Date(opened.getTime() + 3600_000), details: JSON.stringify({ findings: [{ summary: '8 of the last 10 orders failed (80%), threshold 70%' }] }) });
    }
    if (n % 20 === 0) alerts.push({ store_id: id, detector: 'rolling_average', severity: 'critical', state: 'open', opened_at: new Date(now - 1_800_000), details: JSON.stringify({ findings: [{ summary: '9 of the last 10 orders failed' }] }) });
  }
  for (let i = 0; i < runs.length; i += 1000) await db('check_runs').insert(runs.slice(i, i + 1000));
  for (let i = 0; i < alerts.length; i += 1000) await db('alerts').insert(alerts.slice(i, i + 1000));
  for (const id of ids) await sidecar.container.rollups.rebuild(id);
  return ids;
}

/** Reads one SSE stream until `until` says stop; resolves with the time each wanted event arrived. */
function openStream(port: number, cookie: string, onEvent: (type: string, data: string) => void): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/console/events', headers: { Cookie: cookie }, agent: false }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.+)$/m.exec(block)?.[1];
          if (type) onEvent(type, /^data: (.+)$/m.exec(block)?.[1] ?? '');
        }
      });
      resolve(() => req.destroy());
    });
    req.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
    req.end();
  });
}

/** The operator console and /api/v1 with 1,000 stores: pages, API lists, live events, open streams. */
export async function benchConsole(): Promise<void> {
  // Maintenance at its production pace (the test helper's is every second, reconciling 1,000 schedules each time).
  const sidecar = await startSidecar({ maintenanceEveryMs: 60_000 });
  try {
    const started = Date.now();
    const ids = await seed(sidecar);
    const orderCount = Number((await sidecar.db('orders').count({ n: '*' }))[0]!.n);
    console.log(`console and API: ${STORES} stores, ${orderCount} orders over ${DAYS} days, ${ids.length / 20} open alerts (seeded in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    const c = sidecar.container;
    // The stores' first scheduled checks (1,000 of them) run before anything is timed.
    await c.registry.reconcileSchedules();
    const settleStarted = Date.now();
    for (let quiet = 0; quiet < 3 && Date.now() - settleStarted < 300_000; ) {
      await new Promise((r) => setTimeout(r, 1000));
      const counts = await c.checkQueue.getJobCounts('waiting', 'active', 'prioritized');
      quiet = Object.values(counts).reduce((a, b) => a + b, 0) === 0 ? quiet + 1 : 0;
    }
    console.log(`  (the first checks of every store ran in ${((Date.now() - settleStarted) / 1000).toFixed(0)} s before the timings)`);
    const operator = await c.operatorAccounts.add({ email: 'bench@example.com', role: 'admin', password: 'a long enough password' });
    const { cookie } = await c.operatorAccounts.startSession(operator);
    const session = { Cookie: `woom_session=${cookie}` };
    const token = (await c.apiTokens.create({ name: 'bench', scope: 'read', createdBy: 'bench' })).token;
    const bearer = { Authorization: `Bearer ${token}` };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sorted = [...ids].sort();
    const pageStart = (i: number) => (i % 10 === 0 ? '' : `&cursor=${sorted[(i % 10) * 100 - 1]}`);

    // The floor on this machine at this moment: an answer with no I/O, and one with a MariaDB SELECT 1 and
    // a Redis PING. On a shared machine these say how much of the figures below is waiting for a core.
    const healthz = await timed(sidecar.port, agent, () => '/healthz', {});
    const readyz = await timed(sidecar.port, agent, () => '/readyz', {});
    console.log(`  floor: GET /healthz (no I/O) ${figures(healthz.times)}; GET /readyz (SELECT 1 + PING) ${figures(readyz.times)}`);
    const api = await timed(sidecar.port, agent, (i) => `/api/v1/stores?limit=100${pageStart(i)}`, bearer);
    console.log(`  GET /api/v1/stores (a page of 100, the 10 pages in turn): ${figures(api.times)} (aim p95 < 20 ms), ${(api.bytes / 1024).toFixed(0)} KiB`);
    const alerts = await timed(sidecar.port, agent, (i) => (i % 2 ? '/api/v1/alerts?limit=100' : '/api/v1/alerts?limit=100&state=open'), bearer);
    console.log(`  GET /api/v1/alerts (a page of 100, all and open in turn): ${figures(alerts.times)} (aim p95 < 20 ms)`);
    const alertPage = await timed(sidecar.port, agent, () => '/console/alerts', session);
    console.log(`  /console/alerts page (100 alerts across stores): ${figures(alertPage.times)} (aim p95 < 20 ms)`);
    const overview = await timed(sidecar.port, agent, () => '/console', session, RUNS / 2);
    console.log(`  /console overview page (all ${STORES} stores): ${figures(overview.times)} (aim p95 < 150 ms), ${(overview.bytes / 1024).toFixed(0)} KiB`);
    // Every figure read afresh (no live events, so nothing kept): what the first view after a restart, or
    // after every store had orders within the same second, costs.
    const c2 = sidecar.container;
    const fresh = new OverviewService({ settings: c2.settings, alerts: c2.alerts, orders: c2.orders, maintenance: c2.maintenanceWindows, rollups: c2.rollups });
    const all = await c2.stores.list();
    const cold: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const t = process.hrtime.bigint();
      await fresh.rows(all);
      cold.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    console.log(`  overview rows of ${STORES} stores with nothing kept (the queries alone, no HTTP or page): ${figures(cold)}`);
    const fragment = await timed(sidecar.port, agent, () => '/console/fragment/overview', session, RUNS / 2);
    console.log(`  its live refresh /console/fragment/overview: ${figures(fragment.times)}`);
    agent.destroy();

    // An alert opened through the API, timed until a console's open stream hears of it.
    const write = (await c.apiTokens.create({ name: 'bench-write', scope: 'write', createdBy: 'bench' })).token;
    const waiting = new Map<string, () => void>();
    const close = await openStream(sidecar.port, `woom_session=${cookie}`, (type, data) => {
      if (type !== 'alert.opened') return;
      const storeId = (JSON.parse(data) as { storeId: string }).storeId;
      waiting.get(storeId)?.();
    });
    await new Promise((r) => setTimeout(r, 200));
    const latencies: number[] = [];
    const writer = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 1; i <= 40; i += 1) {
      const storeId = ids[i * 20 + 1]!;
      const heard = new Promise<void>((resolve) => waiting.set(storeId, resolve));
      const body = JSON.stringify({ store_id: storeId, severity: 'warning', message: 'bench' });
      const t = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: sidecar.port, path: '/api/v1/alerts', method: 'POST', agent: writer, headers: { Authorization: `Bearer ${write}`, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST /api/v1/alerts answered ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(body);
      });
      await heard;
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    writer.destroy();
    close();
    console.log(`  an alert opened (POST /api/v1/alerts) until an open console hears alert.opened, 40 alerts: ${figures(latencies)} (aim < 1 s)`);

    // 500 open event streams: the sidecar's memory before and after, and one event reaching them all.
    global.gc?.();
    const before = process.memoryUsage();
    let heard = 0;
    let allHeard: () => void = () => undefined;
    const everyone = new Promise<void>((resolve) => (allHeard = resolve));
    const closers: Array<() => void> = [];
    for (let i = 0; i < STREAMS; i += 1) {
      closers.push(
        await openStream(sidecar.port, `woom_session=${cookie}`, (type) => {
          if (type === 'store.changed' && ++heard === STREAMS) allHeard();
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 500));
    global.gc?.();
    const after = process.memoryUsage();
    const t = process.hrtime.bigint();
    await c.live.publish('store.changed', ids[0]!);
    await everyone;
    const fanOut = Number(process.hrtime.bigint() - t) / 1e6;
    for (const closeStream of closers) closeStream();
    console.log(`  ${STREAMS} open event streams (listeners ${c.live.listenerCount}): rss ${mib(before.rss)} -> ${mib(after.rss)}, heap used ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} (clients in the same process); one event reached all ${STREAMS} in ${fanOut.toFixed(0)} ms`);
  } finally {
    await sidecar.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchConsole().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
