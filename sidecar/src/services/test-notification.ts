import type { Knex } from 'knex';
import type { Settings } from '../domain/settings';
import { testContent } from '../notify/content';
import type { NotificationQueue } from '../queue/notification-queue';
import type { ChannelRepository } from '../store/channels';
import type { NotificationRepository } from '../store/notifications';
import type { StoreRecord } from '../store/stores';
import type { DeliveryOutcome, NotificationService } from './notification-service';

/**
 * How long the button waits for every target's answer. WordPress gives the request 25 s
 * (wp-bridge AdminActions::test_notification); answering well inside that leaves room for the request
 * itself, so the admin always sees each target's own result instead of WordPress's time-out.
 */
export const TEST_NOTIFICATION_BUDGET_MS = 12_000;

/** Test notifications a store may send in a minute: a button, not a way to flood someone's inbox. */
export const TEST_NOTIFICATIONS_PER_MINUTE = 5;

/** The "Send test notification" button: a real notification to every channel, queued and sent like an alert. */
export class TestNotificationService {
  constructor(
    private readonly db: Knex,
    private readonly notifications: NotificationRepository,
    private readonly channels: ChannelRepository,
    private readonly queue: NotificationQueue,
    private readonly delivery: Pick<NotificationService, 'progress'>,
    private readonly budgetMs = TEST_NOTIFICATION_BUDGET_MS,
  ) {}

  /** Seconds until this store may send another test notification; 0 when it may now. */
  async waitSeconds(storeId: string, now = new Date()): Promise<number> {
    // The notifications table is the record of what was sent, so the limit holds across sidecars.
    const since = new Date(now.getTime() - 60_000);
    const recent: Date[] = await this.db('notifications')
      .where({ store_id: storeId, kind: 'test' })
      .where('created_at', '>', since)
      .orderBy('created_at', 'desc')
      .limit(TEST_NOTIFICATIONS_PER_MINUTE)
      .pluck('created_at');
    if (recent.length < TEST_NOTIFICATIONS_PER_MINUTE) return 0;
    const oldest = recent[recent.length - 1]!;
    return Math.max(1, Math.ceil((oldest.getTime() + 60_000 - now.getTime()) / 1000));
  }

  async send(store: StoreRecord, settings: Settings, now = new Date()): Promise<DeliveryOutcome> {
    if (settings.alert_emails.length === 0 && (await this.channels.list(store.id)).length === 0) {
      return { ok: false, message: 'No alert e-mail address is set: add one under "Alert e-mails" (setting alert_emails), or a channel, first' };
    }
    const content = testContent(store, settings, now);
    const id = await this.notifications.create(this.db, { storeId: store.id, alertId: null, kind: 'test', content, createdAt: now });
    let job: Awaited<ReturnType<NotificationQueue['dispatchOnce']>>;
    try {
      job = await this.queue.dispatchOnce(id);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `The test notification could not be queued: ${reason}` };
    }
    try {
      return await job.finished(this.budgetMs);
    } catch {
      // Out of time (a receiver still answering) or the job failed: each target says what it answered
      // so far; one still being tried finishes in the background and its attempt is recorded.
      const seconds = Math.round(this.budgetMs / 1000);
      return this.delivery.progress(id, `no answer yet after ${seconds} s, still trying (the result is recorded when it comes)`);
    }
  }
}
