import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('repairs a schedule removed behind its back at the next upkeep run', async () => {
    await sidecar.container.scheduler.remove(busy.id);
    expect(await checkSchedulers()).toEqual([]);
    await eventually(async () => (await checkSchedulers()).length === 1);
    expect(await checkSchedulers()).toEqual([`check-${busy.id}@1500`]);
  });
});
