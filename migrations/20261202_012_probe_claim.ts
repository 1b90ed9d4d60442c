import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stores', (t) => {
    // When the store's last probe run began: a run claims the store by moving it forward only if it is a
    // minute old (compare-and-set), before any request, so two runs at once never both probe.
    t.datetime('probe_claimed_at', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('stores', (t) => {
    t.dropColumn('probe_claimed_at');
  });
}
