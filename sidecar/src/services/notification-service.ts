import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { NotificationContent } from '../notify/content';
import { DeliveryError, type Notifier } from '../notify/notifier';
import type { EmailRenderer } from '../notify/renderer';
import type { DeliveryRecord, DeliveryStatus, NotificationRepository } from '../store/notifications';

export interface DeliveryOutcome {
  ok: boolean;
  message: string;
}

/** Thrown so the queue retries: at least one recipient failed in a way that may pass later. */
export class RetryLaterError extends Error {}

/**
 * Sends one stored notification to each recipient that has not received it yet, recording every
 * attempt as a delivery row. Safe to run again after a crash or a retry: a recipient with a "sent"
 * delivery is never sent to twice, and a permanently refused one is not tried again.
 */
export class NotificationService {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly notifier: Notifier,
    private readonly renderer: EmailRenderer,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  async deliver(notificationId: number, attempt: number, finalAttempt: boolean, now = () => new Date()): Promise<DeliveryOutcome> {
    const notification = await this.notifications.find<NotificationContent>(notificationId);
    if (!notification) return { ok: false, message: `Notification ${notificationId} no longer exists` };
    if (notification.status !== 'pending') return this.summarise(notificationId);

    const recipients = notification.content.recipients;
    if (recipients.length === 0) {
      await this.notifications.complete(notificationId, 'no_recipients', now());
      return { ok: false, message: 'No alert e-mail address is set for this store (setting alert_emails)' };
    }

    const previous = await this.notifications.deliveries([notificationId]);
    const done = new Set(previous.filter((d) => d.status !== 'retrying').map((d) => d.recipient));
    const message = this.renderer.render(notification.content);
    let retryable = 0;

    for (const recipient of recipients.filter((r) => !done.has(r))) {
      let status: DeliveryStatus;
      let response: string;
      try {
        response = (await this.notifier.send(message, recipient)).response;
        status = 'sent';
      } catch (error) {
        const permanent = error instanceof DeliveryError ? error.permanent : false;
        response = error instanceof Error ? error.message : String(error);
        status = permanent || finalAttempt ? 'failed' : 'retrying';
        if (status === 'retrying') retryable += 1;
      }
      await this.notifications.recordDelivery({
        notificationId,
        channel: this.notifier.channel,
        recipient,
        attempt,
        status,
        response,
        attemptedAt: now(),
      });
      this.metrics.deliveries.inc({ channel: this.notifier.channel, result: status });
      this.log.info(
        { event: 'delivery', notificationId, kind: notification.kind, storeId: notification.storeId, recipient, attempt, status, response },
        'notification delivery attempt',
      );
    }

    if (retryable > 0) throw new RetryLaterError(`${retryable} recipient(s) could not be reached yet; will retry`);
    const deliveries = await this.notifications.deliveries([notificationId]);
    const sent = new Set(deliveries.filter((d) => d.status === 'sent').map((d) => d.recipient));
    const status = sent.size === recipients.length ? 'sent' : sent.size === 0 ? 'failed' : 'partial';
    await this.notifications.complete(notificationId, status, now());
    return summarise(deliveries);
  }

  async summarise(notificationId: number): Promise<DeliveryOutcome> {
    return summarise(await this.notifications.deliveries([notificationId]));
  }
}

/** "a@x: 250 Accepted; b@y: 550 No such user", from the last attempt per recipient. */
function summarise(deliveries: readonly DeliveryRecord[]): DeliveryOutcome {
    const last = new Map<string, { status: DeliveryStatus; response: string | null }>();
    for (const d of deliveries) last.set(d.recipient, d);
    const parts = [...last].map(([recipient, d]) => `${recipient}: ${d.response ?? d.status}`);
    const ok = last.size > 0 && [...last.values()].every((d) => d.status === 'sent');
    return { ok, message: parts.join('; ') || 'Nothing was sent' };
}
