import type { Knex } from 'knex';

/**
 * The sales feed (issue 15): a Slack or webhook channel may also receive each successful order. Off by
 * default; `sales_feed_since` is when it was turned on, so turning it on never posts the orders before.
 * `sales_feed_posts` holds each order once per channel: what makes a post exactly-once across retries,
 * restarts and several sidecars, and what the per-minute rate is counted from.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notification_channels', (t) => {
    t.datetime('sales_feed_since', { precision: 3 }).nullable();
    t.integer('sales_feed_batch_above').unsigned().notNullable().defaultTo(10);
  });
  await knex.schema.createTable('sales_feed_posts', (t) => {
    t.bigInteger('channel_id').unsigned().notNullable().references('notification_channels.id').onDelete('CASCADE');
    t.bigInteger('order_id').unsigned().notNullable();
    t.bigInteger('notification_id').unsigned().notNullable();
    t.datetime('posted_at', { precision: 3 }).notNullable();
    t.primary(['channel_id', 'order_id']);
    t.index(['channel_id', 'posted_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sales_feed_posts');
  await knex.schema.alterTable('notification_channels', (t) => {
    t.dropColumn('sales_feed_batch_above');
    t.dropColumn('sales_feed_since');
  });
}
