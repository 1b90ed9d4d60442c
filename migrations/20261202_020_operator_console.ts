import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('operators', (t) => {
    t.increments('id');
    t.string('email', 320).notNullable().unique();
    t.string('role', 10).notNullable();
    t.string('password_hash', 200).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('last_login_at', { precision: 3 }).nullable();
  });
  await knex.schema.createTable('console_sessions', (t) => {
    // SHA-256 of the cookie's value: a copy of this table opens no session.
    t.string('id_hash', 64).primary();
    t.integer('operator_id').unsigned().notNullable().references('operators.id').onDelete('CASCADE');
    t.string('csrf_token', 64).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('last_seen_at', { precision: 3 }).notNullable();
    t.index(['last_seen_at']);
  });
  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('scope', 10).notNullable();
    t.string('store_id', 32).nullable().references('stores.id').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.string('hint', 20).notNullable();
    t.string('created_by', 320).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('last_used_at', { precision: 3 }).nullable();
    t.datetime('revoked_at', { precision: 3 }).nullable();
  });
  await knex.schema.createTable('api_idempotency', (t) => {
    t.bigIncrements('id');
    // Whose key it is: "token:12" or "operator:3"; the same key from two callers are two requests.
    t.string('caller', 40).notNullable();
    t.string('idem_key', 200).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('status').nullable();
    t.text('body', 'mediumtext').nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.unique(['caller', 'idem_key']);
    t.index(['created_at']);
  });
  await knex.schema.alterTable('alerts', (t) => {
    // Resolved by a person (API or console) rather than by a check: who, and why.
    t.string('resolved_by', 320).nullable();
    t.text('resolution_note').nullable();
    // The alert list across stores pages newest first, filtered by state.
    t.index(['state', 'id'], 'alerts_state_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('alerts', (t) => {
    t.dropIndex(['state', 'id'], 'alerts_state_id');
    t.dropColumn('resolution_note');
    t.dropColumn('resolved_by');
  });
  await knex.schema.dropTable('api_idempotency');
  await knex.schema.dropTable('api_tokens');
  await knex.schema.dropTable('console_sessions');
  await knex.schema.dropTable('operators');
}
