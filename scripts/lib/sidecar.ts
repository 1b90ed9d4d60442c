import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Knex } from 'knex';
import { createApp } from '../../sidecar/src/app';
import { loadConfig } from '../../sidecar/src/config';
import { Container, type ContainerOptions } from '../../sidecar/src/container';
import { createTestDatabase } from './database';
import { REDIS_URL, wipeQueuePrefix } from './redis';

export interface SidecarOptions extends ContainerOptions {
  smtpPort?: number;
  notifyBackoffMs?: number;
  notifyAttempts?: number;
  devPages?: boolean;
  /** Listen here instead of a free port. */
  port?: number;
  /** PUBLIC_URL: the address links in mails and pages point at (the demo passes its real one). */
  publicUrl?: string;
  metricsToken?: string;
  /** More environment for loadConfig, e.g. { METRICS_STORE_LABELS: '0' }. */
  env?: Record<string, string>;
  /** OUTBOUND_ALLOW ('127.0.0.1' here unless set; '' to see loopback receivers refused). */
  outboundAllow?: string;
  /** WEBHOOK_TIMEOUT_MS (1000 here unless set). */
  webhookTimeoutMs?: number;
}

export interface SidecarHandle {
  url: string;
  port: number;
  /** A connection of the test's own to the sidecar's database, for assertions. */
  db: Knex;
  prefix: string;
  container: Container;
  app: Express;
  /** Registers a store; `settings` are applied on the defaults, with the store probe off unless they turn it on. */
  addStore(o: { name: string; url: string; timezone: string; settings?: Record<string, unknown> }): Promise<{ id: string; secret: string }>;
  /** Stops like a SIGTERM would; data and port are kept so restart() resumes on the same URL. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Ends everything, drops the database and the queue keys. */
  close(): Promise<void>;
}

/** The real sidecar in this process: real MariaDB (a fresh database), real Redis (a fresh key prefix). */
export async function startSidecar(opts: SidecarOptions = {}): Promise<SidecarHandle> {
  const database = await createTestDatabase();
  const prefix = `woomt${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_URL,
    SMTP_URL: `smtp://127.0.0.1:${opts.smtpPort ?? 2}`,
    MAIL_FROM: 'WOOM Test <woom@test.local>',
    PORT: '0',
    QUEUE_PREFIX: prefix,
    NOTIFY_BACKOFF_MS: String(opts.notifyBackoffMs ?? 200),
    NOTIFY_ATTEMPTS: String(opts.notifyAttempts ?? 8),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WOOM_DEV_PAGES: opts.devPages ? '1' : '0',
    REST_TIMEOUT_MS: '1500',
    WEBHOOK_TIMEOUT_MS: String(opts.webhookTimeoutMs ?? 1000),
    // The tests' Slack and webhook receivers listen on 127.0.0.1, which a real deployment refuses.
    OUTBOUND_ALLOW: opts.outboundAllow ?? '127.0.0.1',
    ...(opts.metricsToken ? { METRICS_TOKEN: opts.metricsToken } : {}),
    // Secrets at rest are sealed in every test, as in production.
    WOOM_SECRET_KEY: randomBytes(32).toString('base64'),
    ...(opts.publicUrl ? { PUBLIC_URL: opts.publicUrl } : {}),
    ...opts.env,
  });
  const containerOptions: ContainerOptions = { maintenanceEveryMs: 1_000, pendingAfterMs: 500, ...opts };

  let container!: Container;
  let app!: Express;
  let server: Server | null = null;
  let port = opts.port ?? 0;

  const start = async () => {
    container = new Container(config, containerOptions);
    await container.startBackground();
    app = createApp({ ...container, readiness: () => container.readiness(), devPages: config.WOOM_DEV_PAGES, metricsToken: config.METRICS_TOKEN, log: container.log, publicUrl: config.PUBLIC_URL });
    await new Promise<void>((resolve) => {
      server = app.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server!.address() as AddressInfo).port;
  };
  const stop = async () => {
    if (!server) return;
    const closing = server;
    server = null;
    closing.closeAllConnections();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
    await container.close();
  };
  await start();

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    db: database.db,
    prefix,
    get container() {
      return container;
    },
    get app() {
      return app;
    },
    async addStore(o) {
      const store = await container.registry.add(o);
      // Test stores live at addresses like https://shop.example that do not resolve: the store probe is
      // off unless a test asks for it, so its alerts never mix with the e-mails a test counts.
      const result = await container.registry.updateSettings(store.id, { probe_enabled: false, ...o.settings }, 'test');
      if (!result?.ok) throw new Error(`bad test settings: ${JSON.stringify(result)}`);
      return { id: store.id, secret: store.secret };
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    async close() {
      await stop();
      await wipeQueuePrefix(prefix);
      await database.drop();
    },
  };
}
