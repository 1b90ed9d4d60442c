import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { AnyNotificationContent } from '../notify/renderer';
import { DeliveryError, type Notifier, type Target } from '../notify/notifier';
import type { EmailRenderer } from '../notify/renderer';
import type { ChannelRepository } from '../store/channels';
import type { DeliveryRecord, DeliveryStatus, NotificationRepository } from '../store/notifications';
import type { Acknowledgements } from './acknowledgements';

export interface DeliveryOutcome {
  ok: boolean;
  message: string;
}

/** Thrown so the queue retries: at least one recipient failed in a way that may pass later. */
export class RetryLaterError extends Error {}

/**
 * Sends one stored notification to each target (e-mail address, Slack or webhook channel) that has not
 * received it yet, through that channel's notifier, recording every attempt as a delivery row. Safe to run again after a crash or a retry: a recipient with a "sent"
 * delivery is never sent to twice, and a permanently refused one is not tried again.
 */
export class NotificationService {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly channels: ChannelRepository,
    notifiers: readonly Notifier[],
    private readonly renderer: EmailRenderer,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** Puts each recipient's signed acknowledge link in the notices that can be acknowledged. */
    private readonly acknowledgements: Acknowledgements | null = null,
  ) {
    this.notifiers = new Map(notifiers.map((n) => [n.channel, n]));
  }

  private readonly notifiers: Map<string, Notifier>;

  /** The e-mail addresses fixed when the notification was decided, and the store's channels now. */
  private async targets(storeId: string, content: AnyNotificationContent): Promise<Target[]> {
    const emails = content.recipients.map((address) => ({ channel: 'email', address, label: address }));
    const channels = (await this.channels.list(storeId)).map((c) => ({
      channel: c.type,
      address: c.url,
      secret: c.secret,
      label: c.type === 'slack' ? `slack #${c.id}` : `webhook #${c.id} (${new URL(c.url).host})`,
    }));
    return [...emails, ...channels];
  }

  async deliver(notificationId: number, attempt: number, finalAttempt: boolean, now = () => new Date()): Promise<DeliveryOutcome> {
    const notification = await this.notifications.find<AnyNotificationContent>(notificationId);
    if (!notification) return { ok: false, message: `Notification ${notificationId} no longer exists` };
    if (notification.status !== 'pending') return this.summarise(notificationId);

    const targets = await this.targets(notification.storeId, notification.content);
    if (targets.length === 0) {
      await this.notifications.complete(notificationId, 'no_recipients', now());
      return { ok: false, message: 'No alert e-mail address (setting alert_emails) and no other channel is set for this store' };
    }

    const previous = await this.notifications.deliveries([notificationId]);
    const done = new Set(previous.filter((d) => d.status !== 'retrying').map((d) => d.recipient));
    const ackLink = (await this.acknowledgements?.linksFor(notification)) ?? null;
    let retryable = 0;

    for (const target of targets.filter((t) => !done.has(t.label))) {
      const recipient = target.label;
      // Each recipient's own link: the acknowledgement records who it was.
      const ackUrl = ackLink ? ackLink(recipient) : null;
      const delivery = { notificationId, content: notification.content, message: this.renderer.render(notification.content, ackUrl), ackUrl };
      let status: DeliveryStatus;
      let response: string;
      try {
        const notifier = this.notifiers.get(target.channel);
        if (!notifier) throw new DeliveryError(`No notifier for channel ${target.channel}`, true);
        response = (await notifier.send(delivery, target)).response;
        status = 'sent';
      } catch (error) {
        const permanent = error instanceof DeliveryError ? error.permanent : false;
        response = error instanceof Error ? error.message : String(error);
        status = permanent || finalAttempt ? 'failed' : 'retrying';
        if (status === 'retrying') retryable += 1;
      }
      await this.notifications.recordDelivery({
        notificationId,
        channel: target.channel,
        recipient,
        attempt,
        status,
        response,
        attemptedAt: now(),
      });
      this.metrics.deliveries.inc({ channel: target.channel, result: status });
      this.log.info(
        { event: 'delivery', notificationId, kind: notification.kind, storeId: notification.storeId, channel: target.channel, recipient, attempt, status, response },
        'notification delivery attempt',
      );
    }

    if (retryable > 0) throw new RetryLaterError(`${retryable} recipient(s) could not be reached yet; will retry`);
    const deliveries = await this.notifications.deliveries([notificationId]);
    const sent = new Set(deliveries.filter((d) => d.status === 'sent').map((d) => d.recipient));
    const status = targets.every((t) => sent.has(t.label)) ? 'sent' : sent.size === 0 ? 'failed' : 'partial';
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
