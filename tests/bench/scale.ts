import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { minimumStopDetectionMinutes } from '../../sidecar/src/domain/cadence';
import type { OrderDetail } from '../../sidecar/src/domain/diagnosis';
import { retriedFailures } from '../../sidecar/src/domain/failure-rate';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { CHECK_QUEUE, CHECK_SCHEDULER_PREFIX } from '../../sidecar/src/queue/names';
import { newStoreId, newStoreSecret } from '../../sidecar/src/store/stores';
import { createTestDatabase } from '../helpers/database';
import { REDIS_URL, wipeQueuePrefix } from '../helpers/redis';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

/**
 * `npm run bench:scale [-- --stores N --minutes M --days D --tsx --keep --buffer-pool G --profile DIR]`: many stores on the real sidecar.
 * Registers N stores (80% at ~10 orders a day, 18% at ~100, 2% at ~2,000) straight into MariaDB with D
 * days of history and their hourly roll-ups, then runs the real sidecar (dist/, or tsx with --tsx) with
 * its schedulers, workers and ingest for M minutes of live order traffic at those rates, then two sidecars
 * sharing the work for M minutes, one of them killed with SIGKILL halfway. Prints figures; passes or fails
 * on nothing. Everything on 127.0.0.1; every loop is bounded by the phase's end.
 */

