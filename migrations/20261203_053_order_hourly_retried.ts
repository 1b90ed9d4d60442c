import type { Knex } from 'knex';

/**
 * Retried carts in the hourly roll-ups (store/rollups): the baseline's usual failure share counts a cart
 * tried again once, and counting that from the orders at each baseline build (a semi-join over eight
 * weeks of failures) was what kept a sidecar of 1,000 stores from checking after a start. Per status,
 * like the orders: which statuses are failures is the store's setting.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_hourly', (t) => {
    t.integer('retried').unsigned().notNullable().defaultTo(0);
  });
  // The orders already held, counted once, store by store so no statement covers every store's history.
  const stores: string[] = await knex('stores').pluck('id');
  for (const storeId of stores) {
    await knex.raw(
      `UPDATE order_hourly h
       JOIN (
         SELECT TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', f.created_at) AS hour, f.status, COUNT(*) AS n
         FROM orders f
         WHERE f.store_id = ? AND f.total > 0 AND (f.created_via IS NULL OR f.created_via NOT IN ('admin', 'subscription'))
           AND EXISTS (
             SELECT 1 FROM orders o
             WHERE o.store_id = f.store_id
               AND o.created_at >= f.created_at AND o.created_at <= f.created_at + INTERVAL 10 MINUTE
               AND (o.created_at > f.created_at OR o.order_id > f.order_id)
               AND o.total = f.total AND COALESCE(o.payment_method, '') = COALESCE(f.payment_method, '')
               AND (o.created_via IS NULL OR o.created_via NOT IN ('admin', 'subscription')))
         GROUP BY hour, f.status
       ) r ON r.hour = h.hour AND r.status = h.status
       SET h.retried = r.n
       WHERE h.store_id = ?`,
      [storeId, storeId],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_hourly', (t) => {
    t.dropColumn('retried');
  });
}
