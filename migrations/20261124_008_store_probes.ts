import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per probe request (README: "Store probe"); pruned after 35 days by the upkeep job.
  await knex.schema.createTable('store_probes', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    // The run this request belongs to: a run requests every target once.
    t.datetime('run_at', { precision: 3 }).notNullable();
    t.string('target', 20).notNullable();
    t.string('url', 2000).notNullable();
    t.datetime('probed_at', { precision: 3 }).notNullable();
    t.boolean('ok').notNullable();
    t.string('failure', 20).nullable();
    t.integer('status').nullable();
    t.integer('ttfb_ms').nullable();
    t.string('detail', 500).notNullable();
    t.index(['store_id', 'probed_at']);
    t.index(['store_id', 'target', 'probed_at']);
    t.index(['probed_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('store_probes');
}