interface Options {
  stores: number;
  minutes: number;
  days: number;
  tsx: boolean;
  keep: boolean;
  /** Sets MariaDB's innodb_buffer_pool_size (GiB) for the run, as docs/scaling.md advises; absent: as it is. */
  bufferPoolGiB: number | null;
  /** Writes each sidecar's V8 CPU profile (node --cpu-prof) into this folder when it exits. */
  profileDir: string | null;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, got "${argv[i + 1]}"`);
    return n;
  };
  return {
    stores: value('stores', 10_000),
    minutes: value('minutes', 10),
    days: value('days', 56),
    tsx: argv.includes('--tsx'),
    keep: argv.includes('--keep'),
    bufferPoolGiB: argv.includes('--buffer-pool') ? value('buffer-pool', 1) : null,
    profileDir: argv.includes('--profile') ? (argv[argv.indexOf('--profile') + 1] ?? null) : null,
  };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Requests in flight at once, as many bridges sending at the same time. */
const CONNECTIONS = 30;
const FAILED_SHARE = 0.04;
const RECIPIENT = 'owner@scale.test';

/** Orders per UTC hour relative to the day's mean: quiet nights, an afternoon peak (peak 1.8 x mean). */
const hourWeight = (hour: number) => 1 + 0.8 * Math.sin((2 * Math.PI * (hour - 10)) / 24);
const PEAK = 1.8;

/** 2% of stores at ~2,000 orders a day, 18% at ~100, 80% at ~10 (by index, so every size has its share). */
const perDayOf = (index: number) => (index % 50 === 0 ? 2_000 : index % 50 <= 9 ? 100 : 10);

/** A seeded generator: the same history for the same options. */
function generator(seed: number) {
  let state = seed % 2147483647 || 1;
  const next = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const poisson = (lambda: number) => {
    // Knuth's method, bounded: lambda here is at most a few dozen.
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = next();
    while (p > limit && k < 1_000) {
      k += 1;
      p *= next();
    }
    return k;
  };
  return { next, poisson };
}

interface BenchStore {
  id: string;
  secret: string;
  index: number;
  perDay: number;
  nextOrderId: number;
}

const refusalsOf = (traffic: { refusals: ReadonlyMap<number, number> }) =>
  traffic.refusals.size ? ` (${[...traffic.refusals].map(([status, n]) => `${status || 'no answer'}: ${n}`).join(', ')})` : '';
const percentile = (sorted: readonly number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
const fmtMs = (n: number) => (Number.isNaN(n) ? '-' : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(0)} ms`);
const fmtBytes = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** Stores, settings, cadence, D days of orders and their roll-ups, in multi-row inserts. */
async function seed(db: Knex, options: Options, now: number): Promise<BenchStore[]> {
  const started = Date.now();
  const stores: BenchStore[] = [];
  const since = new Date(now - options.days * DAY);
  for (let i = 0; i < options.stores; i += 1) stores.push({ id: newStoreId(), secret: newStoreSecret(), index: i, perDay: perDayOf(i), nextOrderId: 1 });
  const settings = JSON.stringify({ ...defaultSettings('UTC'), probe_enabled: false, alert_emails: [RECIPIENT] });
  for (let i = 0; i < stores.length; i += 1_000) {
    const slice = stores.slice(i, i + 1_000);
    // Registered when their history began (orders before registration are baseline only) and talking now.
    await db('stores').insert(slice.map((s) => ({ id: s.id, name: `Scale ${s.index}`, url: `https://scale${s.index}.example`, secret: s.secret, created_at: since, first_contact_at: since, last_contact_at: new Date(now) })));
    await db('store_settings').insert(slice.map((s) => ({ store_id: s.id, settings, updated_at: since })));
    // What the first check would learn, so the run starts at the cadence of a running sidecar.
    await db('store_cadence').insert(
      slice.map((s) => ({ store_id: s.id, stop_detection_minutes: minimumStopDetectionMinutes({ ratePerHour: Float64Array.of((s.perDay / 24) * PEAK) }), updated_at: new Date(now) })),
    );
  }

  const rand = generator(options.stores * 7919 + options.days);
  const orderBatch: Array<Record<string, unknown>> = [];
  const rollupBatch: Array<Record<string, unknown>> = [];
  const inFlight = new Set<Promise<unknown>>();
  let orders = 0;
  // A later pass adds to an hour an earlier one began, so roll-up rows add up instead of replacing.
  const adding = { orders: db.raw('orders + VALUES(orders)'), revenue: db.raw('revenue + VALUES(revenue)'), revenue_orders: db.raw('revenue_orders + VALUES(revenue_orders)'), retried: db.raw('retried + VALUES(retried)') };
  const flush = async (table: string, rows: Array<Record<string, unknown>>, min: number) => {
    if (rows.length < min) return;
    const chunk = rows.splice(0, rows.length);
    const query = table === 'order_hourly' ? db(table).insert(chunk).onConflict(['store_id', 'hour', 'status']).merge(adding) : db(table).insert(chunk);
    const insert: Promise<unknown> = query.then(() => inFlight.delete(insert));
    inFlight.add(insert);
    // Two inserts at once: the generator keeps MariaDB busy without a queue that grows.
    if (inFlight.size >= 2) await Promise.race(inFlight);
  };
  /** Every store's orders created in [from, to), at its rate and the hour's weight, and their roll-ups. */
  const generate = async (from: number, to: number) => {
    for (const store of stores) {
      const hourly = new Map<string, { hour: number; status: string; orders: number; revenue: number; retried: number }>();
      const seeded: OrderDetail[] = [];
      for (let t = Math.floor(from / HOUR) * HOUR; t < to; t += HOUR) {
        const hour = t / HOUR;
        const lo = Math.max(t, from);
        const span = Math.min(t + HOUR, to) - lo;
        const n = rand.poisson((store.perDay / 24) * hourWeight(new Date(t).getUTCHours()) * (span / HOUR));
        for (let k = 0; k < n; k += 1) {
          const created = new Date(lo + Math.floor(rand.next() * span));
          const status = rand.next() < FAILED_SHARE ? 'failed' : 'completed';
          const total = 10 + Math.floor(rand.next() * 90);
          orderBatch.push({
            store_id: store.id,
            order_id: store.nextOrderId++,
            status,
            total,
            currency: 'EUR',
            payment_method: 'stripe',
            created_via: 'checkout',
            created_at: created,
            status_changed_at: created,
            updated_at: created,
          });
          const key = `${hour}|${status}`;
          seeded.push({ orderId: store.nextOrderId - 1, status, createdAt: created, total, paymentMethod: 'stripe' });
          const cell = hourly.get(key) ?? { hour, status, orders: 0, revenue: 0, retried: 0 };
          cell.orders += 1;
          cell.revenue += total;
          hourly.set(key, cell);
          orders += 1;
        }
        await flush('orders', orderBatch, 5_000);
      }
      // Same total by chance within minutes is a retried cart to the roll-ups too (store/rollups); a retry
      // across two passes' boundary is not counted (a handful of seconds' orders).
      seeded.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || Number(a.orderId) - Number(b.orderId));
      const retried = retriedFailures(seeded, () => true);
      seeded.forEach((o, i) => {
        if (retried[i]) hourly.get(`${Math.floor(o.createdAt.getTime() / HOUR)}|${o.status}`)!.retried += 1;
      });
      for (const c of hourly.values()) rollupBatch.push({ store_id: store.id, hour: c.hour, status: c.status, orders: c.orders, revenue: c.revenue, revenue_orders: c.orders, retried: c.retried });
      await flush('order_hourly', rollupBatch, 5_000);
    }
    await flush('orders', orderBatch, 1);
    await flush('order_hourly', rollupBatch, 1);
    await Promise.all(inFlight);
  };
  await generate(now - options.days * DAY, now);
  // Seeding 10,000 stores takes minutes: without these passes the busy stores would start the run with a
  // silence as long as the seeding (the 219 order-flow alerts of an earlier 10,000-store run), which is the
  // benchmark's gap, not the stores'. Each pass covers the time the previous one took, until it is seconds.
  let seededTo = now;
  for (let pass = 0; pass < 5 && Date.now() - seededTo > 10_000; pass += 1) {
    const to = Date.now();
    await generate(seededTo, to);
    seededTo = to;
  }
  // WordPress was talking until now, not only until the seeding began: a quarter of an hour of seeding
  // otherwise reads as WordPress silent (329 "blind" alerts at 10,000 stores).
  await db('stores').whereIn('id', stores.map((s) => s.id)).update({ last_contact_at: new Date(seededTo) });
  const seconds = (Date.now() - started) / 1000;
  console.log(`seeded ${stores.length} stores, ${orders} orders over ${options.days} days and their roll-ups in ${seconds.toFixed(0)} s (${(orders / seconds).toFixed(0)} rows/s)`);
  return stores;
}

