export const CHECK_QUEUE = 'woom-checks';
export const NOTIFY_QUEUE = 'woom-notifications';

export interface CheckJobData {
  storeId: string;
  trigger: 'schedule' | 'event';
}

export interface NotifyJobData {
  notificationId: number;
}

const CHECK_SCHEDULER_PREFIX = 'check-';
export const schedulerIdFor = (storeId: string): string => `${CHECK_SCHEDULER_PREFIX}${storeId}`;
export const isCheckSchedulerId = (id: string): boolean => id.startsWith(CHECK_SCHEDULER_PREFIX);
export const notifyJobIdFor = (notificationId: number): string => `notification-${notificationId}`;

export const MAINTENANCE_JOB = 'maintenance';
export const RECOVERY_JOB = 'recover';

/** The store probe runs in a queue of its own: a slow store's 10-second requests never delay a check. */
export const PROBE_QUEUE = 'woom-probes';
export interface ProbeJobData {
  storeId: string;
}
const PROBE_SCHEDULER_PREFIX = 'probe-';
export const probeSchedulerIdFor = (storeId: string): string => `${PROBE_SCHEDULER_PREFIX}${storeId}`;
export const isProbeSchedulerId = (id: string): boolean => id.startsWith(PROBE_SCHEDULER_PREFIX);
