import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The daily roll-up asks each store "which orders changed since the last roll-up" every few minutes:
  // without this it reads every order the store ever had to answer.
  await knex.schema.alterTable('orders', (t) => {
    t.index(['store_id', 'updated_at'], 'orders_store_updated_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.dropIndex(['store_id', 'updated_at'], 'orders_store_updated_idx');
  });
}
