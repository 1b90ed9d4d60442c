import type { Knex } from 'knex';

// Sealed secrets (AES-256-GCM, base64url, with key id, IV and tag: sidecar/src/store/secret-box.ts) are
// longer than the plain ones. The rows themselves are sealed by the sidecar at start once
// WOOM_SECRET_KEY is set: a migration cannot be given the key, and must never change after it lands.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('store_rest_credentials', (t) => {
    t.string('consumer_secret', 512).notNullable().alter();
  });
  await knex.schema.alterTable('notification_channels', (t) => {
    t.string('secret', 512).nullable().alter();
  });
}

/** Sealed values do not fit the old width: run `npm run woom -- secrets decrypt` first. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('store_rest_credentials', (t) => {
    t.string('consumer_secret', 100).notNullable().alter();
  });
  await knex.schema.alterTable('notification_channels', (t) => {
    t.string('secret', 100).nullable().alter();
  });
}
