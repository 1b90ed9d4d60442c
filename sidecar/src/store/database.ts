import knexFactory, { type Knex } from 'knex';
import { migrationSource } from '../../../migrations/index';

function connectionFrom(databaseUrl: string, withDatabase: boolean): Knex.MySql2ConnectionConfig {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: withDatabase ? databaseName(databaseUrl) : undefined,
    // Every instant is UTC in the database and in the process.
    timezone: 'Z',
    decimalNumbers: true,
    supportBigNumbers: true,
  };
}

export function databaseName(databaseUrl: string): string {
  const name = new URL(databaseUrl).pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`DATABASE_URL must name a database (letters, digits, _), got "${name}"`);
  return name;
}

export function createDatabaseClient(databaseUrl: string): Knex {
  return knexFactory({
    client: 'mysql2',
    connection: connectionFrom(databaseUrl, true),
    pool: {
      min: 0,
      max: 10,
      // Sessions run in UTC so NOW() and datetime literals agree with the process.
      afterCreate: (conn: { query: (sql: string, cb: (err: Error | null) => void) => void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query("SET time_zone = '+00:00'", (err) => done(err, conn)),
    },
    acquireConnectionTimeout: 10_000,
  });
}

/** `npm run migrate` on a fresh server: the database itself may not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: connectionFrom(databaseUrl, false), pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE IF NOT EXISTS \`${databaseName(databaseUrl)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = knexFactory({ client: 'mysql2', connection: connectionFrom(databaseUrl, false), pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS \`${databaseName(databaseUrl)}\``);
  } finally {
    await admin.destroy();
  }
}

export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export async function migrateRollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}
