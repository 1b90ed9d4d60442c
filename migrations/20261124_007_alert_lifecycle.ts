import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('alerts', (t) => {
    // Who said "I am on it", and when: reminders and escalation stop (README, "Alert lifecycle").
    t.datetime('acknowledged_at', { precision: 3 }).nullable();
    t.string('acknowledged_by', 320).nullable();
    // Set once, by a conditional update, so the escalation notice is sent exactly once.
    t.datetime('escalated_at', { precision: 3 }).nullable();
    // Escalation counts from the first notice, not the opening: a problem held through a maintenance
    // window or quiet hours gives the admin the full escalation time once they are told.
    t.datetime('first_notified_at', { precision: 3 }).nullable();
  });
  await knex.raw(
    `UPDATE alerts SET first_notified_at = (
       SELECT MIN(n.created_at) FROM notifications n WHERE n.alert_id = alerts.id AND n.kind NOT LIKE '%resolved'
     )`,
  );
  await knex.schema.createTable('maintenance_windows', (t) => {
    t.bigIncrements('id');
    t.string('store_id', 32).notNullable().references('stores.id').onDelete('CASCADE');
    t.datetime('starts_at', { precision: 3 }).notNullable();
    t.datetime('ends_at', { precision: 3 }).notNullable();
    t.string('reason', 200).nullable();
    t.string('created_by', 200).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    // Ended early ("End now") or, when not later than starts_at, cancelled before it began.
    t.datetime('ended_at', { precision: 3 }).nullable();
    t.string('ended_by', 200).nullable();
    t.index(['store_id', 'ends_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('maintenance_windows');
  await knex.schema.alterTable('alerts', (t) => {
    t.dropColumn('acknowledged_at');
    t.dropColumn('acknowledged_by');
    t.dropColumn('escalated_at');
    t.dropColumn('first_notified_at');
  });
}
