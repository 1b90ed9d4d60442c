import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckScheduler } from '../../sidecar/src/queue/check-scheduler';
import type { CheckJobData } from '../../sidecar/src/queue/names';
import { wipeQueuePrefix } from '../helpers/redis';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import type { StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let busy: StoreCredentials;
let paused: StoreCredentials;
let hourly: StoreCredentials;

beforeAll(async () => {
  sidecar = await startSidecar({ minuteMs: 100 });
  // Fixed modes, whose schedule follows check_interval_minutes (adaptive stores are checked every minute).
  busy = await sidecar.addStore({ name: 'Busy', url: 'https://busy.example', timezone: 'UTC', settings: { mode: 'hybrid' } });
  paused = await sidecar.addStore({ name: 'Paused', url: 'https://paused.example', timezone: 'UTC', settings: { mode: 'hybrid', enabled: false } });
  hourly = await sidecar.addStore({ name: 'Hourly', url: 'https://hourly.example', timezone: 'UTC', settings: { mode: 'hybrid', check_interval_minutes: 60 } });
});
afterAll(async () => sidecar?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const checkSchedulers = async () =>
  (await sidecar.container.scheduler.list())
    .filter((s) => s.id.startsWith('check-'))
    .map((s) => `${s.id}@${s.every}`)
    .sort();
const expected = () => [`check-${busy.id}@1500`, `check-${hourly.id}@6000`].sort();
/** A check queue of the test's own on the sidecar's Redis, removed afterwards. */
async function withQueue(name: string, use: (queue: Queue<CheckJobData>) => Promise<void>): Promise<void> {
  const queue = new Queue<CheckJobData>(`${name}-${Date.now()}`, { connection: sidecar.container.redis, prefix: sidecar.prefix });
  try {
    await use(queue);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
const runsOf = async (storeId: string) =>
  Number((await sidecar.db('check_runs').where({ store_id: storeId, trigger: 'schedule' }).count({ n: '*' }).first())?.n);


describe('check schedules (BullMQ job schedulers)', () => {
  it('has one scheduler per enabled store, every check_interval_minutes', async () => {
    expect(await checkSchedulers()).toEqual(expected());
  });

  it('runs the scheduled checks', async () => {
    const before = await runsOf(busy.id);
    const pausedBefore = await runsOf(paused.id);
    await eventually(async () => (await runsOf(busy.id)) >= before + 2);
    expect(await runsOf(paused.id)).toBe(pausedBefore);
  });

  it('survives sidecar restarts without duplicating or losing a schedule, and keeps running them', async () => {
    await sidecar.restart();
    await sidecar.restart();
    expect(await checkSchedulers()).toEqual(expected());
    const before = await runsOf(busy.id);
    await eventually(async () => (await runsOf(busy.id)) >= before + 2);
  });

  it('rebuilds the schedules from MariaDB after Redis lost them (a restart of a Redis that keeps nothing on disk)', async () => {
    await wipeQueuePrefix(sidecar.prefix);
    expect(await checkSchedulers()).toEqual([]);
    // The sidecar's connection drops and comes back, as it does when Redis restarts.
    sidecar.container.redis.disconnect(true);
    await eventually(async () => JSON.stringify(await checkSchedulers()) === JSON.stringify(expected()));
    const before = await runsOf(busy.id);
    await eventually(async () => (await runsOf(busy.id)) >= before + 1);
  });

  it('rebuilds them on start when Redis was wiped while the sidecar was down', async () => {
    await sidecar.stop();
    await wipeQueuePrefix(sidecar.prefix);
    await sidecar.restart();
    expect(await checkSchedulers()).toEqual(expected());
  });

  it('follows an interval change and removes the schedule of a removed store', async () => {
    await sidecar.container.registry.updateSettings(hourly.id, { check_interval_minutes: 30 }, 'test');
    expect(await checkSchedulers()).toContain(`check-${hourly.id}@3000`);
    expect(await sidecar.container.registry.remove(hourly.id)).toBe(true);
    expect(await checkSchedulers()).toEqual([`check-${busy.id}@1500`]);
    expect(await sidecar.db('stores').where({ id: hourly.id }).first()).toBeUndefined();
  });

  it('spreads many stores over the interval instead of running them all in the same instant', async () => {
    // Scheduled a "minute" apart (6 s here) on a queue of their own, as 60 stores written in one start.
    await withQueue('spread', async (queue) => {
      const schedules = new CheckScheduler(queue, 6_000);
      const ids = Array.from({ length: 60 }, (_, i) => `spreadstore${String(i).padStart(3, '0')}`);
      const written = Date.now();
      for (const id of ids) await schedules.apply({ id, enabled: true, intervalMinutes: 1 });
      const next = (await schedules.list()).map((s) => Number(s.next));
      expect(next).toHaveLength(60);
      // All within one interval of being written (BullMQ's default ran each at once, all in one instant).
      expect(Math.min(...next)).toBeGreaterThanOrEqual(written);
      expect(Math.max(...next)).toBeLessThanOrEqual(Date.now() + 6_000);
      // Spread over it: each tenth of the interval holds some, none holds half of them.
      const tenths = new Map<number, number>();
      for (const n of next) tenths.set(Math.floor((n % 6_000) / 600), (tenths.get(Math.floor((n % 6_000) / 600)) ?? 0) + 1);
      expect(tenths.size).toBe(10);
      expect(Math.max(...tenths.values())).toBeLessThan(30);
      // The same store gets the same phase on every sidecar and after every restart.
      const phaseOf = async (id: string) => (await schedules.list()).find((s) => s.id === schedules.idFor(id))!.next! % 6_000;
      const phase = await phaseOf(ids[7]!);
      await schedules.apply({ id: ids[7]!, enabled: true, intervalMinutes: 1 });
      expect(await phaseOf(ids[7]!)).toBe(phase);
      await schedules.remove(ids[7]!);
      await schedules.apply({ id: ids[7]!, enabled: true, intervalMinutes: 1 });
      expect(await phaseOf(ids[7]!)).toBe(phase);
    });
  });

  it('after Redis lost a schedule, runs that store at once instead of a whole interval later', async () => {
    // A minute of a minute here: the next slot is far enough away that a job waiting now is the run at once.
    await withQueue('lost', async (queue) => {
      const schedules = new CheckScheduler(queue, 60_000);
      const kept = { id: 'keptstore', enabled: true, intervalMinutes: 1 };
      const lost = { id: 'loststore', enabled: true, intervalMinutes: 1 };
      await schedules.apply(kept);
      const waitingFor = async () => (await queue.getWaiting()).map((job) => job.data.storeId).sort();
      // A start's reconcile spreads stores never scheduled over the interval: nothing runs at once.
      expect(await schedules.reconcile([kept, lost])).toMatchObject({ scheduled: 2, ranNow: 0 });
      expect(await waitingFor()).toEqual([]);
      await schedules.remove(lost.id);
      // After Redis lost its keys, only the store whose scheduler is gone runs at once, once.
      expect(await schedules.reconcile([kept, lost], { runMissingNow: true })).toMatchObject({ scheduled: 2, ranNow: 1 });
      expect(await schedules.reconcile([kept, lost], { runMissingNow: true })).toMatchObject({ ranNow: 0 });
      expect(await waitingFor()).toEqual(['loststore']);
    });
  });

  it('leaves a schedule as wanted alone, rewrites a changed one, and repairs one whose chain of jobs broke', async () => {
    await withQueue('keep', async (queue) => {
      const schedules = new CheckScheduler(queue, 60_000);
      const one = { id: 'steadystore', enabled: true, intervalMinutes: 1 };
      const two = { id: 'changedstore', enabled: true, intervalMinutes: 5 };
      expect(await schedules.reconcile([one, two])).toMatchObject({ scheduled: 2, written: 2 });
      const delayedIds = async () => (await queue.getDelayed()).map((job) => job.id).sort();
      const before = await delayedIds();
      // Nothing changed: nothing written, the waiting jobs are the same ones (the upkeep runs every minute).
      expect(await schedules.reconcile([one, two])).toMatchObject({ written: 0 });
      expect(await delayedIds()).toEqual(before);
      // A learnt cadence: only that store's scheduler is written.
      expect(await schedules.reconcile([one, { ...two, intervalMinutes: 10 }])).toMatchObject({ written: 1 });
      expect((await schedules.list()).find((s) => s.id === schedules.idFor(two.id))?.every).toBe(600_000);
      // A broken chain: the job that would have added the next one is gone and its slot long past.
      const steady = (await queue.getDelayed()).find((job) => job.data.storeId === one.id)!;
      // (as when it ran and the worker could not reach Redis to add the next: BullMQ refuses to remove it).
      const key = `${sidecar.prefix}:${queue.name}`;
      await sidecar.container.redis.multi().zrem(`${key}:delayed`, steady.id!).del(`${key}:${steady.id}`).exec();
      await sidecar.container.redis.zadd(`${key}:repeat`, Date.now() - 10 * 60_000, schedules.idFor(one.id));
      expect(await schedules.reconcile([one, { ...two, intervalMinutes: 10 }])).toMatchObject({ written: 1 });
      const next = (await schedules.list()).find((s) => s.id === schedules.idFor(one.id))!.next!;
      expect(next).toBeGreaterThan(Date.now());
      expect((await queue.getDelayed()).filter((job) => job.data.storeId === one.id)).toHaveLength(1);
    });
  });

  it('starts a cadence learnt by a check half an interval later at the earliest, at the store\'s own point of it', async () => {
    await withQueue('learnt', async (queue) => {
      const schedules = new CheckScheduler(queue, 60_000);
      for (let i = 0; i < 20; i += 1) {
        const id = `learntstore${i}`;
        await schedules.apply({ id, enabled: true, intervalMinutes: 1 });
        const changedAt = Date.now();
        await schedules.apply({ id, enabled: true, intervalMinutes: 5 }, { justRan: true });
        const found = (await schedules.list()).find((s) => s.id === schedules.idFor(id))!;
        expect(found.every).toBe(300_000);
        expect(found.next!).toBeGreaterThanOrEqual(changedAt + 150_000);
        expect(found.next!).toBeLessThanOrEqual(Date.now() + 450_000);
        // Its own point of the interval: the same as a scheduler written afresh with this interval.
        await withQueue('fresh', async (other) => {
          const fresh = new CheckScheduler(other, 60_000);
          await fresh.apply({ id, enabled: true, intervalMinutes: 5 });
          const freshNext = (await fresh.list())[0]!.next!;
          expect(found.next! % 300_000).toBe(freshNext % 300_000);
        });
      }
      // One job per store: the 1-minute one was replaced, not left beside the new one.
      expect((await queue.getDelayed()).length).toBe(20);
    });
  });

  it('repairs a schedule removed behind its back at the next upkeep run', async () => {
    await sidecar.container.scheduler.remove(busy.id);
    expect(await checkSchedulers()).toEqual([]);
    await eventually(async () => (await checkSchedulers()).length === 1);
    expect(await checkSchedulers()).toEqual([`check-${busy.id}@1500`]);
  });
});
