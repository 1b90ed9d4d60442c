import type { Queue } from 'bullmq';
import { isProbeSchedulerId, probeSchedulerIdFor, type ProbeJobData } from './names';

/** A probe that fails is recorded as a failure; a job that breaks (database gone) is not retried. */
const PROBE_JOB_OPTIONS = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } };

export interface ProbeSchedule {
  id: string;
  /** Monitoring on and probe_enabled. */
  enabled: boolean;
  intervalMinutes: number;
}

/**
 * One BullMQ job scheduler per probed store (`probe-<store id>`), like the check schedulers: upserting it
 * again replaces it, and reconcile() makes Redis match MariaDB after a restart or a lost Redis.
 */
export class ProbeScheduler {
  constructor(
    private readonly queue: Queue<ProbeJobData>,
    /** How long a "minute" of probe_interval_minutes is; tests shorten it. */
    private readonly minuteMs = 60_000,
  ) {}

  async apply(schedule: ProbeSchedule): Promise<void> {
    if (!schedule.enabled) {
      await this.queue.removeJobScheduler(probeSchedulerIdFor(schedule.id));
      return;
    }
    await this.queue.upsertJobScheduler(
      probeSchedulerIdFor(schedule.id),
      { every: schedule.intervalMinutes * this.minuteMs },
      { name: 'probe', data: { storeId: schedule.id }, opts: PROBE_JOB_OPTIONS },
    );
  }

  async reconcile(schedules: readonly ProbeSchedule[]): Promise<{ scheduled: number; removed: number }> {
    const wanted = new Set(schedules.filter((s) => s.enabled).map((s) => probeSchedulerIdFor(s.id)));
    let removed = 0;
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.id ?? scheduler.key;
      if (id && isProbeSchedulerId(id) && !wanted.has(id)) {
        await this.queue.removeJobScheduler(id);
        removed += 1;
      }
    }
    for (const schedule of schedules) await this.apply(schedule);
    return { scheduled: wanted.size, removed };
  }

  async list(): Promise<Array<{ id: string; every: number | null }>> {
    const schedulers = await this.queue.getJobSchedulers(0, -1);
    return schedulers.map((s) => ({ id: String(s.id ?? s.key), every: s.every ? Number(s.every) : null }));
  }
}
