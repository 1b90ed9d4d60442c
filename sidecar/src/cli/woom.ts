import { parseArgs } from 'node:util';
import { BacktestInputError, formatBacktest, runBacktest } from './backtest';
import { loadConfig } from '../config';
import { restCredentialsSchema } from '../domain/rest-credentials';
import { toFieldErrors } from '../domain/settings';
import { Container } from '../container';
import { createLogger } from '../logger';
import { BACKFILL_DAYS } from '../services/order-recovery';
import { RegistrationError } from '../services/store-registry';
import { ensureDatabase, migrateLatest } from '../store/database';
import { rewriteSecrets } from '../store/secret-box';

const USAGE = `Usage: npm run woom -- <command>

  store add --name "Shop" --url https://shop.example --timezone Europe/Berlin [--probe off]
                          register a store; prints its id and secret (the secret only this once);
                          --probe off when the sidecar cannot reach the store's own address (the
                          store probe requests the home, cart and checkout pages every 5 minutes)
  store list              every store with its time zone, mode and last contact
  store rotate-secret ID  issue a new secret (the old one stops working at once)
  store remove ID         remove a store with all its orders, alerts and its schedule
  store rest-credentials ID --key ck_... --secret cs_...
                          read-only WooCommerce REST keys: orders the bridge could not deliver are
                          read back, and the last 8 weeks are backfilled
  secrets rotate-key      seal every WooCommerce consumer secret and webhook signing key with
                          WOOM_SECRET_KEY (secrets under a key in WOOM_SECRET_KEY_PREVIOUS or in
                          plain text are re-sealed); then WOOM_SECRET_KEY_PREVIOUS can be removed
  secrets decrypt         write them back in plain text (before giving up the key or migrating down)
  backtest --orders FILE [--timezone TZ] [--settings FILE] [--mode MODE] [--from DATE --to DATE] [--json]
                          replay an order export (CSV: created_at, status[, total, payment_method,
                          created_via]; or JSON lines of events) through the live detectors on a
                          simulated clock and print every alert it would have sent`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      url: { type: 'string' },
      timezone: { type: 'string' },
      probe: { type: 'string' },
      key: { type: 'string' },
      secret: { type: 'string' },
      orders: { type: 'string' },
      settings: { type: 'string' },
      mode: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [group, command, id] = positionals;
  if (group === 'backtest' && !values.help) {
    // A backtest touches no database: it replays a file through the pure detectors.
    if (!values.orders) throw new UsageError('backtest needs --orders FILE\n\n' + USAGE);
    const report = runBacktest({
      orders: values.orders,
      timezone: values.timezone,
      settings: values.settings,
      mode: values.mode,
      from: values.from,
      to: values.to,
      json: values.json,
    });
    console.log(formatBacktest(report, values.json ?? false));
    return;
  }
  if (values.help || (group !== 'store' && group !== 'secrets') || !command) throw new UsageError(USAGE);

  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  const container = new Container(config, { log: createLogger('warn') });
  try {
    await migrateLatest(container.db);
    if (group === 'secrets') {
      if (command === 'rotate-key') {
        if (!container.secretBox.encrypts) throw new UsageError('secrets rotate-key needs WOOM_SECRET_KEY: the key to seal the secrets with (openssl rand -base64 32)');
        const { rewritten } = await rewriteSecrets(container.db, container.secretBox, 'seal');
        console.log(`Sealed ${rewritten} secret(s) with the current WOOM_SECRET_KEY; every secret is now under it.`);
        return;
      }
      if (command === 'decrypt') {
        const { rewritten } = await rewriteSecrets(container.db, container.secretBox, 'plain');
        console.log(`Wrote ${rewritten} secret(s) back in plain text. Unset WOOM_SECRET_KEY before the next start, or they are sealed again.`);
        return;
      }
      throw new UsageError(`Unknown command "secrets ${command}"\n\n${USAGE}`);
    }
    switch (command) {
      case 'add': {
        if (!values.name || !values.url || !values.timezone) throw new UsageError('store add needs --name, --url and --timezone\n\n' + USAGE);
        if (values.probe !== undefined && values.probe !== 'on' && values.probe !== 'off') throw new UsageError(`--probe must be on or off (got "${values.probe}")`);
        const store = await container.registry.add({ name: values.name, url: values.url, timezone: values.timezone });
        if (values.probe === 'off') await container.registry.updateSettings(store.id, { probe_enabled: false }, 'cli');
        console.log(`Store registered: ${store.name} (${store.url})`);
        console.log(`  id:     ${store.id}`);
        console.log(`  secret: ${store.secret}`);
        console.log('The secret is shown only this once: enter both in WooCommerce -> Settings -> Order Monitor.');
        return;
      }
      case 'list': {
        const stores = await container.stores.list();
        if (stores.length === 0) return console.log('No stores registered yet. Add one with: npm run woom -- store add ...');
        for (const store of stores) {
          const settings = await container.settings.get(store.id);
          console.log(
            [
              store.id,
              store.name,
              store.url,
              settings?.timezone,
              settings?.enabled ? settings.mode : 'paused',
              `last contact ${store.lastContactAt?.toISOString() ?? 'never'}`,
            ].join('\t'),
          );
        }
        return;
      }
      case 'rotate-secret': {
        if (!id) throw new UsageError('store rotate-secret needs the store id');
        const secret = await container.stores.rotateSecret(id);
        if (!secret) throw new RegistrationError(`No store with id ${id}`);
        console.log(`New secret for ${id}: ${secret}`);
        console.log('Enter it in WooCommerce -> Settings -> Order Monitor; the old secret no longer works.');
        return;
      }
      case 'remove': {
        if (!id) throw new UsageError('store remove needs the store id');
        if (!(await container.registry.remove(id))) throw new RegistrationError(`No store with id ${id}`);
        console.log(`Removed store ${id}, its orders, alerts and schedule.`);
        return;
      }
      case 'rest-credentials': {
        if (!id || !values.key || !values.secret) throw new UsageError('store rest-credentials needs the store id, --key and --secret');
        if (!(await container.stores.find(id))) throw new RegistrationError(`No store with id ${id}`);
        // The API's own check, named by this command's options.
        const valid = restCredentialsSchema.safeParse({ consumer_key: values.key, consumer_secret: values.secret });
        if (!valid.success) {
          const option = (field: string) => (field === 'consumer_key' ? '--key' : '--secret');
          throw new RegistrationError(toFieldErrors(valid.error).map((e) => `${option(e.field)} ${e.message}`).join('; '));
        }
        const from = new Date(Date.now() - BACKFILL_DAYS * 86_400_000);
        await container.restSync.saveCredentials(id, { consumerKey: valid.data.consumer_key, consumerSecret: valid.data.consumer_secret }, from);
        await container.scheduler.triggerRecovery(id);
        console.log(`Saved. The sidecar reads back orders modified since ${from.toISOString()}, then at every check.`);
        return;
      }
      default:
        throw new UsageError(`Unknown command "store ${command}"\n\n${USAGE}`);
    }
  } finally {
    await container.close();
  }
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof UsageError || error instanceof RegistrationError || error instanceof BacktestInputError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
