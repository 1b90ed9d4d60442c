import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Kept apart from the settings document: the settings are shown and returned, these never are.
  await knex.schema.createTable('store_rest_credentials', (t) => {
    t.string('store_id', 32).primary().references('stores.id').onDelete('CASCADE');
    t.string('consumer_key', 100).notNullable();
    t.string('consumer_secret', 100).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
  await knex.schema.createTable('store_rest_sync', (t) => {
    t.string('store_id', 32).primary().references('stores.id').onDelete('CASCADE');
    // Every order modified up to this instant has been seen; the next run asks for what came after.
    t.datetime('synced_until', { precision: 3 }).notNullable();
    t.datetime('last_attempt_at', { precision: 3 }).nullable();
    t.datetime('last_success_at', { precision: 3 }).nullable();
    t.text('last_error').nullable();
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.bigInteger('orders_seen').unsigned().notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('store_rest_sync');
  await knex.schema.dropTable('store_rest_credentials');
}
