import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The renewal detector reads a store's subscription renewals of four weeks at every check: on
  // (store_id, created_at) alone MariaDB walks every order of those weeks to find the few renewals
  // (56,000 rows of a 2,000-a-day store, most of a check's time).
  await knex.schema.alterTable('orders', (t) => {
    t.index(['store_id', 'created_via', 'created_at'], 'orders_store_via_created_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('orders', (t) => {
    t.dropIndex(['store_id', 'created_via', 'created_at'], 'orders_store_via_created_idx');
  });
}
