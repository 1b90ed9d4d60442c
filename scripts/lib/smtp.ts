import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  port: number;
  url: string;
  messages: ParsedMail[];
  /** Answer every RCPT TO with this SMTP error (e.g. 550 for a permanent refusal, 451 for a temporary one); null accepts. */
  refuseWith(code: number | null): void;
  /** Holds every message this long before accepting it, so senders that run at once overlap; 0 answers at once. */
  holdMessages(ms: number): void;
  waitForMessage(pred: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Stops listening (connections are refused) while keeping the port and the messages. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A real SMTP server in the test process (smtp-server), whose received messages the tests parse. */
export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  let refusal: number | null = null;
  let holdMs = 0;
  const createServer = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(_address, _session, callback) {
        if (refusal === null) return callback();
        const error = Object.assign(new Error(refusal >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: refusal });
        callback(error);
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then(async (mail) => {
            if (holdMs > 0) await new Promise((r) => setTimeout(r, holdMs));
            messages.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
  let server = createServer();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseWith(code) {
      refusal = code;
    },
    holdMessages(ms) {
      holdMs = ms;
    },
    async waitForMessage(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = messages.find(pred);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`No matching e-mail within ${timeoutMs} ms; received: ${messages.map((m) => m.subject).join(' | ') || 'none'}`);
    },
    stop: close,
    async start() {
      server = createServer();
      await listen(port);
    },
    close,
  };
}