interface CheckLine {
  at: number;
  storeId: string;
  trigger: string;
  decision: string;
}
interface DueLine {
  at: number;
  storeId: string;
  dueAt: number;
  /** The BullMQ job and how often it was started: which job ran twice, when one did. */
  jobId?: string;
  attempt?: number;
  sidecar?: string;
  lateMs: number;
  /** When the job was written, its delay and interval: where a second job of one due time came from. */
  createdAt?: number;
  delay?: number;
  every?: number;
}
/** A job scheduler written (reconcile, settings, learnt cadence): the job it left waiting. */
interface UpsertLine {
  at: number;
  scheduler: string;
  every: number;
  jobId: string;
  delay: number;
  sidecar: string;
}

/**
 * Scheduled checks of one store started less than 30 s apart (the shortest interval is a minute): a
 * check run twice. Prints up to six, with the job each came from and the scheduler writes around it.
 */
function printStartedTwice(dues: readonly DueLine[], upserts: readonly UpsertLine[]): number {
  const byStore = new Map<string, DueLine[]>();
  for (const d of dues) byStore.set(d.storeId, [...(byStore.get(d.storeId) ?? []), d]);
  const seconds: DueLine[] = [];
  for (const list of byStore.values()) {
    list.sort((x, y) => x.at - y.at);
    for (let i = 1; i < list.length; i += 1) if (list[i]!.at - list[i - 1]!.at < 30_000) seconds.push(list[i - 1]!, list[i]!);
  }
  for (const d of seconds.slice(0, 12)) {
    console.log(
      `    e.g. ${d.storeId} due ${new Date(d.dueAt).toISOString()}: job ${d.jobId} (written ${new Date(d.createdAt ?? 0).toISOString()}, delay ${d.delay} ms, every ${d.every} ms), start ${d.attempt}, on ${d.sidecar} at ${new Date(d.at).toISOString()}`,
    );
    for (const u of upserts.filter((x) => x.scheduler === `check-${d.storeId}` && Math.abs(x.at - d.dueAt) < 70_000)) {
      console.log(`      written by ${u.sidecar} at ${new Date(u.at).toISOString()}: every ${u.every} ms, left job ${u.jobId} with delay ${u.delay} ms`);
    }
  }
  return seconds.length / 2;
}

