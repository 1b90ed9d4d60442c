import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('alerts', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.string('detector', 60).notNullable();
    t.string('severity', 10).notNullable();
    t.string('state', 10).notNullable();
    t.datetime('opened_at', { precision: 3 }).notNullable();
    t.datetime('resolved_at', { precision: 3 }).nullable();
    t.datetime('last_notified_at', { precision: 3 }).nullable();
    t.text('details', 'longtext').notNullable();
    t.index(['store_id', 'state']);
    t.index(['store_id', 'opened_at']);
  });
  await knex.schema.createTable('check_runs', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.datetime('ran_at', { precision: 3 }).notNullable();
    t.string('trigger', 16).notNullable();
    t.string('mode', 20).notNullable();
    t.text('results', 'longtext').notNullable();
    t.string('decision', 20).notNullable();
    t.string('held_by', 20).nullable();
    t.bigInteger('alert_id').unsigned().nullable().references('alerts.id').onDelete('SET NULL');
    t.index(['store_id', 'ran_at']);
  });
  await knex.schema.createTable('notifications', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.bigInteger('alert_id').unsigned().nullable().references('alerts.id').onDelete('CASCADE');
    t.string('kind', 20).notNullable();
    t.string('status', 16).notNullable();
    t.text('content', 'longtext').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('completed_at', { precision: 3 }).nullable();
    t.index(['store_id', 'kind', 'created_at']);
    t.index(['status', 'created_at']);
  });
  await knex.schema.createTable('deliveries', (t) => {
    t.bigIncrements('id');
    t.bigInteger('notification_id').unsigned().notNullable().references('notifications.id').onDelete('CASCADE');
    t.string('channel', 20).notNullable();
    t.string('recipient', 320).notNullable();
    t.integer('attempt').notNullable();
    t.string('status', 16).notNullable();
    t.text('response').nullable();
    t.datetime('attempted_at', { precision: 3 }).notNullable();
    t.index(['notification_id', 'recipient']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('deliveries');
  await knex.schema.dropTable('notifications');
  await knex.schema.dropTable('check_runs');
  await knex.schema.dropTable('alerts');
}
