import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** The path and query the request was made to. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number | 'timeout';
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** How the next requests are answered, in order: an HTTP status, or never ('timeout'); then 200. */
  plan: Array<number | 'timeout'>;
  /** Answers every request left hanging ('timeout') with this status now. */
  release(status?: number): void;
  close(): Promise<void>;
}

/** A local HTTP endpoint standing where a Slack incoming webhook or a customer's webhook receiver would. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const hanging: ServerResponse[] = [];
  const receiver: HttpReceiver = {
    url: '',
    requests: [],
    plan: [],
    release: (status = 200) => {
      for (const res of hanging.splice(0)) {
        if (res.destroyed) continue;
        res.writeHead(status, { 'Content-Type': 'text/plain' });
        res.end(status < 300 ? 'ok' : 'error');
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const answer = receiver.plan.shift() ?? 200;
      receiver.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, answered: answer });
      if (answer === 'timeout') {
        hanging.push(res);
        return;
      }
      res.writeHead(answer, { 'Content-Type': 'text/plain' });
      res.end(answer < 300 ? 'ok' : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T00/B00/secret-token`;
  return receiver;
}
