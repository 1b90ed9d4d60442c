import { randomUUID } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { freePort } from '../helpers/wordpress';

const EVENTS = 20_000;
const BATCH = 500;
const ROUNDS = 3;
const CHECK_RUNS = 300;
const HISTORY = 10_000;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;

function makeEvents(count: number, base: number) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(now - (count - i) * 1000).toISOString();
    return {
      id: randomUUID(),
      type: 'order.created',
      order_id: base + i,
      from: null,
      to: i % 7 === 0 ? 'failed' : 'processing',
      total: '42.50',
      currency: 'EUR',
      payment_method: 'stripe',
      created_via: 'checkout',
      created_at: at,
      occurred_at: at,
    };
  });
}

function post(port: number, agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function rate(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return EVENTS / (Number(process.hrtime.bigint() - started) / 1e9);
}

type BenchEvent = ReturnType<typeof makeEvents>[number];

function eventRows(storeId: string, events: BenchEvent[]) {
  const receivedAt = new Date();
  return events.map((e) => ({
    store_id: storeId,
    id: e.id,
    type: e.type,
    order_id: e.order_id,
    from_status: null,
    to_status: e.to,
    total: 42.5,
    currency: e.currency,
    payment_method: e.payment_method,
    created_via: e.created_via,
    order_created_at: new Date(e.created_at),
    occurred_at: new Date(e.occurred_at),
    received_at: receivedAt,
    data: null,
  }));
}

function orderRowOf(row: ReturnType<typeof eventRows>[number]) {
  return {
    store_id: row.store_id,
    order_id: row.order_id,
    status: row.to_status,
    total: row.total,
    currency: row.currency,
    payment_method: row.payment_method,
    created_via: row.created_via,
    created_at: row.order_created_at,
    status_changed_at: row.occurred_at,
    updated_at: row.received_at,
  };
}

const CONCURRENT_STORES = 100;
const CONCURRENCY = 30;
const CONCURRENT_BATCH = 50;
const CONCURRENT_EVENTS = 20_000;

/** Runs `work` over `items` with at most `limit` in flight; returns each item's time in ms. */
async function pooled<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const t = process.hrtime.bigint();
      await work(item);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return times.sort((a, b) => a - b);
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where it cannot be read. */
function cpuSecondsOf(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** A process's only child (tsx's node), or null. */
function childOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || null;
  } catch {
    return null;
  }
}

/** MariaDB's server process on this machine, when it runs here (CI and our machines): its CPU is printed. */
function mariadbPid(): number | null {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      return Number(execFileSync('pidof', ['-s', name], { encoding: 'utf8' }).trim()) || null;
    } catch {
      // not this name
    }
  }
  return null;
}

/** Where the CPU of a timed section went: MariaDB, the sidecar's process (when separate), this process. */
async function cpuOf(sidecarPid: number | null, work: () => Promise<void>): Promise<string> {
  const db = mariadbPid();
  const before = { db: cpuSecondsOf(db), sidecar: cpuSecondsOf(sidecarPid), own: process.cpuUsage() };
  await work();
  const own = process.cpuUsage(before.own);
  const spent = (a: number | null, b: number | null) => (a === null || b === null ? 'n/a' : `${((b - a) * 1000 / (CONCURRENT_EVENTS / 1000)).toFixed(0)} ms`);
  const parts = [`MariaDB ${spent(before.db, cpuSecondsOf(db))}`];
  if (sidecarPid) parts.push(`sidecar ${spent(before.sidecar, cpuSecondsOf(sidecarPid))}`);
  parts.push(`${sidecarPid ? 'senders' : 'sidecar and senders'} ${(((own.user + own.system) / 1000) / (CONCURRENT_EVENTS / 1000)).toFixed(0)} ms`);
  return `CPU per 1,000 events: ${parts.join(', ')}`;
}

/**
 * The sidecar as production runs it, a process of its own on the same database, Redis prefix and secret
 * key: the benchmark's bridges (signing, sending) then do not share the sidecar's one thread.
 */
