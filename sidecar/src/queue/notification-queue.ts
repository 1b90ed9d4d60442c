import { QueueEvents, type Queue } from 'bullmq';
import { notifyJobIdFor, type NotifyJobData } from './names';
import type { DeliveryOutcome } from '../services/notification-service';

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export const CAPPED_BACKOFF = 'capped-exponential';

/** base, 2 x base, 4 x base ... up to the cap: BullMQ's exponential back-off has no ceiling of its own. */
export function cappedBackoff(policy: RetryPolicy): (attemptsMade: number) => number {
  return (attemptsMade) => Math.min(policy.backoffMs * 2 ** Math.max(0, attemptsMade - 1), policy.maxBackoffMs);
}

/** Puts stored notifications on the delivery queue; the job id makes a second dispatch a no-op. */
export class NotificationQueue {
  constructor(
    private readonly queue: Queue<NotifyJobData>,
    private readonly retry: RetryPolicy,
    private readonly events: QueueEvents,
  ) {}

  async dispatch(notificationIds: readonly number[]): Promise<void> {
    if (notificationIds.length === 0) return;
    await this.queue.addBulk(
      notificationIds.map((notificationId) => ({
        name: 'deliver',
        data: { notificationId },
        opts: {
          jobId: notifyJobIdFor(notificationId),
          attempts: this.retry.attempts,
          backoff: { type: CAPPED_BACKOFF, delay: this.retry.backoffMs },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      })),
    );
  }

  /**
   * A test notification: one attempt through the same worker. Resolves once the job is queued (so a
   * Redis that is down fails here, before anything could be sent); `finished` then waits up to
   * `timeoutMs` for the worker's answer.
   */
  async dispatchOnce(notificationId: number): Promise<{ finished: (timeoutMs: number) => Promise<DeliveryOutcome> }> {
    const job = await this.queue.add(
      'deliver',
      { notificationId },
      { jobId: notifyJobIdFor(notificationId), attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } },
    );
    return { finished: async (timeoutMs) => (await job.waitUntilFinished(this.events, timeoutMs)) as DeliveryOutcome };
  }
}
