import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';

/**
 * Private Redis and MariaDB servers for the fault test, on ports of their own on 127.0.0.1, so the test
 * can stop and restart them without touching the machine's shared ones (or anything else using them).
 */
export interface RestartableService {
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function privateRedis(port: number): Promise<RestartableService> {
  let child: ChildProcess | null = null;
  const dir = await mkdtemp(join(tmpdir(), 'woom-fault-redis-'));
  return {
    port,
    async start() {
      // Like the machine's Redis: nothing kept on disk, so a restart loses every key.
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      await waitForPort(port);
    },
    async stop() {
      await stopChild(child);
      child = null;
    },
    async close() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function privateMariaDb(port: number): Promise<RestartableService> {
  let child: ChildProcess | null = null;
  const dir = await mkdtemp(join(tmpdir(), 'woom-fault-mariadb-'));
  const data = join(dir, 'data');
  const install = spawn('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  const [code] = await once(install, 'exit');
  if (code !== 0) throw new Error(`mariadb-install-db exited ${code}`);
  return {
    port,
    async start() {
      child = spawn(
        '/usr/sbin/mariadbd',
        ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`, '--user=root', '--skip-log-bin', '--innodb-buffer-pool-size=64M'],
        { stdio: 'ignore' },
      );
      await waitForPort(port);
    },
    async stop() {
      await stopChild(child);
      child = null;
    },
    async close() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The sidecar as its own process (`tsx sidecar/src/index.ts`, what `npm start` runs). */
export function sidecarProcess(env: Record<string, string>, port: number): RestartableService & { log: () => string } {
  let child: ChildProcess | null = null;
  let log = '';
  return {
    port,
    log: () => log,
    async start() {
      child = spawn('node_modules/.bin/tsx', ['sidecar/src/index.ts'], { env: { ...process.env, PUBLIC_URL: `http://127.0.0.1:${port}`, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (chunk) => (log += chunk));
      child.stderr?.on('data', (chunk) => (log += chunk));
      await waitForPort(port, 60_000);
    },
    async stop() {
      await stopChild(child);
      child = null;
    },
    async close() {
      await stopChild(child);
    },
  };
}
