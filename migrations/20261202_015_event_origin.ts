import type { Knex } from 'knex';

/**
 * Who saw each event: the bridge, or the sidecar's own read-back over WooCommerce's REST API. The export
 * and the recovered-orders metric tell the two apart, so a change both saw is listed and counted once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_events', (t) => {
    t.string('origin', 8).notNullable().defaultTo('bridge');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_events', (t) => {
    t.dropColumn('origin');
  });
}
