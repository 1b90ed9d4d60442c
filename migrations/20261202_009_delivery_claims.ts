import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per notification and target: the compare-and-set claim a sender takes before it sends, so a
  // stalled job run again or a notification queued twice never sends one recipient the same notice
  // twice. `deliveries` stays the log of every attempt.
  await knex.schema.createTable('delivery_claims', (t) => {
    t.bigInteger('notification_id').unsigned().notNullable().references('notifications.id').onDelete('CASCADE');
    t.string('recipient', 320).notNullable();
    // sending (claimed, lease_until running), retrying, sent, failed
    t.string('state', 16).notNullable();
    t.string('claimed_by', 64).nullable();
    // A sender that dies while sending leaves its claim; once this passes, another may take it.
    t.datetime('lease_until', { precision: 3 }).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.primary(['notification_id', 'recipient']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('delivery_claims');
}
