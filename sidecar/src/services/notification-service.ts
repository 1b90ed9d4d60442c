import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { AnyNotificationContent } from '../notify/renderer';
import { DeliveryError, type Notifier, type Target } from '../notify/notifier';
import type { EmailRenderer } from '../notify/renderer';
import { isSalesContent } from '../notify/sales-content';
import type { ChannelRepository } from '../store/channels';
import type { DeliveryRecord, DeliveryStatus, NotificationRecord, NotificationRepository } from '../store/notifications';
import type { Acknowledgements } from './acknowledgements';

export interface DeliveryOutcome {
  ok: boolean;
  message: string;
}

/** Thrown so the queue retries: at least one recipient failed in a way that may pass later. */
export class RetryLaterError extends Error {}

/**
 * Sends one stored notification to each target (e-mail address, Slack or webhook channel) that has not
 * received it yet, through that channel's notifier, recording every attempt as a delivery row. Safe to
 * run again after a crash or a retry, and twice at once: each target is claimed compare-and-set before
 * it is sent (delivery_claims), a recipient with a "sent" delivery is never sent to twice, and a
 * permanently refused one is not tried again.
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
    /**
     * How long a sender's claim on a target holds: longer than any one send can take (the SMTP
     * transport's time-outs add up to 40 s, a webhook's WEBHOOK_TIMEOUT_MS is 10 s by default), so a
     * claim only runs out when its sender died, and then another sender retries the target.
     */
    private readonly claimLeaseMs = 120_000,
  ) {
    this.notifiers = new Map(notifiers.map((n) => [n.channel, n]));
  }

  private readonly notifiers: Map<string, Notifier>;

  /** The e-mail addresses fixed when the notification was decided, and the store's channels now. */
  private async targets(storeId: string | null, content: AnyNotificationContent): Promise<Target[]> {
    // A sales feed post goes to the one channel it was decided for, while its feed is on; never by e-mail.
    const sales = isSalesContent(content);
    const emails = sales ? [] : content.recipients.map((address) => ({ channel: 'email', address, label: address }));
    // The all-stores digest belongs to no store: its recipients are its e-mail addresses alone.
    if (storeId === null) return emails;
    const all = await this.channels.list(storeId);
    const chosen = sales ? all.filter((c) => c.id === content.channelId && c.salesFeedSince !== null) : all;
    const channels = chosen.map((c) => ({
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
    // This run's name on the claims it takes: a second run of the same job (a stalled job picked up
    // again, a notification queued twice) is another sender, even in this process.
    const sender = randomUUID();
    // Targets are tried side by side: one slow receiver (up to WEBHOOK_TIMEOUT_MS) delays no other.
    const results = await Promise.all(
      targets.filter((t) => !done.has(t.label)).map((target) => this.deliverTo(notification, target, ackLink, attempt, finalAttempt, sender, now)),
    );
    const retryable = results.filter((r) => r === 'retrying').length;
    if (retryable > 0) throw new RetryLaterError(`${retryable} recipient(s) could not be reached yet; will retry`);
    const elsewhere = results.filter((r) => r === 'claimed_elsewhere').length;
    if (elsewhere > 0) {
      // Another sender holds those targets right now and will complete the notification; a later try
      // finds it done (or takes over a claim whose sender died once its lease has passed).
      if (!finalAttempt) throw new RetryLaterError(`${elsewhere} recipient(s) are being sent to by another worker; will look again`);
      return this.summarise(notificationId);
    }
    const deliveries = await this.notifications.deliveries([notificationId]);
    const sent = new Set(deliveries.filter((d) => d.status === 'sent').map((d) => d.recipient));
    const status = targets.every((t) => sent.has(t.label)) ? 'sent' : sent.size === 0 ? 'failed' : 'partial';
    await this.notifications.complete(notificationId, status, now());
    return summarise(deliveries);
  }

  /**
   * One target: claim it (compare-and-set, so no two senders ever send it at once), send, record the
   * attempt, release the claim with the result. A target claimed by another live sender is left to it.
   */
  private async deliverTo(
    notification: NotificationRecord<AnyNotificationContent>,
    target: Target,
    ackLink: ((recipient: string) => string) | null,
    attempt: number,
    finalAttempt: boolean,
    sender: string,
    now: () => Date,
  ): Promise<DeliveryStatus | 'claimed_elsewhere'> {
    const notificationId = notification.id;
    const recipient = target.label;
    const logged = { event: 'delivery', notificationId, kind: notification.kind, storeId: notification.storeId, channel: target.channel, recipient, attempt };
    if (!(await this.notifications.claimTarget(notificationId, recipient, sender, now(), this.claimLeaseMs))) {
      this.log.info({ ...logged, status: 'claimed_elsewhere' }, 'notification delivery left to the sender that holds it');
      return 'claimed_elsewhere';
    }
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
    }
    // The attempt's row first: a sender that dies between the two leaves a "sent" row, which keeps the
    // target done even after its claim's lease runs out.
    await this.notifications.recordDelivery({ notificationId, channel: target.channel, recipient, attempt, status, response, attemptedAt: now() });
    await this.notifications.settleClaim(notificationId, recipient, sender, status, now());
    this.metrics.deliveries.inc({ channel: target.channel, result: status });
    this.log.info({ ...logged, status, response }, 'notification delivery attempt');
    return status;
  }

  /**
   * Every target of a notification with its latest answer so far, and `notYet` for one that has none:
   * what the test-notification button reports when its time is up while a receiver is still answering.
   */
  async progress(notificationId: number, notYet: string): Promise<DeliveryOutcome> {
    const notification = await this.notifications.find<AnyNotificationContent>(notificationId);
    if (!notification) return { ok: false, message: `Notification ${notificationId} no longer exists` };
    const targets = await this.targets(notification.storeId, notification.content);
    const last = new Map((await this.notifications.deliveries([notificationId])).map((d) => [d.recipient, d]));
    const parts = targets.map((t) => {
      const d = last.get(t.label);
      return `${t.label}: ${d ? (d.response ?? d.status) : notYet}`;
    });
    const ok = targets.length > 0 && targets.every((t) => last.get(t.label)?.status === 'sent');
    return { ok, message: parts.join('; ') || 'Nothing was sent' };
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
