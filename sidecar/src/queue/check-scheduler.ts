import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { CHECK_SCHEDULER_PREFIX, RECOVERY_JOB, SALES_FEED_JOB, type CheckJobData } from './names';
import { StoreJobSchedules, type StoreSchedule } from './store-schedules';

/** A check that meets a database or Redis blip is tried again a few seconds later, not skipped. */
const CHECK_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'fixed', delay: 5_000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 500 },
};

/** A store's scheduled check; the schedules follow `checkCadenceMinutes(settings)`. */
export type ScheduledStore = StoreSchedule;

/**
 * The check schedules (one job scheduler per store, `check-<store id>`), and the one-off jobs the check
 * queue also runs: a check right after order events, a REST read-back.
 */
export class CheckScheduler extends StoreJobSchedules<CheckJobData> {
  constructor(queue: Queue<CheckJobData>, minuteMs = 60_000, log?: Logger) {
    super(queue, { prefix: CHECK_SCHEDULER_PREFIX, name: 'check', data: (storeId) => ({ storeId, trigger: 'schedule' }), opts: CHECK_JOB_OPTIONS }, minuteMs, log);
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
   * A sales feed run (services/sales-feed): at once after new order events, at most one waiting while one
   * runs; or `delayMs` later, when a channel's once-a-minute message is due, kept apart so that a run for
   * new orders does not swallow the delayed one.
   */
  async triggerSalesFeed(storeId: string, delayMs = 0): Promise<void> {
    const later = delayMs > 0;
    await this.queue.add(
      SALES_FEED_JOB,
      { storeId, trigger: 'event' },
      {
        deduplication: later ? { id: `sales-feed-later-${storeId}` } : { id: `sales-feed-${storeId}`, keepLastIfActive: true },
        ...(later ? { delay: delayMs } : {}),
        ...CHECK_JOB_OPTIONS,
      },
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
