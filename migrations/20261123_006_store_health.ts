import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stores', (t) => {
    // The last health snapshot the bridge's heartbeat carried, and when it was taken.
    t.text('health', 'longtext').nullable();
    t.datetime('health_at', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stores', (t) => {
    t.dropColumn('health');
    t.dropColumn('health_at');
  });
}
