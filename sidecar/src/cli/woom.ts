import { parseArgs } from 'node:util';
import { BacktestInputError, formatBacktest, runBacktest } from './backtest';
import { loadConfig } from '../config';
import { restCredentialsSchema } from '../domain/rest-credentials';
import { toFieldErrors } from '../domain/settings';
import { Container } from '../container';
import { createLogger } from '../logger';
import { BACKFILL_DAYS } from '../services/order-recovery';
import { RegistrationError } from '../services/store-registry';
import { EMAIL, OperatorError, oneTimePassword } from '../services/operator-accounts';
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
           [--status-map paid=completed,voided=cancelled]
                          replay an order export (CSV: created_at, status[, total, payment_method,
                          created_via]; or JSON lines of events) through the live detectors on a
                          simulated clock and print every alert it would have sent; --status-map
                          renames an export's own statuses to WooCommerce's
  operator add --email E [--role admin|viewer]
                          add a console operator (admin unless --role viewer); the password is read
                          from standard input, or a one-time password is printed when none is piped
  operator list           every operator with role and last sign-in
  operator remove EMAIL   remove an operator (never the last admin)
  operator reset-password EMAIL
                          set a new password (stdin, or a printed one-time one); ends their sessions
  operator digest EMAIL on|off
                          whether the operator gets the all-stores digest once a day
  digest recipients add EMAIL | list | remove EMAIL
                          other addresses that get the all-stores digest (one line per store,
                          problems first; at ALL_STORES_DIGEST_AT in ALL_STORES_DIGEST_TIMEZONE)
  token create --name N --scope read|write [--store ID]
                          an API token for /api/v1, printed only this once
  token list              every token with its scope, store and last use
  token revoke ID         the token stops working at once`;

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
      'status-map': { type: 'string' },
      help: { type: 'boolean' },
      email: { type: 'string' },
      role: { type: 'string' },
      scope: { type: 'string' },
      store: { type: 'string' },
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
      statusMap: values['status-map'],
    });
    console.log(formatBacktest(report, values.json ?? false));
    return;
  }
  if (!values.help && (group === 'operator' || group === 'token') && command) return consoleCommand(group, command, id, values, positionals[3]);
  if (!values.help && group === 'digest') return digestCommand(command, id, positionals[3], values);
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

/**
 * The all-stores digest's recipients besides the operators who opted in. A bad address is refused
 * naming the argument, before anything is stored.
 */
async function digestCommand(command: string | undefined, sub: string | undefined, email: string | undefined, values: Record<string, unknown>): Promise<void> {
  if (command !== 'recipients' || !sub || !['add', 'list', 'remove'].includes(sub)) throw new UsageError(`Unknown command "digest ${[command, sub].filter(Boolean).join(' ')}"\n\n${USAGE}`);
  const address = (email ?? (typeof values.email === 'string' ? values.email : '')).trim().toLowerCase();
  if (sub !== 'list') {
    if (!address) throw new UsageError(`digest recipients ${sub} needs the e-mail address`);
    if (!EMAIL.test(address) || address.length > 320) throw new OperatorError(`must be an e-mail address (got "${email ?? values.email}")`, 'email');
  }
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  const container = new Container(config, { log: createLogger('warn') });
  try {
    await migrateLatest(container.db);
    const digests = container.digestClaims;
    if (sub === 'add') {
      const added = await digests.addRecipient(address);
      console.log(added ? `${address} gets the all-stores digest once a day.` : `${address} already gets the all-stores digest.`);
      return;
    }
    if (sub === 'remove') {
      if (!(await digests.removeRecipient(address))) throw new OperatorError(`No digest recipient ${address}`, 'email');
      console.log(`${address} no longer gets the all-stores digest.`);
      return;
    }
    const recipients = await digests.recipients();
    const operators = await container.operators.digestOptedIn();
    if (recipients.length + operators.length === 0) return console.log('Nobody gets the all-stores digest. Add someone with: npm run woom -- digest recipients add you@example.com');
    for (const r of recipients) console.log(`${r}\trecipient`);
    for (const o of operators) console.log(`${o}\toperator`);
  } finally {
    await container.close();
  }
}

/** The password piped on standard input (first line), or none when nothing is piped. */
async function passwordFromStdin(): Promise<string | null> {
  if (process.stdin.isTTY) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  return line === '' ? null : line;
}

/** Operators and API tokens of the operator console (docs/console.md). */
async function consoleCommand(
  group: 'operator' | 'token',
  command: string,
  id: string | undefined,
  values: Record<string, string | boolean | undefined>,
  /** `operator digest EMAIL on|off`: the on or off. */
  choice?: string,
): Promise<void> {
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  const container = new Container(config, { log: createLogger('warn') });
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  try {
    await migrateLatest(container.db);
    const accounts = container.operatorAccounts;
    const key = `${group} ${command}`;
    if (key === 'operator add' || key === 'operator reset-password') {
      const email = key === 'operator add' ? text('email') : id;
      if (!email) throw new UsageError(`${key} needs ${key === 'operator add' ? '--email' : 'the e-mail address'}\n\n${USAGE}`);
      const piped = await passwordFromStdin();
      const password = piped ?? oneTimePassword();
      if (key === 'operator add') {
        const operator = await accounts.add({ email, role: text('role') ?? 'admin', password });
        console.log(`Operator added: ${operator.email} (${operator.role})`);
      } else {
        await accounts.resetPassword(email, password);
        console.log(`Password changed for ${email}; their sessions have ended.`);
      }
      if (!piped) console.log(`One-time password (shown only now): ${password}`);
      console.log(`Sign in at ${config.PUBLIC_URL.replace(/\/+$/, '')}/console/login`);
      return;
    }
    if (key === 'operator list') {
      const operators = await accounts.list();
      if (operators.length === 0) return console.log('No operators yet. Add one with: npm run woom -- operator add --email you@example.com');
      const digest = new Set(await container.operators.digestOptedIn());
      for (const o of operators) console.log([o.email, o.role, `last sign-in ${o.lastLoginAt?.toISOString() ?? 'never'}`, digest.has(o.email) ? 'all-stores digest' : ''].join('\t').trimEnd());
      return;
    }
    if (key === 'operator digest') {
      if (!id || (choice !== 'on' && choice !== 'off')) throw new UsageError(`operator digest needs the e-mail address and on or off\n\n${USAGE}`);
      await accounts.setDigestOptIn(id, choice === 'on');
      console.log(choice === 'on' ? `${id} gets the all-stores digest once a day.` : `${id} no longer gets the all-stores digest.`);
      return;
    }
    if (key === 'operator remove') {
      if (!id) throw new UsageError('operator remove needs the e-mail address');
      await accounts.remove(id);
      console.log(`Removed operator ${id}.`);
      return;
    }
    if (key === 'token create') {
      const name = text('name');
      const scope = text('scope');
      if (!name || !scope) throw new UsageError(`token create needs --name and --scope read|write\n\n${USAGE}`);
      const { token, record } = await container.apiTokens.create({ name, scope, storeId: text('store') ?? null, createdBy: 'cli' });
      console.log(`Token ${record.id} "${record.name}" (${record.scope}${record.storeId ? `, store ${record.storeId} only` : ', every store'}):`);
      console.log(`  ${token}`);
      console.log('Shown only this once. Send it as "Authorization: Bearer <token>" to /api/v1.');
      return;
    }
    if (key === 'token list') {
      const tokens = await container.apiTokens.list();
      if (tokens.length === 0) return console.log('No API tokens yet. Create one with: npm run woom -- token create --name N --scope read');
      for (const t of tokens) {
        console.log([t.id, t.name, t.scope, t.storeId ?? 'every store', `${t.hint}…`, t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : `last used ${t.lastUsedAt?.toISOString() ?? 'never'}`].join('\t'));
      }
      return;
    }
    if (key === 'token revoke') {
      if (!id || !/^\d+$/.test(id)) throw new UsageError('token revoke needs the token id (see token list)');
      if (!(await container.apiTokens.revoke(Number(id)))) throw new OperatorError(`No active token ${id}`, 'id');
      console.log(`Token ${id} revoked.`);
      return;
    }
    throw new UsageError(`Unknown command "${key}"\n\n${USAGE}`);
  } finally {
    await container.close();
  }
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof OperatorError) {
    console.error(error.field === 'id' || error.message.startsWith('No ') ? error.message : `--${error.field === 'store_id' ? 'store' : error.field} ${error.message}`);
    process.exit(2);
  }
  if (error instanceof UsageError || error instanceof RegistrationError || error instanceof BacktestInputError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
