import { postJson } from './http-post';
import type { Delivery, DeliveryReceipt, Notifier, Target } from './notifier';

/** A Slack incoming webhook: the plain-text rendering, with the subject in bold on top. */
export class SlackNotifier implements Notifier {
  readonly channel = 'slack';

  constructor(private readonly timeoutMs: number) {}

  async send({ message }: Delivery, target: Target): Promise<DeliveryReceipt> {
    const body = JSON.stringify({ text: `*${message.subject}*\n${message.text}` });
    return postJson(target.address, body, {}, this.timeoutMs);
  }

  async close(): Promise<void> {}
}
