import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDatabaseClient, databaseName, ensureDatabase, migrateLatest, migrateRollbackAll } from '../store/database';

/** `npm run migrate` creates the database when missing and applies every migration; `-- --down` undoes them all. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { down: { type: 'boolean', default: false } } });
  const config = loadConfig();
  await ensureDatabase(config.DATABASE_URL);
  const db = createDatabaseClient(config.DATABASE_URL);
  try {
    if (values.down) {
      await migrateRollbackAll(db);
      console.log(`Rolled back every migration in ${databaseName(config.DATABASE_URL)}`);
    } else {
      const applied = await migrateLatest(db);
      console.log(applied.length ? `Applied ${applied.join(', ')}` : `${databaseName(config.DATABASE_URL)} is up to date`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
