import { createHmac, randomUUID } from 'node:crypto';
import { postJson } from './http-post';
import type { OutboundGuard } from './outbound-guard';
import type { Delivery, DeliveryReceipt, Notifier, Target } from './notifier';

/**
 * A generic webhook: the notification as JSON, signed like our own API (X-Woom-Signature:
 * sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))), so a receiver can check it came from WOOM
 * and is fresh. X-Woom-Delivery is unique per attempt; `notification_id` lets a receiver drop a repeat.
 */
export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook';

  constructor(
    private readonly timeoutMs: number,
    private readonly guard: OutboundGuard,
  ) {}

  async send({ notificationId, content, message, ackUrl }: Delivery, target: Target, now = new Date()): Promise<DeliveryReceipt> {
    const body = JSON.stringify({
      event: `woom.${content.kind}`,
      notification_id: notificationId,
      subject: message.subject,
      text: message.text,
      sent_at: now.toISOString(),
      ...(ackUrl ? { acknowledge_url: ackUrl } : {}),
      notification: content,
    });
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const signature = `sha256=${createHmac('sha256', target.secret ?? '').update(`${timestamp}.${body}`).digest('hex')}`;
    return postJson(
      target.address,
      body,
      { 'X-Woom-Event': `woom.${content.kind}`, 'X-Woom-Timestamp': timestamp, 'X-Woom-Signature': signature, 'X-Woom-Delivery': randomUUID() },
      this.timeoutMs,
      this.guard,
    );
  }

  async close(): Promise<void> {}
}
