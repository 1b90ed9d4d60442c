import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Signatures of state-changing requests already accepted, kept while their timestamp is inside the
  // signature window: the same signed request sent again (a replay) is refused instead of applied twice.
  await knex.schema.createTable('signed_requests', (t) => {
    t.specificType('signature_hash', 'BINARY(32)').primary();
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signed_requests');
}
