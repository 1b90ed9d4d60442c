import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { CheckService } from '../services/check-service';
import type { OrderRecovery } from '../services/order-recovery';
import type { HealthMonitor } from '../services/health-monitor';
import type { ProbeMonitor } from '../services/probe-monitor';
import { recordSkippedCheck, type ReportingMonitor } from '../services/reporting-monitor';
import type { NotificationService } from '../services/notification-service';
import { CAPPED_BACKOFF, cappedBackoff, type RetryPolicy } from './notification-queue';
import { DAILY_FIGURES_JOB, DIGEST_JOB, SALES_FEED_JOB } from './names';
import { CHECK_QUEUE, MAINTENANCE_JOB, NOTIFY_QUEUE, PROBE_QUEUE, RECOVERY_JOB, type CheckJobData, type NotifyJobData, type ProbeJobData } from './names';

export interface WorkerDeps {
  connection: ConnectionOptions;
  prefix: string;
  checks: CheckService;
  /** Whether a scheduled check of the store was recorded since a time (store/alerts). */
  scheduledCheckSince: (storeId: string, since: Date) => Promise<boolean>;
  recovery: OrderRecovery;
  /** How often the check worker looks for stalled jobs; BullMQ's default unless set. */
  stalledIntervalMs?: number;
  reporting: ReportingMonitor;
  health: HealthMonitor;
  probes: ProbeMonitor;
  metrics: Metrics;
  retry: RetryPolicy;
  notifications: NotificationService;
  /** Periodic upkeep: re-queue notifications that never reached the queue, repair schedules. */
  maintenance: () => Promise<void>;
  /** Rolls up the local days that ended (services/daily-figures-service). */
  dailyFigures?: () => Promise<unknown>;
  /** Sends the digests whose local hour has come (services/digest-service). */
  digests?: () => Promise<unknown>;
  /** Posts the store's new successful orders to its sales feed channels (services/sales-feed). */
  salesFeed?: (storeId: string) => Promise<unknown>;
  log: Logger;
}



export function startWorkers(deps: WorkerDeps): Worker[] {
  const backoff = cappedBackoff(deps.retry);
  const checkWorker = new Worker<CheckJobData>(
    CHECK_QUEUE,
    async (job) => {
      if (job.name === MAINTENANCE_JOB) return deps.maintenance();
      if (job.name === DAILY_FIGURES_JOB) return void (await deps.dailyFigures?.());
      if (job.name === DIGEST_JOB) return void (await deps.digests?.());
      if (job.name === SALES_FEED_JOB) return deps.salesFeed?.(job.data.storeId);
      if (job.name === RECOVERY_JOB) return deps.recovery.recover(job.data.storeId);
      // Orders the bridge did not deliver are read back first, so a scheduled check never alerts on
      // orders that exist. The recovery records its own errors; the check runs whatever happened.
      if (job.data.trigger === 'schedule') {
        // A scheduler's job is due at its creation plus its delay; a queue that cannot keep up shows here first.
        const dueAt = job.timestamp + (job.opts.delay ?? 0);
        // Started before: a sidecar killed while it held the job (BullMQ hands it on once it finds it
        // stalled), or an attempt that failed after its check was recorded. A check recorded since the
        // due time did this job's work; a second one would only repeat it.
        if (job.attemptsStarted > 1 && (await deps.scheduledCheckSince(job.data.storeId, new Date(dueAt)))) {
          deps.log.info({ event: 'check_already_done', storeId: job.data.storeId, attempt: job.attemptsStarted }, 'scheduled check restarted after it was done: skipped');
          return { skipped: 'already done' };
        }
        const lateMs = Math.max(0, (job.processedOn ?? Date.now()) - dueAt);
        deps.metrics.checkLateness.observe(lateMs / 1000);
        deps.log.debug(
          { event: 'check_due', storeId: job.data.storeId, lateMs, jobId: job.id, attempt: job.attemptsStarted, createdAt: job.timestamp, delay: job.opts.delay, every: (job.opts as { repeat?: { every?: number } }).repeat?.every },
          'scheduled check started',
        );
        // Read once for the four steps below: each read it on its own before (a quarter of a scheduled
        // check's round trips to MariaDB, at thousands of checks a minute).
        const before = await deps.checks.load(job.data.storeId);
        // Without REST keys there is nothing to read back (two reads fewer for most stores).
        const recovered =
          before && !before.hasRestCredentials
            ? null
            : await deps.recovery.recover(job.data.storeId, new Date(), before?.store ?? null).catch((error: Error) => {
                deps.log.warn({ storeId: job.data.storeId, err: error.message }, 'recovery failed');
                return null;
              });
        // Orders read back may be the store's first contact, which the check reads: then read it again.
        const loaded = recovered && recovered.accepted > 0 ? await deps.checks.load(job.data.storeId) : before;
        // While WordPress is silent the monitor is blind: that is its own alert, never an order alert.
        const reporting = await deps.reporting.check(job.data.storeId, new Date(), loaded);
        if (reporting?.breached) {
          recordSkippedCheck(deps.log, deps.metrics, job.data.storeId, 'schedule', reporting.summary);
          return { skipped: reporting.summary };
        }
        await deps.health.check(job.data.storeId, new Date(), loaded);
        const outcome = await deps.checks.run(job.data.storeId, 'schedule', new Date(), loaded);
        if (outcome) deps.metrics.recordCheck(outcome.storeId, outcome.trigger, outcome.decision);
        return outcome ? { decision: outcome.decision.action, alertId: outcome.alertId } : { skipped: 'unknown store' };
      }
      const outcome = await deps.checks.run(job.data.storeId, job.data.trigger);
      if (outcome) deps.metrics.recordCheck(outcome.storeId, outcome.trigger, outcome.decision);
      return outcome ? { decision: outcome.decision.action, alertId: outcome.alertId } : { skipped: 'unknown store' };
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4, ...(deps.stalledIntervalMs ? { stalledInterval: deps.stalledIntervalMs } : {}) },
  );
  const notifyWorker = new Worker<NotifyJobData>(
    NOTIFY_QUEUE,
    async (job) => {
      const attempt = job.attemptsMade + 1;
      return deps.notifications.deliver(job.data.notificationId, attempt, attempt >= (job.opts.attempts ?? 1));
    },
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: 4,
      settings: { backoffStrategy: (attemptsMade, type) => (type === CAPPED_BACKOFF ? backoff(attemptsMade) : deps.retry.backoffMs) },
    },
  );
  // Probes wait on other sites' answers (up to 10 s a request): their own queue, so checks never queue behind them.
  const probeWorker = new Worker<ProbeJobData>(PROBE_QUEUE, async (job) => deps.probes.run(job.data.storeId), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 8,
  });
  for (const worker of [checkWorker, notifyWorker, probeWorker]) {
    worker.on('error', (error) => deps.log.warn({ queue: worker.name, err: error.message }, 'worker error'));
    worker.on('failed', (job, error) =>
      deps.log.warn({ queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed'),
    );
  }
  return [checkWorker, notifyWorker, probeWorker];
}
