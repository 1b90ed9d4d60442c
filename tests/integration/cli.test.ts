import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { CHECK_QUEUE } from '../../sidecar/src/queue/names';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { REDIS_URL, wipeQueuePrefix } from '../helpers/redis';

const exec = promisify(execFile);
let database: TestDatabase;
const prefix = `woomcli${Date.now()}`;

beforeAll(async () => {
  database = await createTestDatabase(false);
});
afterAll(async () => {
  await wipeQueuePrefix(prefix);
  await database?.drop();
});

/** Runs `npm run woom -- ...` the way an operator does, against this file's own database. */
async function woom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('npx', ['tsx', 'sidecar/src/cli/woom.ts', ...args], {
      env: { ...process.env, DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function schedulerIds(): Promise<string[]> {
  const queue = new Queue(CHECK_QUEUE, { connection: { url: REDIS_URL }, prefix });
  try {
    return (await queue.getJobSchedulers(0, -1)).map((s) => String(s.id ?? s.key)).filter((s) => s.startsWith('check-'));
  } finally {
    await queue.close();
  }
}

describe('woom store commands', () => {
  let id = '';
  let secret = '';

  it('store add prints the id and the secret once, and schedules the checks', async () => {
    const out = await woom('store', 'add', '--name', 'Shop', '--url', 'https://shop.example', '--timezone', 'Europe/Berlin');
    expect(out.code).toBe(0);
    id = /id:\s+(st_[0-9a-f]{16})/.exec(out.stdout)?.[1] ?? '';
    secret = /secret:\s+(woomsk_\S+)/.exec(out.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(secret.length).toBeGreaterThan(40);
    const row = await database.db('stores').where({ id }).first();
    expect(row).toMatchObject({ name: 'Shop', url: 'https://shop.example', secret });
    const settings = JSON.parse((await database.db('store_settings').where({ store_id: id }).first()).settings);
    expect(settings.timezone).toBe('Europe/Berlin');
    expect(await schedulerIds()).toEqual([`check-${id}`]);
  });

  it('store add --probe off registers a store the probe leaves alone; a bad --probe registers nothing', async () => {
    const out = await woom('store', 'add', '--name', 'Docker shop', '--url', 'http://localhost:8000', '--timezone', 'UTC', '--probe', 'off');
    expect(out.code).toBe(0);
    const added = /id:\s+(st_[0-9a-f]{16})/.exec(out.stdout)?.[1] ?? '';
    const settings = JSON.parse((await database.db('store_settings').where({ store_id: added }).first()).settings);
    expect(settings).toMatchObject({ probe_enabled: false, enabled: true });
    const bad = await woom('store', 'add', '--name', 'Maybe', '--url', 'https://maybe.example', '--timezone', 'UTC', '--probe', 'sometimes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--probe must be on or off (got "sometimes")');
    expect(await database.db('stores').where({ name: 'Maybe' }).first()).toBeUndefined();
    await woom('store', 'remove', added);
  });

  it('refuses an unknown time zone with a clear message and registers nothing', async () => {
    const out = await woom('store', 'add', '--name', 'Moon', '--url', 'https://moon.example', '--timezone', 'Moon/Tranquility');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('Unknown time zone "Moon/Tranquility"');
    expect(await database.db('stores').where({ name: 'Moon' }).first()).toBeUndefined();
  });

  it('refuses a missing option and an unknown command with the usage', async () => {
    const missing = await woom('store', 'add', '--name', 'X');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('store add needs --name, --url and --timezone');
    const unknown = await woom('store', 'explode');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Usage: npm run woom');
  });

  it('store rest-credentials refuses keys the API would refuse, with its words, and stores nothing', async () => {
    const key = `ck_${'a1'.repeat(20)}`;
    const badKey = await woom('store', 'rest-credentials', id, '--key', 'hello', '--secret', `cs_${'b2'.repeat(20)}`);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('--key must be a WooCommerce consumer key, ck_ followed by letters and digits');
    const badSecret = await woom('store', 'rest-credentials', id, '--key', key, '--secret', 'cs_short');
    expect(badSecret.code).toBe(2);
    expect(badSecret.stderr).toContain('--secret must be a WooCommerce consumer secret, cs_ followed by letters and digits');
    expect(await database.db('store_rest_credentials').where({ store_id: id }).first()).toBeUndefined();
    const ok = await woom('store', 'rest-credentials', id, '--key', key, '--secret', `cs_${'b2'.repeat(20)}`);
    expect(ok.code).toBe(0);
    expect(await database.db('store_rest_credentials').where({ store_id: id }).first()).toBeDefined();
  });

  it('store list shows the store without its secret', async () => {
    const out = await woom('store', 'list');
    expect(out.stdout).toContain(`${id}\tShop\thttps://shop.example\tEurope/Berlin\tadaptive`);
    expect(out.stdout).not.toContain(secret);
  });

  it('store rotate-secret replaces the secret', async () => {
    const out = await woom('store', 'rotate-secret', id);
    expect(out.code).toBe(0);
    const fresh = /New secret for \S+: (woomsk_\S+)/.exec(out.stdout)?.[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(secret);
    expect((await database.db('stores').where({ id }).first()).secret).toBe(fresh);
  });

  it('store remove deletes the store and says so; an unknown id is an error', async () => {
    const out = await woom('store', 'remove', id);
    expect(out.code).toBe(0);
    expect(await database.db('stores').where({ id }).first()).toBeUndefined();
    expect(await schedulerIds()).toEqual([]);
    const again = await woom('store', 'remove', id);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`No store with id ${id}`);
  });
});
