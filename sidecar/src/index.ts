import type { Server } from 'node:http';
import { createApp } from './app';
import { assertPublicUrlReachable, ConfigError, loadConfig } from './config';
import { Container } from './container';
import { createLogger } from './logger';
import { ensureDatabase, migrateLatest } from './store/database';

async function main(): Promise<void> {
  const config = loadConfig();
  assertPublicUrlReachable(config);
  const log = createLogger(config.LOG_LEVEL);
  await ensureDatabase(config.DATABASE_URL);
  const container = new Container(config, { log });
  const applied = await migrateLatest(container.db);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  await container.startBackground();

  const app = createApp({ ...container, readiness: () => container.readiness(), devPages: config.WOOM_DEV_PAGES, metricsToken: config.METRICS_TOKEN, log, publicUrl: config.PUBLIC_URL });
  const server: Server = app.listen(config.PORT, config.HOST, () => log.info({ host: config.HOST, port: config.PORT, publicUrl: config.PUBLIC_URL }, 'sidecar listening'));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests, then workers, queues, Redis, database');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await container.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  console.error('WOOM sidecar failed to start:', error);
  process.exit(1);
});
