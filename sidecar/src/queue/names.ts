export const CHECK_QUEUE = 'woom-checks';
export const NOTIFY_QUEUE = 'woom-notifications';

export interface CheckJobData {
  storeId: string;
  trigger: 'schedule' | 'event';
}

export interface NotifyJobData {
  notificationId: number;
}

export const CHECK_SCHEDULER_PREFIX = 'check-';
export const schedulerIdFor = (storeId: string): string => `${CHECK_SCHEDULER_PREFIX}${storeId}`;
export const notifyJobIdFor = (notificationId: number): string => `notification-${notificationId}`;

export const MAINTENANCE_JOB = 'maintenance';
export const RECOVERY_JOB = 'recover';
export const DAILY_FIGURES_JOB = 'daily-figures';
/** Looks for digests whose local hour has come (services/digest-service). */
export const DIGEST_JOB = 'digests';
/** Posts the successful orders of channels with the sales feed on (services/sales-feed). */
export const SALES_FEED_JOB = 'sales-feed';

/** The store probe runs in a queue of its own: a slow store's 10-second requests never delay a check. */
export const PROBE_QUEUE = 'woom-probes';
export interface ProbeJobData {
  storeId: string;
}
export const PROBE_SCHEDULER_PREFIX = 'probe-';
