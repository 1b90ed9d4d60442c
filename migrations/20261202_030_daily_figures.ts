import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per store and local calendar day (the store's own time zone), computed from the orders
  // table when the day ends and again when a late event or a REST read-back changes one of its orders.
  await knex.schema.createTable('daily_figures', (t) => {
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.date('day').notNullable();
    t.integer('orders').unsigned().notNullable();
    t.integer('successful').unsigned().notNullable();
    t.integer('failed').unsigned().notNullable();
    t.integer('cancelled').unsigned().notNullable();
    t.integer('refunded').unsigned().notNullable();
    t.decimal('revenue', 18, 2).notNullable();
    t.decimal('average_order_value', 18, 2).nullable();
    t.integer('customer_orders').unsigned().notNullable();
    t.integer('admin_orders').unsigned().notNullable();
    t.integer('renewal_orders').unsigned().notNullable();
    t.string('currency', 3).nullable();
    // When the roll-up that wrote the row began: orders updated after it change the day again.
    t.datetime('computed_at', { precision: 3 }).notNullable();
    t.primary(['store_id', 'day']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('daily_figures');
}
