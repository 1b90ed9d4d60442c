export const CHECK_QUEUE = 'woom-checks';
export const NOTIFY_QUEUE = 'woom-notifications';

export interface CheckJobData {
  storeId: string;
  trigger: 'schedule' | 'event';
}

export interface NotifyJobData {
  notificationId: number;
}

export const schedulerIdFor = (storeId: string): string => `check-${storeId}`;
export const notifyJobIdFor = (notificationId: number): string => `notification-${notificationId}`;
