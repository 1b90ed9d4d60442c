import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per digest that was decided: the store (or "*" for the all-stores digest), the kind and the
  // local date it was sent on. The unique key is the exactly-once guarantee: a second sidecar, a restart
  // or the autumn's repeated hour finds the row and sends nothing. The row is written in the same
  // transaction as the digest's notification, which the usual delivery path (delivery_claims) then sends,
  // retries and records; a crash after the claim leaves a pending notification the upkeep job queues again.
  await knex.schema.createTable('digest_claims', (t) => {
    t.bigIncrements('id');
    t.string('scope', 40).notNullable();
    t.string('kind', 16).notNullable();
    t.date('local_date').notNullable();
    t.bigInteger('notification_id').unsigned().nullable().references('notifications.id').onDelete('SET NULL');
    t.string('claimed_by', 64).notNullable();
    t.datetime('claimed_at', { precision: 3 }).notNullable();
    t.unique(['scope', 'kind', 'local_date']);
    t.index(['claimed_at']);
  });
  // The all-stores digest belongs to no store.
  await knex.schema.alterTable('notifications', (t) => {
    t.string('store_id', 32).nullable().alter();
  });
  // Console operators who asked for the all-stores digest, and other addresses set with the command line.
  await knex.schema.alterTable('operators', (t) => {
    t.boolean('digest_opt_in').notNullable().defaultTo(false);
  });
  await knex.schema.createTable('digest_recipients', (t) => {
    t.string('email', 320).primary();
    t.datetime('added_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('digest_recipients');
  await knex.schema.alterTable('operators', (t) => {
    t.dropColumn('digest_opt_in');
  });
  await knex.schema.dropTable('digest_claims');
  await knex('notifications').whereNull('store_id').delete();
  await knex.schema.alterTable('notifications', (t) => {
    t.string('store_id', 32).notNullable().alter();
  });
}
