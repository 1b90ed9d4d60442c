import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createDatabaseClient, dropDatabase, ensureDatabase, migrateLatest } from '../../sidecar/src/store/database';

export const MARIADB_URL = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

/** A database of its own for one test file, on the real MariaDB, migrated to the latest schema. */
export async function createTestDatabase(migrate = true): Promise<TestDatabase> {
  const url = `${MARIADB_URL}/woom_t_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(url);
  const db = createDatabaseClient(url);
  if (migrate) await migrateLatest(db);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      await dropDatabase(url);
    },
  };
}
