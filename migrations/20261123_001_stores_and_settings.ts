import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stores', (t) => {
    t.string('id', 32).primary();
    t.string('name', 200).notNullable();
    t.string('url', 500).notNullable();
    // The HMAC key: it must be readable to verify signatures, so it is kept, never returned over HTTP.
    t.string('secret', 100).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    // The first event from WordPress: before it, no window of orders is complete, so nothing can be missing.
    t.datetime('first_contact_at', { precision: 3 }).nullable();
    t.datetime('last_contact_at', { precision: 3 }).nullable();
  });
  await knex.schema.createTable('store_settings', (t) => {
    t.string('store_id', 32).primary().references('stores.id').onDelete('CASCADE');
    t.text('settings', 'longtext').notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
  await knex.schema.createTable('settings_history', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.string('changed_by', 200).notNullable();
    t.datetime('changed_at', { precision: 3 }).notNullable();
    t.text('old_value', 'longtext').nullable();
    t.text('new_value', 'longtext').notNullable();
    t.index(['store_id', 'changed_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('settings_history');
  await knex.schema.dropTable('store_settings');
  await knex.schema.dropTable('stores');
}
