import type { Knex } from 'knex';

/**
 * Customer orders per store, UTC hour (hours since the epoch, as domain/time hourIndex counts them) and
 * current status, kept current by the ingest: the adaptive baseline reads 1,344 hours of these instead of
 * re-aggregating eight weeks of orders. Per status rather than success/failure, because which statuses
 * count as which is a per-store setting that may change.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('order_hourly', (t) => {
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.integer('hour').unsigned().notNullable();
    t.string('status', 40).notNullable();
    t.integer('orders').unsigned().notNullable();
    // Sum and count of the orders that carry a total: the average order value skips those that do not.
    t.decimal('revenue', 20, 4).notNullable();
    t.integer('revenue_orders').unsigned().notNullable();
    t.primary(['store_id', 'hour', 'status']);
  });
  // Orders that came before this table are counted once, so the first baseline after the upgrade is whole.
  await knex.raw(`
    INSERT INTO order_hourly (store_id, hour, status, orders, revenue, revenue_orders)
    SELECT store_id, TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at), status, COUNT(*),
           COALESCE(SUM(total), 0), COUNT(total)
    FROM orders
    WHERE created_via IS NULL OR created_via NOT IN ('admin', 'subscription')
    GROUP BY store_id, TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at), status`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('order_hourly');
}
