import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('order_events', (t) => {
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.string('id', 36).notNullable();
    t.string('type', 32).notNullable();
    t.bigInteger('order_id').unsigned().nullable();
    t.string('from_status', 40).nullable();
    t.string('to_status', 40).nullable();
    t.decimal('total', 16, 4).nullable();
    t.string('currency', 3).nullable();
    t.string('payment_method', 100).nullable();
    t.string('created_via', 50).nullable();
    t.datetime('order_created_at', { precision: 3 }).nullable();
    t.datetime('occurred_at', { precision: 3 }).notNullable();
    t.datetime('received_at', { precision: 3 }).notNullable();
    t.text('data', 'longtext').nullable();
    t.primary(['store_id', 'id']);
    t.index(['store_id', 'occurred_at']);
  });
  await knex.schema.createTable('orders', (t) => {
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.bigInteger('order_id').unsigned().notNullable();
    t.string('status', 40).notNullable();
    t.decimal('total', 16, 4).nullable();
    t.string('currency', 3).nullable();
    t.string('payment_method', 100).nullable();
    t.string('created_via', 50).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    // occurred_at of the event that set the status: an older event never overwrites a newer one.
    t.datetime('status_changed_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.primary(['store_id', 'order_id']);
    t.index(['store_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('orders');
  await knex.schema.dropTable('order_events');
}
