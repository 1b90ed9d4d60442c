import type { Queue } from 'bullmq';
import { isCheckSchedulerId, RECOVERY_JOB, schedulerIdFor, type CheckJobData } from './names';

/** A check that meets a database or Redis blip is tried again a few seconds later, not skipped. */
const CHECK_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'fixed', delay: 5_000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 500 },
};

export interface ScheduledStore {
  id: string;
  enabled: boolean;
  intervalMinutes: number;
}

/**
 * One BullMQ job scheduler per store with a stable id, so upserting it again (every restart, every
 * settings change) replaces it instead of adding a second one.
 */
export class CheckScheduler {
  constructor(
    private readonly queue: Queue<CheckJobData>,
    /** How long a "minute" of check_interval_minutes is; tests shorten it. */
    private readonly minuteMs = 60_000,
  ) {}

  async apply(store: ScheduledStore): Promise<void> {
    if (!store.enabled) {
      await this.remove(store.id);
      return;
    }
    await this.queue.upsertJobScheduler(
      schedulerIdFor(store.id),
      { every: store.intervalMinutes * this.minuteMs },
      {
        name: 'check',
        data: { storeId: store.id, trigger: 'schedule' },
        opts: CHECK_JOB_OPTIONS,
      },
    );
  }

  async remove(storeId: string): Promise<void> {
    await this.queue.removeJobScheduler(schedulerIdFor(storeId));
  }

  /** Makes Redis match MariaDB: every enabled store scheduled once, no schedule for any other store. */
  async reconcile(stores: readonly ScheduledStore[]): Promise<{ scheduled: number; removed: number }> {
    const wanted = new Set(stores.filter((s) => s.enabled).map((s) => schedulerIdFor(s.id)));
    let removed = 0;
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      if (id && isCheckSchedulerId(id) && !wanted.has(id)) {
        await this.queue.removeJobScheduler(id);
        removed += 1;
      }
    }
    for (const store of stores) await this.apply(store);
    return { scheduled: wanted.size, removed };
  }

  async list(): Promise<Array<{ id: string; every: number | null; next: number | null }>> {
    const schedulers = await this.queue.getJobSchedulers(0, -1);
    return schedulers.map((s) => ({ id: String(s.id ?? s.key), every: s.every ? Number(s.every) : null, next: s.next ?? null }));
  }

  /** Reads a store's orders back over REST soon (after new credentials, at start); one waits at most. */
  async triggerRecovery(storeId: string): Promise<void> {
    await this.queue.add(
      RECOVERY_JOB,
      { storeId, trigger: 'schedule' },
      { deduplication: { id: `recover-${storeId}`, keepLastIfActive: true }, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
    );
  }

  /**
   * A check right after new order events, so RAD answers within seconds. At most one waits while one
   * runs: a burst of 500 events costs two checks, not 500.
   */
  async triggerEventCheck(storeId: string): Promise<void> {
    await this.queue.add(
      'check',
      { storeId, trigger: 'event' },
      {
        deduplication: { id: `event-check-${storeId}`, keepLastIfActive: true },
        ...CHECK_JOB_OPTIONS,
      },
    );
  }
}
