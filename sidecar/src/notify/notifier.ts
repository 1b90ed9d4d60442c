/** A rendered message, the same for every channel that shows text. */
export interface OutgoingMessage {
  subject: string;
  html: string;
  text: string;
}

export interface DeliveryReceipt {
  /** What the far end answered, e.g. the SMTP server's "250 Accepted". */
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

export interface Notifier {
  readonly channel: string;
  send(message: OutgoingMessage, recipient: string): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}
