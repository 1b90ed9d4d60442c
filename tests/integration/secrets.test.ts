import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecretKey, restSecretContext, channelSecretContext, SecretBox } from '../../sidecar/src/store/secret-box';
import { startHttpReceiver, type HttpReceiver } from '../helpers/http-receiver';
import { REDIS_URL } from '../helpers/redis';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed, type StoreCredentials } from '../helpers/signing';

const exec = promisify(execFile);
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

let sidecar: SidecarHandle;
let receiver: HttpReceiver;
let store: StoreCredentials;

beforeAll(async () => {
  [sidecar, receiver] = await Promise.all([startSidecar({ env: { WOOM_SECRET_KEY: keyA } }), startHttpReceiver()]);
  store = await sidecar.addStore({ name: 'Sealed', url: 'https://sealed.example', timezone: 'UTC' });
});
afterAll(async () => Promise.all([sidecar?.close(), receiver?.close()]));

const storedRest = async () => (await sidecar.db('store_rest_credentials').where({ store_id: store.id }).first()).consumer_secret as string;

describe('secrets at rest (item 10)', () => {
  let webhookSecret = '';
  let channelId = 0;

  it('seals WooCommerce consumer secrets and webhook signing keys with WOOM_SECRET_KEY and still uses them', async () => {
    await signed(sidecar.app, store, 'PUT', `/v1/stores/${store.id}/rest-credentials`, { consumer_key: 'ck_sealed0123456789', consumer_secret: 'cs_plaintextneverstored0123' }).expect(200);
    expect(await storedRest()).toMatch(/^enc:v1:/);
    expect(await storedRest()).not.toContain('plaintextnever');
    expect((await sidecar.container.restSync.credentials(store.id))?.consumerSecret).toBe('cs_plaintextneverstored0123');

    const added = await signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/channels`, { type: 'webhook', url: receiver.url }).expect(201);
    webhookSecret = added.body.secret;
    channelId = added.body.channel.id;
    const row = await sidecar.db('notification_channels').where({ id: channelId }).first();
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.secret).not.toContain(webhookSecret);
    // Deliveries are still signed with the key the receiver was given.
    expect((await sidecar.container.channels.list(store.id))[0]?.secret).toBe(webhookSecret);
  });

  it('seals secrets stored before the key was set when the sidecar starts', async () => {
    await sidecar.db('store_rest_credentials').where({ store_id: store.id }).update({ consumer_secret: 'cs_frombeforethekey' });
    await sidecar.restart();
    expect(await storedRest()).toMatch(/^enc:v1:/);
    expect((await sidecar.container.restSync.credentials(store.id))?.consumerSecret).toBe('cs_frombeforethekey');
  });

  it('re-seals every secret under a new key with `woom secrets rotate-key`', async () => {
    await sidecar.stop();
    const env = { ...process.env, DATABASE_URL: sidecar.container.config.DATABASE_URL, REDIS_URL, QUEUE_PREFIX: sidecar.prefix, LOG_LEVEL: 'silent' };
    const { stdout } = await exec('npx', ['tsx', 'sidecar/src/cli/woom.ts', 'secrets', 'rotate-key'], { env: { ...env, WOOM_SECRET_KEY: keyB, WOOM_SECRET_KEY_PREVIOUS: keyA }, timeout: 60_000 });
    expect(stdout).toContain('Sealed 2 secret(s)');
    const onlyB = new SecretBox(parseSecretKey(keyB));
    const onlyA = new SecretBox(parseSecretKey(keyA));
    expect(onlyB.open(await storedRest(), restSecretContext(store.id))).toBe('cs_frombeforethekey');
    const channelRow = await sidecar.db('notification_channels').where({ id: channelId }).first();
    expect(onlyB.open(channelRow.secret, channelSecretContext(channelId))).toBe(webhookSecret);
    expect(() => onlyA.open(channelRow.secret, channelSecretContext(channelId))).toThrow(/neither WOOM_SECRET_KEY/);
  });
});
