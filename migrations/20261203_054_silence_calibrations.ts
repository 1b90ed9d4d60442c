import type { Knex } from 'knex';

/**
 * Each store's silence limit replayed on its own eight weeks (services/silence-calibration), kept so that a
 * restart or a second sidecar reuses the day's calibration instead of reading every store's eight weeks of
 * orders again at once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('silence_calibrations', (t) => {
    t.string('store_id', 32).primary().references('stores.id').onDelete('CASCADE');
    // The store's calibration day (services/silence-calibration) and what else it was computed for.
    t.integer('day').notNullable();
    t.text('cache_key').notNullable();
    t.text('calibration').notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('silence_calibrations');
}
