import type { Knex } from 'knex';

/**
 * What the store's volume says about how often to check it (domain/cadence): the fastest a stop could be
 * detected, from its last baseline. The schedule is derived from this and the settings, so a change of
 * mode takes effect at once and every sidecar schedules the same.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('store_cadence', (t) => {
    t.string('store_id', 32).primary().references('stores.id').onDelete('CASCADE');
    // Null: no order was ever expected (a new or silent store).
    t.double('stop_detection_minutes').nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('store_cadence');
}
