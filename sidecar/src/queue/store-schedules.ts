import type { JobsOptions, Queue } from 'bullmq';
import { spreadOver } from '../domain/time';

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
  ) {}

  idFor(storeId: string): string {
    return `${this.job.prefix}${storeId}`;
  }

  /**
   * `runNow`: one run at once besides the schedule, for a store just added or changed (its settings, its
   * learnt cadence), so it is checked now rather than at its point of the interval. Not at a start's
   * reconcile: thousands at once is what the offset below spreads.
   */
  async apply(schedule: StoreSchedule, { runNow = false }: { runNow?: boolean } = {}): Promise<void> {
    if (!schedule.enabled) {
      await this.remove(schedule.id);
      return;
    }
    // BullMQ types the job template by the queue's data and name types; ours are plain.
    const queue = this.queue as unknown as Queue;
    const every = schedule.intervalMinutes * this.minuteMs;
    await queue.upsertJobScheduler(
      this.idFor(schedule.id),
      // Without an offset BullMQ runs a new scheduler's first job at once and keeps the phase of the
      // instant it was written: 10,000 schedulers written in the seconds after a start all fell due in the
      // same second of every minute. Each store gets its own second of the interval (never 0: BullMQ reads
      // 0 as "none"), the same on every sidecar and restart.
      { every, offset: 1 + spreadOver(this.idFor(schedule.id), every - 1) },
      { name: this.job.name, data: this.job.data(schedule.id), opts: this.job.opts },
    );
    if (runNow) {
      // One waiting at most: several changes in a row run it once.
      await queue.add(this.job.name, this.job.data(schedule.id), { ...this.job.opts, deduplication: { id: `${this.idFor(schedule.id)}-now` } });
    }
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
  async reconcile(schedules: readonly StoreSchedule[], { runMissingNow = false }: { runMissingNow?: boolean } = {}): Promise<{ scheduled: number; removed: number; ranNow: number }> {
    const wanted = new Set(schedules.filter((s) => s.enabled).map((s) => this.idFor(s.id)));
    const present = new Set<string>();
    let removed = 0;
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      if (!id || !id.startsWith(this.job.prefix)) continue;
      present.add(id);
      if (!wanted.has(id)) {
        await this.queue.removeJobScheduler(id);
        removed += 1;
      }
    }
    let ranNow = 0;
    for (const schedule of schedules) {
      const runNow = runMissingNow && schedule.enabled && !present.has(this.idFor(schedule.id));
      if (runNow) ranNow += 1;
      await this.apply(schedule, { runNow });
    }
    return { scheduled: wanted.size, removed, ranNow };
  }

  async list(): Promise<Array<{ id: string; every: number | null; next: number | null }>> {
    const schedulers = await this.queue.getJobSchedulers(0, -1);
    return schedulers
      .map((s) => ({ id: String(s.id ?? s.key), every: s.every ? Number(s.every) : null, next: s.next ?? null }))
      .filter((s) => s.id.startsWith(this.job.prefix));
  }
}
