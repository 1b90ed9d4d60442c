import type { AnyNotificationContent } from './renderer';

/** A rendered message, the same for every channel that shows text. */
export interface OutgoingMessage {
  subject: string;
  html: string;
  text: string;
}

/** One notification on its way: what it says as data, and as rendered text. */
export interface Delivery {
  notificationId: number;
  content: AnyNotificationContent;
  message: OutgoingMessage;
  /** This recipient's signed acknowledge link, when the notice can be acknowledged. */
  ackUrl?: string | null;
}

/** Where one copy goes: an e-mail address, or a channel's URL (and a webhook's signing key). */
export interface Target {
  channel: string;
  address: string;
  secret?: string | null;
  /** How the delivery rows and answers name it: the address, never a secret URL. */
  label: string;
}

export interface DeliveryReceipt {
  /** What the far end answered, e.g. the SMTP server's "250 Accepted" or "HTTP 200 ok". */
  response: string;
}

/**
 * A transport failure that says whether trying again can help: a mailbox the server refuses (5xx) is
 * permanent; a server that is down or busy is not.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** One per channel; the notification service finds them by `channel`. */
export interface Notifier {
  readonly channel: string;
  send(delivery: Delivery, target: Target): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}