/** One sidecar process, its JSON log read line by line. */
class SidecarProcess {
  readonly checks: CheckLine[] = [];
  readonly dues: DueLine[] = [];
  readonly upserts: UpsertLine[] = [];
  skipped = 0;
  /** Scheduled checks taken over from a dead sidecar that had already recorded them: not run again. */
  alreadyDone = 0;
  private readonly child: ChildProcess;
  private exited = false;

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
    tsx: boolean,
    profileDir: string | null,
  ) {
    const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];
    const [command, args] = tsx ? ['node_modules/.bin/tsx', [...profile, 'sidecar/src/index.ts']] : [process.execPath, [...profile, 'dist/index.js']];
    this.child = spawn(command, args, { env: { ...process.env, ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.on('exit', () => (this.exited = true));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.read(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => console.error(`[${name}] ${line}`));
  }

  private read(line: string): void {
    if (!line.startsWith('{')) return;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    // pino's isoTime: the time the sidecar wrote the line.
    const at = typeof entry.time === 'string' ? Date.parse(entry.time) : Date.now();
    if (entry.event === 'check_due')
      this.dues.push({
        at,
        storeId: String(entry.storeId),
        lateMs: Number(entry.lateMs),
        dueAt: at - Number(entry.lateMs),
        jobId: String(entry.jobId),
        attempt: Number(entry.attempt),
        sidecar: this.name,
        createdAt: Number(entry.createdAt),
        delay: Number(entry.delay),
        every: Number(entry.every),
      });
    else if (entry.event === 'schedule_upsert' && String(entry.scheduler).startsWith('check-'))
      this.upserts.push({ at, scheduler: String(entry.scheduler), every: Number(entry.every), jobId: String(entry.jobId), delay: Number(entry.delay), sidecar: this.name });
    else if (entry.event === 'check' && entry.decision === 'skipped') this.skipped += 1;
    else if (entry.event === 'check_already_done') this.alreadyDone += 1;
    else if (entry.event === 'check') this.checks.push({ at, storeId: String(entry.storeId), trigger: String(entry.trigger), decision: String(entry.decision) });
    else if (Number(entry.level) >= 50) console.error(`[${this.name}] ${line.slice(0, 400)}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** User + system CPU seconds so far (Linux /proc). */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  async ready(timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited before it was ready`);
      const status = await new Promise<number>((resolve) => {
        const req = request({ host: '127.0.0.1', port: this.port, path: '/readyz' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
        req.end();
      });
      if (status === 200) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs / 1000} s`);
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, 30_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill(signal);
    });
  }
}

/** Live traffic: each store sends once a minute (at its own second) what it sold, and a heartbeat every 5 minutes. */
class Traffic {
  readonly latencies: number[] = [];
  failures = 0;
  /** Requests not accepted, by HTTP status (0: no answer). */
  readonly refusals = new Map<number, number>();
  private queue: Array<() => Promise<void>> = [];
  private running = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  private readonly rand = generator(4242);

  constructor(
    private readonly stores: readonly BenchStore[],
    /** Which sidecar's port a store's bridge talks to (a load balancer's choice). */
    private readonly portOf: (store: BenchStore) => number,
  ) {}

  /** The stores whose second of the minute this is send their minute. */
  tick(now: number): void {
    const second = Math.floor(now / 1000) % 60;
    const minute = Math.floor(now / MINUTE);
    for (let i = second; i < this.stores.length; i += 60) {
      const store = this.stores[i]!;
      const count = this.rand.poisson((store.perDay / 1440) * hourWeight(new Date(now).getUTCHours()));
      const events: Array<Record<string, unknown>> = [];
      for (let k = 0; k < count; k += 1) events.push(this.order(store, this.rand.next() < FAILED_SHARE ? 'failed' : 'completed', now));
      if (minute % 5 === store.index % 5) events.push({ id: randomUUID(), type: 'heartbeat', occurred_at: new Date(now).toISOString(), data: { outbox_size: 0 } });
      if (events.length > 0) this.send(store, events);
    }
  }

  /** A checkout that keeps failing: enough failed orders at once for the failure tests to alert. */
  failureBurst(store: BenchStore, now: number, count = 15): void {
    this.send(store, Array.from({ length: count }, () => this.order(store, 'failed', now)));
  }

  private order(store: BenchStore, status: string, now: number): Record<string, unknown> {
    const at = new Date(now - Math.floor(this.rand.next() * 50_000)).toISOString();
    return {
      id: randomUUID(),
      type: 'order.created',
      order_id: store.nextOrderId++,
      from: null,
      to: status,
      total: (10 + Math.floor(this.rand.next() * 90)).toFixed(2),
      currency: 'EUR',
      payment_method: 'stripe',
      created_via: 'checkout',
      created_at: at,
      occurred_at: at,
    };
  }

  private send(store: BenchStore, events: Array<Record<string, unknown>>): void {
    const body = JSON.stringify({ store: store.id, events });
    this.queue.push(async () => {
      const port = this.portOf(store);
      const started = Date.now();
      const status = await new Promise<number>((resolve) => {
        const headers = { ...signedHeaders(store, 'POST', '/v1/events', body), 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
        const req = request({ host: '127.0.0.1', port, path: '/v1/events', method: 'POST', agent: this.agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end(body);
      });
      this.latencies.push(Date.now() - started);
      if (status !== 202) {
        this.failures += 1;
        this.refusals.set(status, (this.refusals.get(status) ?? 0) + 1);
      }
    });
    this.pump();
  }

  private pump(): void {
    while (this.running < CONNECTIONS && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running += 1;
      void job().finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  get backlog(): number {
    return this.queue.length + this.running;
  }

  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.backlog > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs traffic for `ms`, calling `at(elapsed)` once a second for scripted moments. */
async function runFor(traffic: Traffic, ms: number, at: (elapsedMs: number) => Promise<void> | void): Promise<void> {
  const start = Date.now();
  let next = start;
  while (Date.now() - start < ms) {
    traffic.tick(Date.now());
    await at(Date.now() - start);
    next += 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  await traffic.drain();
}

/** Each store's check interval as its job scheduler holds it now. */
/** Each store's check interval (ms), from its job scheduler in Redis; `next` (when known) is its next run. */
async function schedules(prefix: string, next?: Map<string, number>): Promise<Map<string, number>> {
  const queue = new Queue(CHECK_QUEUE, { connection: { url: REDIS_URL }, prefix });
  try {
    const result = new Map<string, number>();
    for (const s of await queue.getJobSchedulers(0, -1)) {
      const id = String(s.id ?? s.key);
      if (!id.startsWith(CHECK_SCHEDULER_PREFIX) || !s.every) continue;
      result.set(id.slice(CHECK_SCHEDULER_PREFIX.length), Number(s.every));
      if (next && s.next) next.set(id.slice(CHECK_SCHEDULER_PREFIX.length), Number(s.next));
    }
    return result;
  } finally {
    await queue.close();
  }
}

/** Per minute of the phase: scheduled checks due (from each store's interval), started, and how late. */
function printMinutes(dues: readonly DueLine[], checks: readonly CheckLine[], skipped: number, every: Map<string, number>, start: number, end: number): void {
  const duePerMinute = [...every.values()].reduce((sum, ms) => sum + MINUTE / ms, 0);
  const minutes = Math.ceil((end - start) / MINUTE);
  console.log(`  minute | due (from intervals) | scheduled started | scheduled checks done | event checks | lateness p50 / p95 / max`);
  for (let m = 0; m < minutes; m += 1) {
    const from = start + m * MINUTE;
    const to = Math.min(end, from + MINUTE);
    const started = dues.filter((d) => d.dueAt >= from && d.dueAt < to);
    const done = checks.filter((c) => c.at >= from && c.at < to);
    const late = started.map((d) => d.lateMs).sort((a, b) => a - b);
    const share = (to - from) / MINUTE;
    console.log(
      `  ${String(m + 1).padStart(6)} | ${(duePerMinute * share).toFixed(0).padStart(20)} | ${String(started.length).padStart(17)} | ${String(done.filter((c) => c.trigger === 'schedule').length).padStart(21)} | ${String(done.filter((c) => c.trigger === 'event').length).padStart(12)} | ${fmtMs(percentile(late, 50))} / ${fmtMs(percentile(late, 95))} / ${fmtMs(late.at(-1) ?? NaN)}`,
    );
  }
  const all = dues.filter((d) => d.dueAt >= start && d.dueAt < end).map((d) => d.lateMs).sort((a, b) => a - b);
  console.log(`  lateness past due, whole phase: p50 ${fmtMs(percentile(all, 50))}, p95 ${fmtMs(percentile(all, 95))}, max ${fmtMs(all.at(-1) ?? NaN)} (aim max < 60 s); skipped (WordPress silent): ${skipped}`);
}

async function printStorage(db: Knex, redis: Redis, prefix: string, options: Options, runMinutes: number): Promise<void> {
  const schema = ((await db.raw('SELECT DATABASE() AS name')) as [Array<{ name: string }>])[0][0]!.name;
  const tables = ['orders', 'order_hourly', 'order_events', 'check_runs', 'alerts', 'notifications', 'deliveries', 'signed_requests'];
  for (const table of tables) await db.raw(`ANALYZE TABLE \`${table}\``).catch(() => undefined);
  const [rows] = (await db.raw(
    `SELECT TABLE_NAME AS name, TABLE_ROWS AS n, DATA_LENGTH + INDEX_LENGTH AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (${tables.map(() => '?').join(',')})`,
    [schema, ...tables],
  )) as [Array<{ name: string; n: number; bytes: number }>];
  const exact = async (table: string) => Number(((await db(table).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
  const storeMonths = (options.stores * options.days) / 30.44;
  const runStoreMonths = (options.stores * runMinutes) / (30.44 * 1440);
  console.log(`MariaDB, database ${schema} (${options.stores} stores):`);
  console.log('  table          |       rows |       size | bytes/row | per store-month (from)');
  for (const row of rows.sort((a, b) => a.name.localeCompare(b.name))) {
    const n = await exact(row.name);
    const perRow = n > 0 ? Number(row.bytes) / n : 0;
    // History tables were seeded for the whole period; the others grew during the run only.
    const seeded = row.name === 'orders' || row.name === 'order_hourly';
    const perStoreMonth = seeded ? Number(row.bytes) / storeMonths : n > 0 ? (Number(row.bytes) / runStoreMonths) : 0;
    console.log(`  ${row.name.padEnd(14)} | ${String(n).padStart(10)} | ${fmtBytes(Number(row.bytes)).padStart(10)} | ${perRow.toFixed(0).padStart(9)} | ${fmtBytes(perStoreMonth)} (${seeded ? 'seeded history' : `${runMinutes.toFixed(1)} min of run`})`);
  }
  // What the notifications were: order alerts, the store's own alerts (silent WordPress, probe), digests.
  const kinds: Array<{ kind: string; n: number }> = await db('notifications').select('kind').count({ n: '*' }).groupBy('kind');
  console.log(`  notifications by kind: ${kinds.map((k) => `${k.kind} ${Number(k.n)}`).join(', ') || 'none'}`);
  const detectors: Array<{ detector: string; n: number }> = await db('alerts').select('detector').count({ n: '*' }).groupBy('detector');
  console.log(`  alerts by detector: ${detectors.map((d) => `${d.detector} ${Number(d.n)}`).join(', ') || 'none'}`);
  const [[pool]] = (await db.raw('SELECT @@innodb_buffer_pool_size AS size')) as [Array<{ size: number }>];
  let rss = '?';
  try {
    const pid = execFileSync('pidof', ['mariadbd']).toString().trim().split(' ')[0];
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1];
    if (kb) rss = fmtBytes(Number(kb) * 1024);
  } catch {
    // MariaDB on another machine: the buffer pool size still says what it was given.
  }
  console.log(`  MariaDB server: innodb_buffer_pool_size ${fmtBytes(Number(pool!.size))}, resident ${rss} (the whole server, shared with other databases)`);
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  for (let round = 0; round < 100_000; round += 1) {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) {
      const pipeline = redis.pipeline();
      for (const key of batch) pipeline.memory('USAGE', key);
      for (const [, size] of (await pipeline.exec()) ?? []) bytes += Number(size ?? 0);
      keys += batch.length;
    }
    if (cursor === '0') break;
  }
  const info = await redis.info('memory');
  const used = Number(info.match(/used_memory:(\d+)/)?.[1] ?? 0);
  const policy = info.match(/maxmemory_policy:(\S+)/)?.[1] ?? '?';
  console.log(`Redis: this sidecar's keys ${keys}, ${fmtBytes(bytes)} (${fmtBytes(bytes / options.stores)} per store); server used_memory ${fmtBytes(used)}, maxmemory-policy ${policy}`);
}

/**
 * A stopped or killed sidecar's queries run on in MariaDB until they finish (a baseline's 8-week read can
 * take minutes on a cold buffer pool): ended here, in this benchmark's database only, so the next phase
 * starts on a quiet server. Returns how many were running.
 */
async function endLeftoverQueries(db: Knex): Promise<number> {
  const [rows] = (await db.raw("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND = 'Query' AND ID <> CONNECTION_ID()")) as [Array<{ id: number }>];
  for (const { id } of rows) await db.raw(`KILL QUERY ${Number(id)}`).catch(() => undefined);
  return rows.length;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(`WOOM scale benchmark, ${new Date().toISOString()}, node ${process.version}: ${options.stores} stores, ${options.days} days of history, ${options.minutes} min per phase, sidecar from ${options.tsx ? 'tsx' : 'dist/'}`);
  if (!options.tsx) {
    const build = spawn(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    await new Promise((resolve, reject) => build.on('exit', (code) => (code === 0 ? resolve(null) : reject(new Error(`npm run build failed (${code})`)))));
  }
  const database = await createTestDatabase();
  if (options.bufferPoolGiB !== null) {
    // MariaDB resizes the buffer pool while running; it stays so until the server restarts.
    await database.db.raw(`SET GLOBAL innodb_buffer_pool_size = ${options.bufferPoolGiB * 1024 ** 3}`);
  }
  const prefix = `woomscale${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  let smtp: TestSmtp | null = null;
  const processes: SidecarProcess[] = [];
  try {
    smtp = await startTestSmtp();
    const now = Date.now();
    const stores = await seed(database.db, options, now);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'WOOM Scale <woom@scale.test>',
      LOG_LEVEL: 'debug',
      METRICS_STORE_LABELS: '0',
      WOOM_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    const basePort = 20_000 + Math.floor(Math.random() * 20_000);
    const phaseMs = options.minutes * MINUTE;
    const burstStores = stores.filter((s) => s.perDay === 100).slice(0, 4);

    // --- one sidecar
    const one = new SidecarProcess('sidecar-1', basePort, env, options.tsx, options.profileDir);
    processes.push(one);
    let t = Date.now();
    await one.ready();
    console.log(`\nphase 1: one sidecar (pid ${one.pid}), ready in ${((Date.now() - t) / 1000).toFixed(1)} s (schedules for ${options.stores} stores rebuilt from MariaDB)`);
    const traffic1 = new Traffic(stores, () => one.port);
    const cpu1 = one.cpuSeconds();
    const start1 = Date.now();
    await runFor(traffic1, phaseMs, (elapsed) => {
      if (elapsed >= MINUTE && elapsed < MINUTE + 1000) for (const s of burstStores.slice(0, 2)) traffic1.failureBurst(s, Date.now());
    });
    const end1 = Date.now();
    const cpuUsed1 = one.cpuSeconds() - cpu1;
    traffic1.close();
    const every = await schedules(prefix);
    printMinutes(one.dues, one.checks, one.skipped, every, start1, end1);
    const twice1 = printStartedTwice(one.dues.filter((x) => x.at >= start1 && x.at < end1), one.upserts);
    console.log(`  scheduled checks started twice (within 30 s of the store's last): ${twice1}`);
    const checks1 = one.checks.filter((c) => c.at >= start1 && c.at < end1).length;
    const lat1 = [...traffic1.latencies].sort((a, b) => a - b);
    console.log(`  ingest: ${traffic1.latencies.length} requests, p50 ${fmtMs(percentile(lat1, 50))}, p95 ${fmtMs(percentile(lat1, 95))}, not accepted ${traffic1.failures}${refusalsOf(traffic1)}`);
    console.log(`  CPU: ${cpuUsed1.toFixed(1)} s over ${((end1 - start1) / 1000).toFixed(0)} s (${((cpuUsed1 / ((end1 - start1) / 1000)) * 100).toFixed(0)}% of one core), ${checks1} checks: ${((cpuUsed1 * 1000) / Math.max(1, checks1)).toFixed(1)} ms CPU per check, ingest included`);
    await printStorage(database.db, redis, prefix, options, (end1 - start1) / MINUTE);
    await one.kill('SIGTERM');
    const ended = await endLeftoverQueries(database.db);
    if (ended > 0) console.log(`  (${ended} queries of sidecar-1 were still running in MariaDB after it stopped; ended before phase 2)`);

    // --- two sidecars sharing the work; the second is killed (SIGKILL) halfway
    const a = new SidecarProcess('sidecar-a', basePort + 1, env, options.tsx, options.profileDir);
    const b = new SidecarProcess('sidecar-b', basePort + 2, env, options.tsx, options.profileDir);
    processes.push(a, b);
    t = Date.now();
    await Promise.all([a.ready(), b.ready()]);
    console.log(`\nphase 2: two sidecars (pids ${a.pid}, ${b.pid}), ready in ${((Date.now() - t) / 1000).toFixed(1)} s; sidecar-b is killed with SIGKILL after ${options.minutes / 2} min`);
    let killedAt = Number.POSITIVE_INFINITY;
    const traffic2 = new Traffic(stores, (s) => (s.index % 2 === 0 || Date.now() >= killedAt ? a.port : b.port));
    const start2 = Date.now();
    const alertsBefore = Number(((await database.db('alerts').max({ id: 'id' })) as Array<{ id: number | null }>)[0]!.id ?? 0);
    await runFor(traffic2, phaseMs, async (elapsed) => {
      if (elapsed >= MINUTE && elapsed < MINUTE + 1000) for (const s of burstStores.slice(2)) traffic2.failureBurst(s, Date.now());
      if (elapsed >= phaseMs / 2 && killedAt === Number.POSITIVE_INFINITY) {
        killedAt = Date.now();
        await b.kill('SIGKILL');
      }
    });
    const end2 = Date.now();
    traffic2.close();
    const next2 = new Map<string, number>();
    const every2 = await schedules(prefix, next2);
    const dues = [...a.dues, ...b.dues];
    printMinutes(dues, [...a.checks, ...b.checks], a.skipped + b.skipped, every2, start2, end2);
    const inPhase = (c: { at: number }) => c.at >= start2 && c.at < killedAt;
    console.log(`  work shared before the kill: sidecar-a ran ${a.checks.filter(inPhase).length} checks, sidecar-b ${b.checks.filter(inPhase).length}`);
    const twice = printStartedTwice(dues.filter((x) => x.at >= start2), [...a.upserts, ...b.upserts]);
    console.log(`  scheduled checks started twice (within 30 s of the store's last): ${twice} (a job sidecar-b held when killed is run again by sidecar-a once BullMQ finds it stalled); taken over and found already done: ${a.alreadyDone}`);
    const [alertRows] = (await database.db.raw(
      `SELECT store_id, COUNT(*) AS n FROM alerts WHERE id > ? AND detector NOT IN ('reporting','health','probe') GROUP BY store_id`,
      [alertsBefore],
    )) as [Array<{ store_id: string; n: number }>];
    const [dupNotices] = (await database.db.raw(
      `SELECT alert_id, kind, COUNT(*) AS n FROM notifications WHERE alert_id > ? AND kind = 'alert' GROUP BY alert_id, kind HAVING n > 1`,
      [alertsBefore],
    )) as [Array<{ alert_id: number; n: number }>];
    const opened = alertRows.reduce((sum, r) => sum + Number(r.n), 0);
    const mails = smtp.messages.filter((m) => (m.date?.getTime() ?? 0) >= start2).length;
    console.log(`  alerts opened in phase 2: ${opened} in ${alertRows.length} stores (failure bursts sent to ${burstStores.length - 2}); alert notices sent twice for one alert: ${dupNotices.length}; mails received: ${mails}`);
    // After the kill: every store whose check fell due is checked by the survivor; how late at most.
    const afterKill = a.dues.filter((d) => d.dueAt >= killedAt && d.dueAt < end2 - MINUTE);
    const dueStores = new Set<string>();
    const limit = end2 - MINUTE;
    for (const [storeId, ms] of every2) {
      // Due at least once in [kill, end - 1 min): a store on a 15-minute step may not be due at all. The
      // scheduler's next run, stepped back by its interval, gives its due times (BullMQ counts them from
      // when the schedule was written, not from the epoch).
      const next = next2.get(storeId);
      if (next === undefined) continue;
      const lastBeforeLimit = next >= limit ? next - (Math.floor((next - limit) / ms) + 1) * ms : next;
      // A scheduler rewritten (a learnt cadence; by sidecar-1 too, which goes on checking while phase 1's
      // storage is measured) starts a new chain at its first job: stepping back from its next run past
      // that gives times before the write, which were never due.
      const rewrite = [...one.upserts, ...a.upserts, ...b.upserts].filter((u) => u.scheduler === `check-${storeId}`).sort((x, y) => x.at - y.at).at(-1);
      const chainFrom = rewrite ? rewrite.at + rewrite.delay : killedAt;
      if (lastBeforeLimit >= Math.max(killedAt, chainFrom - 1000)) dueStores.add(storeId);
    }
    const carried = new Set(afterKill.map((d) => d.storeId));
    const missingIds = [...dueStores].filter((id) => !carried.has(id));
    const missing = missingIds.length;
    for (const id of missingIds.slice(0, 5)) {
      const starts = [...a.dues, ...b.dues].filter((d) => d.storeId === id && d.at >= start2).map((d) => `${d.sidecar} ${new Date(d.at).toISOString().slice(11, 23)}`);
      const writes = [...one.upserts, ...a.upserts, ...b.upserts].filter((u) => u.scheduler === `check-${id}`).map((u) => `${u.sidecar} ${new Date(u.at).toISOString().slice(11, 23)} every ${u.every / 1000} s, first in ${u.delay} ms`);
      console.log(
        `    not checked after the kill: ${id} every ${(every2.get(id) ?? 0) / 1000} s, next ${new Date(next2.get(id) ?? 0).toISOString().slice(11, 23)}; started ${starts.join(', ') || 'never'} in phase 2; written ${writes.join('; ') || 'never'} (since phase 1 began)`,
      );
    }
    const carriedDue = dueStores.size - missing;
    const lateAfter = afterKill.map((d) => d.lateMs).sort((x, y) => x - y);
    const firstRun = a.dues.filter((d) => d.at >= killedAt && b.dues.some((x) => x.storeId === d.storeId)).map((d) => d.at - killedAt).sort((x, y) => x - y);
    console.log(
      `  after kill -9 of sidecar-b: ${carriedDue} of ${dueStores.size} stores due by their schedule were checked by sidecar-a, ${missing} not (${carried.size} stores checked on schedule in all); lateness after the kill p95 ${fmtMs(percentile(lateAfter, 95))}, max ${fmtMs(lateAfter.at(-1) ?? NaN)} (aim: every store within 60 s); sidecar-a's first check of a store sidecar-b had checked came ${fmtMs(firstRun[0] ?? NaN)} after the kill`,
    );
    await a.kill('SIGTERM');
  } finally {
    for (const p of processes) await p.kill('SIGKILL');
    await endLeftoverQueries(database.db);
    await smtp?.close();
    redis.disconnect();
    if (options.keep) {
      console.log(`kept: ${database.url}, Redis prefix ${prefix}`);
      await database.db.destroy();
    } else {
      await wipeQueuePrefix(prefix);
      await database.drop();
    }
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
