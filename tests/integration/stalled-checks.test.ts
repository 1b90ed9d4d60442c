import { Queue, Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container } from '../../sidecar/src/container';
import { CHECK_QUEUE, type CheckJobData } from '../../sidecar/src/queue/names';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import type { StoreCredentials } from '../helpers/signing';

/**
 * Scheduled check jobs as the worker runs them. A sidecar killed while it holds a scheduled check: BullMQ hands the job to another sidecar once it finds
 * it stalled. Here the killed one is a second Container whose worker runs the real check (or not) and
 * then never finishes; its worker is closed without completing the job, as a `kill -9` leaves it.
 */
let sidecar: SidecarHandle;
let store: StoreCredentials;
let other: Container;
let queue: Queue<CheckJobData>;

beforeAll(async () => {
  sidecar = await startSidecar({ stalledIntervalMs: 300 });
  // Hourly: no scheduled job of its own falls into the test.
  store = await sidecar.addStore({ name: 'Stalled', url: 'https://stalled.example', timezone: 'UTC', settings: { mode: 'hybrid', check_interval_minutes: 60 } });
  other = new Container(sidecar.container.config);
  queue = new Queue<CheckJobData>(CHECK_QUEUE, { connection: redisConnection(), prefix: sidecar.prefix });
  // The store's first checks (run when it was added and its settings saved) are behind us.
  await eventually(async () => {
    const jobs = await queue.getJobCounts('waiting', 'active', 'prioritized');
    return (await scheduledRuns()) >= 1 && (jobs.waiting ?? 0) + (jobs.active ?? 0) + (jobs.prioritized ?? 0) === 0;
  });
});
afterAll(async () => {
  await queue?.close();
  await other?.close();
  await sidecar?.close();
});

// Its own connections: the sidecar's close when it stops.
const redisConnection = () => ({ url: sidecar.container.config.REDIS_URL, maxRetriesPerRequest: null });
const scheduledRuns = async (since = new Date(0)) =>
  Number((await sidecar.db('check_runs').where({ store_id: store.id, trigger: 'schedule' }).where('ran_at', '>=', since).count({ n: '*' }).first())?.n);

/** The other sidecar takes one scheduled check, runs the real check or not, and dies holding it. */
async function dieHolding(runTheCheck: boolean): Promise<Job<CheckJobData>> {
  await sidecar.stop();
  const job = await queue.add('check', { storeId: store.id, trigger: 'schedule' });
  let taken!: () => void;
  const took = new Promise<void>((resolve) => (taken = resolve));
  const worker = new Worker<CheckJobData>(
    CHECK_QUEUE,
    async (held) => {
      if (runTheCheck) await other.checks.run(held.data.storeId, 'schedule');
      taken();
      await new Promise(() => undefined);
    },
    { connection: redisConnection(), prefix: sidecar.prefix, lockDuration: 1_000 },
  );
  await took;
  // Closed without finishing: its lock is no longer renewed, as after kill -9. Its lock is let go at once
  // (as it would lapse a second later), so the test waits only for the survivor's stalled-job check.
  await worker.close(true);
  await lockless(job.id!);
  await sidecar.restart();
  return job;
}

async function lockless(id: string): Promise<void> {
  const redis = new Redis(sidecar.container.config.REDIS_URL);
  try {
    await redis.del(`${sidecar.prefix}:${CHECK_QUEUE}:${id}:lock`);
  } finally {
    redis.disconnect();
  }
}

const finished = async (id: string) => {
  let job: Job<CheckJobData> | undefined;
  // Generous: on a loaded CI machine the survivor's first stalled-job check can take seconds.
  await eventually(async () => (job = await queue.getJob(id)) !== undefined && (await job.isCompleted()), 60_000);
  return job!;
};

describe('a scheduled check held by a sidecar that died', () => {
  it('is not run again when the dead sidecar had recorded it', async () => {
    const job = await dieHolding(true);
    const since = new Date(job.timestamp);
    const done = await finished(job.id!);
    expect(done.attemptsStarted).toBe(2);
    expect(done.returnvalue).toEqual({ skipped: 'already done' });
    // The dead one's check is there, and no second one.
    expect(await scheduledRuns(since)).toBe(1);
  }, 90_000);

  it('is run by the sidecar that takes it over when the dead one had not', async () => {
    const job = await dieHolding(false);
    const since = new Date(job.timestamp);
    const done = await finished(job.id!);
    expect(done.attemptsStarted).toBe(2);
    expect(done.returnvalue).toMatchObject({ decision: expect.any(String) });
    expect(await scheduledRuns(since)).toBe(1);
  }, 90_000);
});

describe('a scheduled check job', () => {
  it('reads the store, its open alerts and whether it has REST keys once for its recovery, its blind and health checks and the check', async () => {
    const reads: string[] = [];
    const statements: string[] = [];
    const db = sidecar.container.db;
    const listener = (q: { sql: string; bindings?: unknown[] }) => {
      if (!q.bindings?.includes(store.id)) return;
      statements.push(q.sql);
      if (/from `stores`/i.test(q.sql)) reads.push(q.sql);
    };
    db.on('query', listener);
    try {
      const job = await queue.add('check', { storeId: store.id, trigger: 'schedule' });
      const done = await finished(job.id!);
      expect(done.returnvalue).toMatchObject({ decision: expect.any(String) });
    } finally {
      db.off('query', listener);
    }
    expect(reads).toHaveLength(1);
    // A store without REST keys has nothing to read back, and the blind check knows its alert from that read.
    expect(statements.filter((sql) => /store_rest_(credentials|sync)`? where/i.test(sql))).toEqual([]);
    expect(statements.filter((sql) => /^select \* from `alerts`/i.test(sql))).toEqual([]);
  });
});

describe("a scheduled check's first read", () => {
  it('names the open alerts (an order alert of several detectors as one) and whether there are REST keys', async () => {
    const shop = await sidecar.addStore({ name: 'Loaded', url: 'https://loaded.example', timezone: 'UTC', settings: { enabled: false } });
    const open = (detector: string) =>
      sidecar.db.transaction((trx) => sidecar.container.alerts.insert(trx, { storeId: shop.id, detector, severity: 'warning', openedAt: new Date(), notifiedAt: null, details: {} }));
    expect(await sidecar.container.checks.load(shop.id)).toMatchObject({ openOrderAlert: false, openAlertDetectors: [], hasRestCredentials: false });
    await open('reporting');
    expect(await sidecar.container.checks.load(shop.id)).toMatchObject({ openOrderAlert: false, openAlertDetectors: ['reporting'] });
    await open('time_based,rolling_average');
    const loaded = await sidecar.container.checks.load(shop.id);
    expect(loaded?.openOrderAlert).toBe(true);
    expect([...loaded!.openAlertDetectors].sort()).toEqual(['reporting', 'time_based,rolling_average']);
  });
});
