import { verify } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWoom } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { REDIS_URL, wipeQueuePrefix } from '../helpers/redis';

let database: TestDatabase;
const prefix = `woomopcli${Date.now()}`;

beforeAll(async () => {
  database = await createTestDatabase(false);
});
afterAll(async () => {
  await wipeQueuePrefix(prefix);
  await database?.drop();
});

/** `npm run woom -- ...` as an operator runs it, with `stdin` piped in (or nothing). */
const woom = (args: string[], stdin = '') =>
  runWoom(args, { DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, PUBLIC_URL: 'https://woom.example' }, stdin);

describe('woom operator and token commands', () => {
  it('operator add hashes a piped password with argon2id and never prints it', async () => {
    const out = await woom(['operator', 'add', '--email', 'Ann@Example.com'], 'correct horse battery\n');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Operator added: ann@example.com (admin)');
    expect(out.stdout).toContain('https://woom.example/console/login');
    expect(out.stdout).not.toContain('correct horse');
    const row = await database.db('operators').where({ email: 'ann@example.com' }).first();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verify(row.password_hash, 'correct horse battery')).toBe(true);
  }, 300_000);

  it('operator add without a piped password prints a one-time password that works', async () => {
    const out = await woom(['operator', 'add', '--email', 'vic@example.com', '--role', 'viewer']);
    expect(out.code, out.stderr).toBe(0);
    const password = /One-time password \(shown only now\): (\S+)/.exec(out.stdout)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(12);
    const row = await database.db('operators').where({ email: 'vic@example.com' }).first();
    expect(row.role).toBe('viewer');
    expect(await verify(row.password_hash, password)).toBe(true);
  }, 300_000);

  it('refuses bad input by naming the option; reset-password; never removes the last admin', async () => {
    const short = await woom(['operator', 'add', '--email', 'x@example.com'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--password must be at least 12 characters');
    expect((await database.db('operators').count({ n: '*' }))[0]).toEqual({ n: 2 });
    const reset = await woom(['operator', 'reset-password', 'vic@example.com'], 'a brand new password\n');
    expect(reset.code, reset.stderr).toBe(0);
    const row = await database.db('operators').where({ email: 'vic@example.com' }).first();
    expect(await verify(row.password_hash, 'a brand new password')).toBe(true);
    const last = await woom(['operator', 'remove', 'ann@example.com']);
    expect(last.code).toBe(2);
    expect(last.stderr).toContain('last admin');
  }, 300_000);

  it('token create prints the token once and stores only its hash; list and revoke', async () => {
    const out = await woom(['token', 'create', '--name', 'grafana', '--scope', 'read']);
    expect(out.code, out.stderr).toBe(0);
    const token = /\s(woomtk_\S+)/.exec(out.stdout)?.[1] ?? '';
    expect(token.length).toBeGreaterThan(40);
    const row = await database.db('api_tokens').first();
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row).toMatchObject({ name: 'grafana', scope: 'read', store_id: null });
    const list = await woom(['token', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${row.id}\\tgrafana\\tread\\tevery store\\twoomtk_`, 'm'));
    expect(list.stdout).not.toContain(token);
    expect((await woom(['token', 'revoke', String(row.id)])).code).toBe(0);
    expect((await database.db('api_tokens').first()).revoked_at).not.toBeNull();
  }, 300_000);
});
