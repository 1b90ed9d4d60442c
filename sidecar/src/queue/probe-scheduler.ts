import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { PROBE_SCHEDULER_PREFIX, type ProbeJobData } from './names';
import { StoreJobSchedules, type StoreSchedule } from './store-schedules';

/** A probe that fails is recorded as a failure; a job that breaks (database gone) is not retried. */
const PROBE_JOB_OPTIONS = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };

/** A store's probe schedule: `enabled` is monitoring on and probe_enabled. */
export type ProbeSchedule = StoreSchedule;

/** One job scheduler per probed store (`probe-<store id>`), rebuilt from MariaDB like the check schedules. */
export class ProbeScheduler extends StoreJobSchedules<ProbeJobData> {
  constructor(queue: Queue<ProbeJobData>, minuteMs = 60_000, log?: Logger) {
    super(queue, { prefix: PROBE_SCHEDULER_PREFIX, name: 'probe', data: (storeId) => ({ storeId }), opts: PROBE_JOB_OPTIONS }, minuteMs, log);
  }
}
