import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { REDIS_URL, wipeQueuePrefix } from '../helpers/redis';

let database: TestDatabase;
const prefix = `woomproc${Date.now()}`;
beforeAll(async () => {
  database = await createTestDatabase(false);
  // What `npm start` runs: the compiled bundles (its prestart builds them).
  await promisify(execFile)('node', ['scripts/build.mjs']);
}, 120_000);
afterAll(async () => {
  await wipeQueuePrefix(prefix);
  await database?.drop();
});

function startProcess(env: Record<string, string>) {
  const child = spawn('node', ['dist/index.js'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

describe('the sidecar process (npm start)', () => {
  it('migrates, serves, and on SIGTERM drains and closes in order, exiting 0', async () => {
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const { child, output } = startProcess({ DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, PORT: port, PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info', WOOM_DEV_PAGES: '1' });
    const deadline = Date.now() + 30_000;
    let ready = false;
    while (!ready && Date.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(true);
    expect(await database.db.schema.hasTable('orders')).toBe(true);
    // The compiled CLI and the compiled sidecar find templates/ and the migrations from dist/.
    const { stdout } = await promisify(execFile)('node', ['dist/cli/woom.js', 'store', 'add', '--name', 'Compiled', '--url', 'https://compiled.example', '--timezone', 'UTC'], {
      env: { ...process.env, DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' },
    });
    const storeId = /st_[0-9a-f]{16}/.exec(stdout)?.[0];
    expect(storeId).toBeDefined();
    const page = await fetch(`http://127.0.0.1:${port}/v1/stores/${storeId}/pages/settings`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Checked every (minute|\d+ minutes)/);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const log = output();
    expect(log.indexOf('"signal":"SIGTERM"')).toBeGreaterThan(-1);
    expect(log.indexOf('"msg":"stopped"')).toBeGreaterThan(log.indexOf('"signal":"SIGTERM"'));
  });

  it('refuses to start on bad configuration, naming each bad variable', async () => {
    const { child, output } = startProcess({ DATABASE_URL: 'nonsense', PORT: '99999' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(output()).toContain('DATABASE_URL="nonsense"');
    expect(output()).toContain('PORT="99999"');
  });

  it('refuses to start when PUBLIC_URL is left at its default on another port, saying which variable to set', async () => {
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const { child, output } = startProcess({ DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, PORT: port, PUBLIC_URL: '' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(78);
    expect(output()).toContain(`port ${port} (PORT)`);
    expect(output()).toContain('Set PUBLIC_URL');
  });
});
