import type { Knex } from 'knex';
import type { Settings } from '../domain/settings';
import { testContent } from '../notify/content';
import type { NotificationQueue } from '../queue/notification-queue';
import type { ChannelRepository } from '../store/channels';
import type { NotificationRepository } from '../store/notifications';
import type { StoreRecord } from '../store/stores';
import type { DeliveryOutcome } from './notification-service';

const WAIT_MS = 20_000;

/** The "Send test notification" button: a real notification to every channel, queued and sent like an alert. */
export class TestNotificationService {
  constructor(
    private readonly db: Knex,
    private readonly notifications: NotificationRepository,
    private readonly channels: ChannelRepository,
    private readonly queue: NotificationQueue,
  ) {}

  async send(store: StoreRecord, settings: Settings, now = new Date()): Promise<DeliveryOutcome> {
    if (settings.alert_emails.length === 0 && (await this.channels.list(store.id)).length === 0) {
      return { ok: false, message: 'No alert e-mail address is set: add one under "Alert e-mails" (setting alert_emails), or a channel, first' };
    }
    const content = testContent(store, settings, now);
    const id = await this.notifications.create(this.db, { storeId: store.id, alertId: null, kind: 'test', content, createdAt: now });
    try {
      return await this.queue.dispatchAndWait(id, WAIT_MS);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `The test e-mail could not be sent: ${reason}` };
    }
  }
}
