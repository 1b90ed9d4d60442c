import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The health alert reads two days of a store's heartbeats at every heartbeat and check
  // (store/heartbeats.ts); without this index MariaDB would walk every order event of those days too.
  await knex.schema.alterTable('order_events', (t) => {
    t.index(['store_id', 'type', 'occurred_at'], 'order_events_store_type_occurred');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_events', (t) => {
    t.dropIndex(['store_id', 'type', 'occurred_at'], 'order_events_store_type_occurred');
  });
}