async function sidecarProcess(handle: SidecarHandle): Promise<{ port: number; pid: number | null; close: () => Promise<void> }> {
  const c = handle.container.config;
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: c.DATABASE_URL,
    REDIS_URL: c.REDIS_URL,
    QUEUE_PREFIX: handle.prefix,
    SMTP_URL: c.SMTP_URL,
    WOOM_SECRET_KEY: c.WOOM_SECRET_KEY ?? '',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
  };
  const child = spawn('node_modules/.bin/tsx', ['sidecar/src/index.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/readyz' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    if (status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the sidecar process did not start');
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    port,
    // tsx runs the sidecar in a node process of its own, tsx's only child.
    pid: childOf(child.pid),
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Many stores at once: CONCURRENT_STORES stores send CONCURRENT_EVENTS events in batches of
 * CONCURRENT_BATCH over CONCURRENCY connections (each store's batches in turn, so one store's batches
 * may overlap), next to raw batched inserts of the same rows at the same concurrency, in the same run.
 * Twice: to the sidecar in this process (sharing its thread with the senders), and to the sidecar in a
 * process of its own, as it runs in production.
 */
export async function benchConcurrentIngest(sidecar?: SidecarHandle): Promise<void> {
  const own = sidecar ?? (await startSidecar());
  const separate = await sidecarProcess(own);
  try {
    console.log(`ingest, many stores: ${CONCURRENT_EVENTS} signed events from ${CONCURRENT_STORES} stores in batches of ${CONCURRENT_BATCH}, ${CONCURRENCY} concurrent connections`);
    for (const [where, port, pid] of [
      ['sidecar in this process', own.port, null],
      ['sidecar in its own process', separate.port, separate.pid],
    ] as const) {
      const stores = [];
      for (let i = 0; i < CONCURRENT_STORES; i += 1) stores.push(await own.addStore({ name: `Many${i}`, url: `https://many${i}.example`, timezone: 'UTC', settings: { enabled: false } }));
      const perStore = CONCURRENT_EVENTS / CONCURRENT_BATCH / CONCURRENT_STORES;
      // Round by round over the stores, the order a fleet of bridges sending every minute would give.
      const requests: Array<{ store: (typeof stores)[number]; body: string }> = [];
      for (let b = 0; b < perStore; b += 1) {
        for (const [i, store] of stores.entries()) requests.push({ store, body: JSON.stringify({ store: store.id, events: makeEvents(CONCURRENT_BATCH, 5_000_000 + i * 10_000 + b * CONCURRENT_BATCH) }) });
      }
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const warm = requests.slice(0, CONCURRENCY).map((r) => ({ store: r.store, body: JSON.stringify({ store: r.store.id, events: makeEvents(5, 9_000_000) }) }));
      await pooled(warm, CONCURRENCY, async (r) => void (await post(port, agent, signedHeaders(r.store, 'POST', '/v1/events', r.body), r.body)));

      let started = process.hrtime.bigint();
      let latencies: number[] = [];
      const ingestCpu = await cpuOf(pid, async () => {
        latencies = await pooled(requests, CONCURRENCY, async (r) => {
          const status = await post(port, agent, signedHeaders(r.store, 'POST', '/v1/events', r.body), r.body);
          if (status !== 202) throw new Error(`ingest answered ${status}`);
        });
      });
      const ingestRate = CONCURRENT_EVENTS / (Number(process.hrtime.bigint() - started) / 1e9);
      agent.destroy();

      const rawStores: Array<{ id: string; secret: string }> = [];
      for (let i = 0; i < CONCURRENT_STORES; i += 1) rawStores.push(await own.addStore({ name: `Raw${i}`, url: `https://raw${i}.example`, timezone: 'UTC', settings: { enabled: false } }));
      const rawBatches = requests.map((r, k) => eventRows(rawStores[k % CONCURRENT_STORES]!.id, (JSON.parse(r.body) as { events: BenchEvent[] }).events));
      started = process.hrtime.bigint();
      let rawLatencies: number[] = [];
      const rawCpu = await cpuOf(null, async () => {
        rawLatencies = await pooled(rawBatches, CONCURRENCY, async (batch) => void (await own.db('order_events').insert(batch)));
      });
      const rawRate = CONCURRENT_EVENTS / (Number(process.hrtime.bigint() - started) / 1e9);

      console.log(`  ${where}:`);
      console.log(`    signed ingest:   ${ingestRate.toFixed(0)} events/s, request p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))} (aim p95 < 200 ms)`);
      console.log(`                     ${ingestCpu}`);
      console.log(`    raw knex insert: ${rawRate.toFixed(0)} rows/s (the same rows into order_events only, ${CONCURRENCY} at once), batch p95 ${ms(percentile(rawLatencies, 95))}`);
      console.log(`                     ${rawCpu}`);
      console.log(`    ratio:           ${((ingestRate / rawRate) * 100).toFixed(0)}% (aim >= 50%)`);
    }
  } finally {
    await separate.close();
    if (!sidecar) await own.close();
  }
}

/** Ingest throughput next to a raw batched insert of the same rows, and one store's check time. */
export async function benchSidecar(): Promise<void> {
  const sidecar = await startSidecar();
  try {
    // --- ingest over real HTTP, signed, as the bridge sends it, next to raw knex inserts of the same rows.
    // The three are interleaved over ROUNDS rounds and the median rate of each is printed, so a neighbour
    // loading the machine for a moment does not decide the ratio.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ingestRates: number[] = [];
    const rawRates: number[] = [];
    const bothRates: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const base = round * 1_000_000;
      const store = await sidecar.addStore({ name: `Bench${round}`, url: 'https://bench.example', timezone: 'UTC', settings: { enabled: false } });
      const warm = JSON.stringify({ store: store.id, events: makeEvents(BATCH, base + 900_000) });
      await post(sidecar.port, agent, signedHeaders(store, 'POST', '/v1/events', warm), warm);
      const bodies = Array.from({ length: EVENTS / BATCH }, (_, b) => JSON.stringify({ store: store.id, events: makeEvents(BATCH, base + b * BATCH + 1) }));
      ingestRates.push(
        await rate(async () => {
          for (const body of bodies) {
            const status = await post(sidecar.port, agent, signedHeaders(store, 'POST', '/v1/events', body), body);
            if (status !== 202) throw new Error(`ingest answered ${status}`);
          }
        }),
      );

      const raw = await sidecar.addStore({ name: `Raw${round}`, url: 'https://raw.example', timezone: 'UTC', settings: { enabled: false } });
      const rows = Array.from({ length: EVENTS / BATCH }, (_, b) => eventRows(raw.id, makeEvents(BATCH, base + b * BATCH + 1)));
      rawRates.push(
        await rate(async () => {
          for (const batch of rows) await sidecar.db('order_events').insert(batch);
        }),
      );

      // The same writes the ingest makes (events and each order's row), as two plain inserts per transaction.
      const both = await sidecar.addStore({ name: `Both${round}`, url: 'https://both.example', timezone: 'UTC', settings: { enabled: false } });
      const bothRows = Array.from({ length: EVENTS / BATCH }, (_, b) => eventRows(both.id, makeEvents(BATCH, base + b * BATCH + 1)));
      bothRates.push(
        await rate(async () => {
          for (const batch of bothRows) {
            await sidecar.db.transaction(async (trx) => {
              await trx('order_events').insert(batch);
              await trx('orders').insert(batch.map(orderRowOf));
            });
          }
        }),
      );
    }
    agent.destroy();
    const ingestRate = median(ingestRates);
    const rawRate = median(rawRates);
    const bothRate = median(bothRates);

    console.log(`ingest: ${EVENTS} signed events in batches of ${BATCH}, one request at a time over HTTP (as a bridge sends), median of ${ROUNDS} rounds`);
    console.log(`  signed ingest:         ${ingestRate.toFixed(0)} events/s (events + latest order status + contact, one transaction per batch)`);
    console.log(`  raw knex insert:       ${rawRate.toFixed(0)} rows/s (the same rows into order_events only)`);
    console.log(`  ratio:                 ${((ingestRate / rawRate) * 100).toFixed(0)}% (aim >= 50%)`);
    console.log(`  raw knex, both tables: ${bothRate.toFixed(0)} rows/s (events + orders rows, one transaction per batch)`);
    console.log(`  ratio to that:         ${((ingestRate / bothRate) * 100).toFixed(0)}% (the cost of HTTP, signature, validation, de-duplication)`);

    await benchConcurrentIngest(sidecar);

    // --- one store's check with 10,000 orders of history
    const checked = await sidecar.addStore({ name: 'Checked', url: 'https://checked.example', timezone: 'Europe/Berlin', settings: { enabled: false, mode: 'hybrid' } });
    const now = Date.now();
    const rows = Array.from({ length: HISTORY }, (_, i) => {
      const created = new Date(now - (HISTORY - i) * 60_000);
      return { store_id: checked.id, order_id: i + 1, status: i % 9 === 0 ? 'failed' : 'completed', created_at: created, status_changed_at: created, updated_at: created };
    });
    for (let i = 0; i < rows.length; i += 1000) await sidecar.db('orders').insert(rows.slice(i, i + 1000));
    const settings = (await sidecar.container.settings.get(checked.id))!;
    const storeRecord = (await sidecar.container.stores.find(checked.id))!;
    for (let i = 0; i < 20; i += 1) await sidecar.container.checks.run(checked.id, 'manual');
    const full: number[] = [];
    const evaluateOnly: number[] = [];
    for (let i = 0; i < CHECK_RUNS; i += 1) {
      let t = process.hrtime.bigint();
      await sidecar.container.checks.run(checked.id, 'manual');
      full.push(Number(process.hrtime.bigint() - t) / 1e6);
      t = process.hrtime.bigint();
      await sidecar.container.checks.evaluate(storeRecord, settings, new Date(), ['time_based', 'rolling_average']);
      evaluateOnly.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    full.sort((a, b) => a - b);
    evaluateOnly.sort((a, b) => a - b);
    console.log(`check: one store with ${HISTORY} orders of history, ${CHECK_RUNS} runs`);
    console.log(`  detectors (2 queries + pure evaluation): median ${ms(percentile(evaluateOnly, 50))}, p95 ${ms(percentile(evaluateOnly, 95))}`);
    console.log(`  whole check (+ locked decision, check-run row): median ${ms(percentile(full, 50))}, p95 ${ms(percentile(full, 95))} (aim < 5 ms)`);

    // --- the same store in adaptive mode (the default): 8 weeks of hourly history, retried carts, the
    // newest orders; 4% declines of which half are tried again within minutes.
    const adaptive = await sidecar.addStore({ name: 'Adaptive', url: 'https://adaptive.example', timezone: 'Europe/Berlin', settings: { enabled: false, mode: 'adaptive' } });
    const adaptiveRows: Array<Record<string, unknown>> = [];
    for (let i = 0; i < HISTORY; i += 1) {
      const created = new Date(now - (HISTORY - i) * 8 * 60_000);
      const declined = i % 25 === 0;
      const order = { store_id: adaptive.id, status: declined ? 'failed' : 'completed', total: 10 + (i % 40), payment_method: i % 3 ? 'stripe' : 'paypal', created_at: created, status_changed_at: created, updated_at: created };
      adaptiveRows.push({ ...order, order_id: adaptiveRows.length + 1 });
      if (declined && i % 50 === 0) {
        const again = new Date(created.getTime() + 2 * 60_000);
        adaptiveRows.push({ ...order, order_id: adaptiveRows.length + 1, status: 'completed', created_at: again, status_changed_at: again, updated_at: again });
      }
    }
    for (let i = 0; i < adaptiveRows.length; i += 1000) await sidecar.db('orders').insert(adaptiveRows.slice(i, i + 1000));
    for (let i = 0; i < 20; i += 1) await sidecar.container.checks.run(adaptive.id, 'manual');
    const adaptiveRuns: number[] = [];
    for (let i = 0; i < CHECK_RUNS / 3; i += 1) {
      const t = process.hrtime.bigint();
      await sidecar.container.checks.run(adaptive.id, 'manual');
      adaptiveRuns.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    adaptiveRuns.sort((a, b) => a - b);
    console.log(`check, adaptive mode: ${adaptiveRows.length} orders over ${Math.round((HISTORY * 8) / 1440)} days, ${adaptiveRuns.length} runs`);
    console.log(`  whole check (8-week baseline, retried carts, order flow, failure test): median ${ms(percentile(adaptiveRuns, 50))}, p95 ${ms(percentile(adaptiveRuns, 95))}`);
  } finally {
    await sidecar.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `tsx tests/bench/sidecar.ts concurrent`: the many-stores ingest alone.
  (process.argv[2] === 'concurrent' ? benchConcurrentIngest() : benchSidecar()).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
