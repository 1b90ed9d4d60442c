import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError, type Delivery, type DeliveryReceipt, type Notifier, type Target } from './notifier';

interface SmtpFailure {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

export class EmailNotifier implements Notifier {
  readonly channel = 'email';
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    // Short time-outs: a hung SMTP server must fail the attempt so the retry with back-off takes over.
    this.transport = nodemailer.createTransport(smtpUrl, {
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    } as Parameters<typeof nodemailer.createTransport>[1]);
  }

  async send({ message }: Delivery, target: Target): Promise<DeliveryReceipt> {
    try {
      const info = await this.transport.sendMail({
        from: this.from,
        to: target.address,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      return { response: String(info.response ?? 'accepted') };
    } catch (error) {
      throw toDeliveryError(error as SmtpFailure);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

function toDeliveryError(error: SmtpFailure): DeliveryError {
  const code = error.responseCode;
  if (code !== undefined) {
    const answer = error.response ?? `${code} ${error.message ?? ''}`.trim();
    return new DeliveryError(`SMTP server answered ${answer}`, code >= 500 && code < 600);
  }
  return new DeliveryError(`SMTP server unreachable: ${error.message ?? error.code ?? 'unknown error'}`, false);
}
