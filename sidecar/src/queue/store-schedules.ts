import { isDeepStrictEqual } from 'node:util';
import type { JobSchedulerJson, JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { spreadOver } from '../domain/time';

/** How long past the slot after it a scheduler's next job may wait before its chain counts as broken. */
const CHAIN_BROKEN_AFTER_MS = 120_000;

/** Whether, and how often, one store's recurring job runs (from its settings in MariaDB). */
export interface StoreSchedule {
  id: string;
  enabled: boolean;
  intervalMinutes: number;
}

/** One kind of recurring per-store job: its scheduler ids are `<prefix><store id>`. */
export interface RecurringStoreJob<Data> {
  prefix: string;
  name: string;
  data: (storeId: string) => Data;
  opts: JobsOptions;
}

/**
 * One BullMQ job scheduler per store and kind of job, with a stable id, so upserting it again (every
 * restart, every settings change) replaces it instead of adding a second one; reconcile() makes Redis
 * match MariaDB after a restart or a Redis that lost its keys.
 */
export class StoreJobSchedules<Data> {
  constructor(
    protected readonly queue: Queue<Data>,
    private readonly job: RecurringStoreJob<Data>,
    /** How long a "minute" of the interval is; tests shorten it. */
    private readonly minuteMs = 60_000,
    /** Debug lines of each rewrite of a scheduler: which job it left behind (bench:scale reads them). */
    private readonly log?: Logger,
  ) {}

  idFor(storeId: string): string {
    return `${this.job.prefix}${storeId}`;
  }

  /**
   * `runNow`: one run at once besides the schedule, for a store just added or changed (its settings),
   * so it is checked now rather than at its point of the interval. Not at a start's reconcile:
   * thousands at once is what the offset below spreads.
   *
   * `justRan`: the job has just run (a check that learnt a new cadence), so a new interval's first run
   * comes half an interval from now at the earliest, still at the store's own point of the interval.
   * BullMQ starts a changed interval at its next aligned slot, which can be a fraction of a second
   * away: bench:scale saw such a store checked twice within half a second.
   */
  async apply(schedule: StoreSchedule, { runNow = false, justRan = false }: { runNow?: boolean; justRan?: boolean } = {}): Promise<void> {
    if (!schedule.enabled) {
      await this.remove(schedule.id);
      return;
    }
    // BullMQ types the job template by the queue's data and name types; ours are plain.
    const queue = this.queue as unknown as Queue;
    const { every, offset } = this.timing(schedule);
    // BullMQ reads startDate only when the interval changed (otherwise the chain of jobs goes on).
    const startDate = justRan ? firstSlotFrom(Date.now() + every / 2, every, offset) : undefined;
    const next = await queue.upsertJobScheduler(
      this.idFor(schedule.id),
      { every, offset, ...(startDate !== undefined ? { startDate } : {}) },
      { name: this.job.name, data: this.job.data(schedule.id), opts: this.job.opts },
    );
    this.log?.debug({ event: 'schedule_upsert', scheduler: this.idFor(schedule.id), every, jobId: next?.id, delay: next?.opts.delay }, 'job scheduler written');
    if (runNow) {
      // One waiting at most: several changes in a row run it once.
      await queue.add(this.job.name, this.job.data(schedule.id), { ...this.job.opts, deduplication: { id: `${this.idFor(schedule.id)}-now` } });
    }
  }

  /**
   * Without an offset BullMQ runs a new scheduler's first job at once and keeps the phase of the instant
   * it was written: 10,000 schedulers written in the seconds after a start all fell due in the same
   * second of every minute. Each store gets its own point of the interval (never 0: BullMQ reads 0 as
   * "none"), the same on every sidecar and restart.
   */
  private timing(schedule: StoreSchedule): { every: number; offset: number } {
    const every = schedule.intervalMinutes * this.minuteMs;
    return { every, offset: 1 + spreadOver(this.idFor(schedule.id), every - 1) };
  }

  /**
   * Whether the scheduler in Redis is the one `schedule` asks for and its chain of jobs is alive: the same
   * interval, point of the interval, job name, data and options, and a next job not long overdue. A
   * worker adds the next job when it takes one; if that failed (Redis away at that moment) the next
   * stays in the past, and writing the scheduler again is what repairs it.
   */
  private isCurrent(present: JobSchedulerJson, schedule: StoreSchedule, now: number): boolean {
    const { every, offset } = this.timing(schedule);
    if (present.every !== every || present.offset !== offset || present.name !== this.job.name) return false;
    // A backlog also leaves the next job in the past (it waits to be taken); two minutes past the next
    // slot it is a broken chain. Rewriting a job that only waits would put it at the back of the queue.
    if (present.next === undefined || present.next === null || present.next < now - every - CHAIN_BROKEN_AFTER_MS) return false;
    // Redis hands the template back with its keys in another order: compared by value.
    if (!isDeepStrictEqual(present.template?.data, this.job.data(schedule.id))) return false;
    const opts = (present.template?.opts ?? {}) as Record<string, unknown>;
    return Object.entries(this.job.opts).every(([key, value]) => isDeepStrictEqual(opts[key], value));
  }

  async remove(storeId: string): Promise<void> {
    await this.queue.removeJobScheduler(this.idFor(storeId));
  }

  /**
   * Every enabled store scheduled once, no scheduler of this kind for any other store.
   *
   * `runMissingNow`: after Redis lost its keys, a store whose scheduler is gone also runs once at once.
   * Its slot may have fallen while Redis was down, and a scheduler written again waits for the next one:
   * a whole interval without a check. Not at a start, where a missing scheduler is a store never
   * scheduled (thousands after an import), which the offset spreads over the interval instead.
   */
  async reconcile(
    schedules: readonly StoreSchedule[],
    { runMissingNow = false }: { runMissingNow?: boolean } = {},
  ): Promise<{ scheduled: number; written: number; removed: number; ranNow: number }> {
    const wanted = new Set(schedules.filter((s) => s.enabled).map((s) => this.idFor(s.id)));
    const present = new Map<string, JobSchedulerJson>();
    let removed = 0;
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      if (!id || !id.startsWith(this.job.prefix)) continue;
      present.set(id, scheduler);
      if (!wanted.has(id)) {
        await this.queue.removeJobScheduler(id);
        removed += 1;
      }
    }
    let ranNow = 0;
    let written = 0;
    const now = Date.now();
    for (const schedule of schedules) {
      const found = present.get(this.idFor(schedule.id));
      // A scheduler already as wanted is left alone. Writing it again (every store, every minute, from the
      // maintenance job) replaced its waiting job under the workers: a job due that instant was taken
      // and re-added, and bench:scale saw one due time checked twice.
      if (schedule.enabled && found && this.isCurrent(found, schedule, now)) continue;
      const runNow = runMissingNow && schedule.enabled && !found;
      if (runNow) ranNow += 1;
      if (schedule.enabled || found) written += 1;
      await this.apply(schedule, { runNow });
    }
    return { scheduled: wanted.size, written, removed, ranNow };
  }

  async list(): Promise<Array<{ id: string; every: number | null; next: number | null }>> {
    const schedulers = await this.queue.getJobSchedulers(0, -1);
    return schedulers
      .map((s) => ({ id: String(s.id ?? s.key), every: s.every ? Number(s.every) : null, next: s.next ?? null }))
      .filter((s) => s.id.startsWith(this.job.prefix));
  }
}

/** The first instant at or after `from` that is `offset` into an interval of `every` (BullMQ's slots). */
export function firstSlotFrom(from: number, every: number, offset: number): number {
  const slot = Math.floor((from - offset) / every) * every + offset;
  return slot >= from ? slot : slot + every;
}
