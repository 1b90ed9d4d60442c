import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Webhook URLs are secrets of their own (Slack's carry the token), so they live here, not in settings.
  await knex.schema.createTable('notification_channels', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.string('type', 20).notNullable();
    t.string('url', 1000).notNullable();
    t.string('secret', 100).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['store_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_channels');
}
