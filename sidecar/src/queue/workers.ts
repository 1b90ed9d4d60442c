import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { CheckService } from '../services/check-service';
import type { NotificationService } from '../services/notification-service';
import { CHECK_QUEUE, NOTIFY_QUEUE, type CheckJobData, type NotifyJobData } from './names';

export interface WorkerDeps {
  connection: ConnectionOptions;
  prefix: string;
  checks: CheckService;
  notifications: NotificationService;
  /** Periodic upkeep: re-queue notifications that never reached the queue, repair schedules. */
  maintenance: () => Promise<void>;
  log: Logger;
}

export const MAINTENANCE_JOB = 'maintenance';

export function startWorkers(deps: WorkerDeps): Worker[] {
  const checkWorker = new Worker<CheckJobData>(
    CHECK_QUEUE,
    async (job) => {
      if (job.name === MAINTENANCE_JOB) return deps.maintenance();
      const outcome = await deps.checks.run(job.data.storeId, job.data.trigger);
      return outcome ? { decision: outcome.decision.action, alertId: outcome.alertId } : { skipped: 'unknown store' };
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4 },
  );
  const notifyWorker = new Worker<NotifyJobData>(
    NOTIFY_QUEUE,
    async (job) => {
      const attempt = job.attemptsMade + 1;
      return deps.notifications.deliver(job.data.notificationId, attempt, attempt >= (job.opts.attempts ?? 1));
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4 },
  );
  for (const worker of [checkWorker, notifyWorker]) {
    worker.on('error', (error) => deps.log.warn({ queue: worker.name, err: error.message }, 'worker error'));
    worker.on('failed', (job, error) =>
      deps.log.warn({ queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed'),
    );
  }
  return [checkWorker, notifyWorker];
}
