import { postJson } from './http-post';
import type { OutboundGuard } from './outbound-guard';
import type { Delivery, DeliveryReceipt, Notifier, Target } from './notifier';

/**
 * Slack reads <...> as links and mentions (<!channel>) and & as an entity: text from a store (its name,
 * a payment method) is escaped so it shows as typed. https://api.slack.com/reference/surfaces/formatting#escaping
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming webhook: the plain-text rendering, with the subject in bold on top. */
export class SlackNotifier implements Notifier {
  readonly channel = 'slack';

  constructor(
    private readonly timeoutMs: number,
    private readonly guard: OutboundGuard,
  ) {}

  async send({ message }: Delivery, target: Target): Promise<DeliveryReceipt> {
    const body = JSON.stringify({ text: `*${escapeSlackText(message.subject)}*\n${escapeSlackText(message.text)}` });
    return postJson(target.address, body, {}, this.timeoutMs, this.guard);
  }

  async close(): Promise<void> {}
}
