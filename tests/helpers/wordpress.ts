/**
 * Starts a real WordPress (Debian's /usr/share/wordpress) for the end-to-end tests: its own database on
 * the MariaDB at 127.0.0.1:3306, its own wp-content (the bridge symlinked as a plugin, the WooCommerce
 * stand-in as an mu-plugin), `php -S 127.0.0.1:<free port>` with a router, the site installed through
 * /wp-admin/install.php, the bridge activated, an administrator and a user without manage_woocommerce.
 * Nothing outside 127.0.0.1; nothing of any other WordPress on the machine is read or changed.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);

export const WORDPRESS_ROOT = '/usr/share/wordpress';
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BRIDGE_DIR = join(REPO_ROOT, 'wp-bridge');
export const STANDIN_DIR = join(REPO_ROOT, 'tests', 'fixtures', 'woocommerce-standin');
export const BRIDGE_PLUGIN = 'woocommerce-order-monitor/woocommerce-order-monitor.php';
const CONFIG_DIR = '/etc/wordpress';
const DB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;

export interface WordPressOptions {
  /** WOOM_RETRY_BASE_SECONDS: the bridge's first back-off (default: the plugin's 60 s). */
  retryBaseSeconds?: number;
  /** WOOM_RETRY_MAX_SECONDS: the bridge's back-off cap (default: the plugin's 15 minutes). */
  retryMaxSeconds?: number;
  /** Activate the bridge (default true). */
  activateBridge?: boolean;
  /** Install the WooCommerce stand-in (default true); false gives a WordPress without WooCommerce. */
  woocommerce?: boolean;
  /** Give the stand-in Action Scheduler (default true); false leaves the bridge on WP-Cron. */
  actionScheduler?: boolean;
}

export interface StandinOrder {
  id: number;
  status: string;
  total: string;
  currency: string;
  payment_method: string;
  created_via: string;
  date_created: string;
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
}

export interface WordPressHandle {
  url: string;
  port: number;
  dbName: string;
  contentDir: string;
  admin: { login: string; password: string };
  /** A logged-in user without manage_woocommerce (role editor). */
  editor: { login: string; password: string };
  /** Runs PHP inside this WordPress (wp-load.php included) and returns what it printed. */
  php(code: string): Promise<string>;
  /** The stand-in's REST routes (`woocommerce-standin/v1/...`), through WordPress's REST server. */
  standin<T>(method: 'GET' | 'POST', route: string, body?: Record<string, unknown>): Promise<HttpAnswer<T>>;
  createOrders(o?: { status?: string; total?: string; currency?: string; payment_method?: string; created_via?: string; count?: number }): Promise<number[]>;
  setOrderStatus(id: number, status: string): Promise<StandinOrder>;
  /** Runs Action Scheduler's due actions now, as `wp action-scheduler run` from a real cron would. */
  runQueue(): Promise<{ ran: number; failed: number }>;
  /** GET /wp-cron.php, as the real cron a low-traffic store needs would. */
  runWpCron(): Promise<number>;
  /** Saves the bridge's connection options directly (the UI path is tested separately). */
  connectBridge(c: { sidecarUrl: string; storeId: string; secret: string }): Promise<void>;
  /** Rows still in the bridge's outbox, by state. */
  outboxCounts(): Promise<{ pending: number; dead: number }>;
  /**
   * The bridge's 5-minute heartbeat, now: it collects the snapshot and sends it through the outbox. On a
   * busy machine the drain it starts can find another drain running, or a back-off after a slow answer,
   * and leave the heartbeat waiting for the next drain: drained again until the outbox is empty.
   */
  heartbeat(): Promise<void>;
  /** Stops the web server (`php -S`) as a crashed or stopped server would be; the database and files stay. */
  stopServer(): Promise<void>;
  /** Starts the web server again on the same port. */
  startServer(): Promise<void>;
  /** The PHP server's and WordPress's debug log, for failure messages. */
  logs(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function secret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

async function waitForHttp(url: string, timeoutMs: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`php -S exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch (error) {
      lastError = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`WordPress did not answer at ${url} within ${timeoutMs} ms: ${lastError}`);
}

function routerSource(configName: string, contentDir: string): string {
  return `<?php
// Router for php -S: Debian's wp-config.php picks /etc/wordpress/config-${configName}.php through
// WORDPRESS_CONFIG; /wp-content/ is this instance's own directory.
$_SERVER['WORDPRESS_CONFIG'] = ${phpString(configName)};
$root = ${phpString(WORDPRESS_ROOT)};
$content = ${phpString(contentDir)};
$path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (str_contains($path, '..')) { http_response_code(400); return true; }
if (str_starts_with($path, '/wp-content/')) {
  $file = $content . substr($path, strlen('/wp-content'));
  if (is_file($file) && !str_ends_with($file, '.php')) {
    $types = ['css' => 'text/css', 'js' => 'application/javascript', 'png' => 'image/png', 'svg' => 'image/svg+xml'];
    $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
    header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
    readfile($file);
    return true;
  }
  http_response_code(404);
  return true;
}
$file = $root . $path;
if (is_dir($file)) {
  if (!str_ends_with($path, '/')) { header('Location: ' . $path . '/'); return true; }
  $path .= 'index.php';
  $file = $root . $path;
}
if (is_file($file) && !str_ends_with($file, '.php')) {
  return false;
}
if (!is_file($file)) {
  $path = '/index.php';
  $file = $root . $path;
}
$_SERVER['SCRIPT_NAME'] = $path;
$_SERVER['PHP_SELF'] = $path;
$_SERVER['SCRIPT_FILENAME'] = $file;
chdir(dirname($file));
require $file;
`;
}

function configSource(o: {
  dbName: string;
  contentDir: string;
  url: string;
  logFile: string;
  standinToken: string;
  options: WordPressOptions;
}): string {
  const salts = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT']
    .map((k) => `define('${k}', ${phpString(secret(32))});`)
    .join('\n');
  const lines = [
    '<?php',
    '// Written by tests/helpers/wordpress.ts for one test WordPress; removed when it stops.',
    `define('DB_NAME', ${phpString(o.dbName)});`,
    `define('DB_USER', 'root');`,
    `define('DB_PASSWORD', '');`,
    `define('DB_HOST', '127.0.0.1:3306');`,
    `define('WP_HOME', ${phpString(o.url)});`,
    `define('WP_SITEURL', ${phpString(o.url)});`,
    `define('WP_CONTENT_DIR', ${phpString(o.contentDir)});`,
    `define('WP_CONTENT_URL', ${phpString(`${o.url}/wp-content`)});`,
    `define('WP_DEBUG', true);`,
    `define('WP_DEBUG_DISPLAY', false);`,
    `define('WP_DEBUG_LOG', ${phpString(o.logFile)});`,
    // Only 127.0.0.1 (this site and the sidecar) is reachable; no update checks to the internet.
    `define('WP_HTTP_BLOCK_EXTERNAL', true);`,
    `define('AUTOMATIC_UPDATER_DISABLED', true);`,
    `define('WP_AUTO_UPDATE_CORE', false);`,
    `define('WP_DEFAULT_THEME', 'woom-blank');`,
    `define('WOOM_STANDIN_TOKEN', ${phpString(o.standinToken)});`,
    salts,
  ];
  if (o.options.retryBaseSeconds !== undefined) lines.push(`define('WOOM_RETRY_BASE_SECONDS', ${Math.trunc(o.options.retryBaseSeconds)});`);
  if (o.options.retryMaxSeconds !== undefined) lines.push(`define('WOOM_RETRY_MAX_SECONDS', ${Math.trunc(o.options.retryMaxSeconds)});`);
  if (o.options.actionScheduler === false) lines.push(`define('WOOM_STANDIN_WITHOUT_ACTION_SCHEDULER', true);`);
  lines.push(`$table_prefix = 'wp_';`);
  return lines.join('\n') + '\n';
}

export async function startWordPress(options: WordPressOptions = {}): Promise<WordPressHandle> {
  if (!existsSync(join(WORDPRESS_ROOT, 'wp-load.php'))) {
    throw new Error(`${WORDPRESS_ROOT} is missing: run scripts/install-system-deps.sh (Debian's wordpress package)`);
  }
  const id = randomBytes(5).toString('hex');
  const dbName = `woom_wp_${id}`;
  const configName = `woom-${id}`;
  const configFile = join(CONFIG_DIR, `config-${configName}.php`);
  const dir = await mkdtemp(join(tmpdir(), 'woom-wp-'));
  const contentDir = join(dir, 'wp-content');
  const logFile = join(dir, 'debug.log');
  const serverLog: string[] = [];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const standinToken = secret();
  const admin = { login: 'admin', password: secret(12) };
  const editor = { login: 'editor', password: secret(12) };

  let proc: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let stopped = false;
  const db = await mysql.createConnection({ ...DB });

  const keep = (chunk: Buffer): void => {
    serverLog.push(chunk.toString());
    if (serverLog.length > 400) serverLog.splice(0, serverLog.length - 400);
  };
  const router = join(dir, 'router.php');

  /** `php -S` on the site's port, and a watchdog that stops it if this Node process dies without stop(). */
  const spawnServer = (): ChildProcess => {
    if (watchdog?.pid !== undefined && watchdog.exitCode === null) watchdog.kill('SIGKILL');
    const server = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', WORDPRESS_ROOT, router], {
      cwd: WORDPRESS_ROOT,
      // Several workers: WP-Cron and Action Scheduler call back into the site while a request runs.
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    server.stdout?.on('data', keep);
    server.stderr?.on('data', keep);
    watchdog = spawn(
      'bash',
      [
        '-c',
        'while kill -0 "$1" 2>/dev/null; do sleep 2; done; kill -TERM -- "-$2" 2>/dev/null; ' +
          'mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS \\`$3\\`"; rm -f -- "$4"; rm -rf -- "$5"',
        'woom-wp-watchdog',
        String(process.pid),
        String(server.pid),
        dbName,
        configFile,
        dir,
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.unref();
    return server;
  };

  /** Stops `php -S` (and its workers); the database and files stay. */
  const killServer = async (): Promise<void> => {
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((r) => proc!.once('exit', () => r()));
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      proc.kill('SIGTERM');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (watchdog?.pid !== undefined && watchdog.exitCode === null) watchdog.kill('SIGKILL');
    await killServer();
    await db.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await db.end().catch(() => undefined);
    await rm(configFile, { force: true });
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await db.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);

    for (const sub of ['plugins', 'mu-plugins', 'themes/woom-blank', 'uploads']) {
      await mkdir(join(contentDir, sub), { recursive: true });
    }
    await symlink(BRIDGE_DIR, join(contentDir, 'plugins', 'woocommerce-order-monitor'));
    if (options.woocommerce !== false) {
      await symlink(join(STANDIN_DIR, 'woocommerce-standin.php'), join(contentDir, 'mu-plugins', 'woocommerce-standin.php'));
    }
    await writeFile(join(contentDir, 'themes/woom-blank/style.css'), '/*\nTheme Name: WOOM blank (tests)\n*/\n');
    // The least a theme does: a whole HTML page with the body classes and the post's content (so the
    // cart and checkout shortcodes render, as the store probe requests them).
    await writeFile(
      join(contentDir, 'themes/woom-blank/index.php'),
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>test store</title></head><body <?php body_class(); ?>><p>test store</p>' +
        '<?php while ( have_posts() ) { the_post(); echo "<main>"; the_content(); echo "</main>"; } ?></body></html>\n',
    );

    await mkdir(CONFIG_DIR, { recursive: true });
    await writeFile(configFile, configSource({ dbName, contentDir, url, logFile, standinToken, options }), { mode: 0o640 });
    await writeFile(router, routerSource(configName, contentDir));

    proc = spawnServer();
    await waitForHttp(`${url}/wp-login.php`, 15_000, proc);

    const install = await fetch(`${url}/wp-admin/install.php?step=2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        weblog_title: 'WOOM test store',
        user_name: admin.login,
        admin_password: admin.password,
        admin_password2: admin.password,
        pw_weak: '1',
        admin_email: 'admin@store.test',
        blog_public: '0',
        language: '',
      }),
    });
    const installPage = await install.text();
    if (install.status !== 200 || !/Success!/.test(installPage)) {
      throw new Error(`WordPress install failed (${install.status}): ${installPage.slice(0, 500)}`);
    }

    const handle: WordPressHandle = {
      url,
      port,
      dbName,
      contentDir,
      admin,
      editor,
      async php(code: string): Promise<string> {
        const script = join(dir, `eval-${randomBytes(4).toString('hex')}.php`);
        await writeFile(
          script,
          `<?php
$_SERVER['HTTP_HOST'] = '127.0.0.1:${port}';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['WORDPRESS_CONFIG'] = ${phpString(configName)};
define('WP_USE_THEMES', false);
require ${phpString(join(WORDPRESS_ROOT, 'wp-load.php'))};
${code}
`,
        );
        try {
          const { stdout } = await run('php', [script], { cwd: WORDPRESS_ROOT, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 });
          return stdout;
        } finally {
          await rm(script, { force: true });
        }
      },
      async standin<T>(method: 'GET' | 'POST', route: string, body?: Record<string, unknown>): Promise<HttpAnswer<T>> {
        const res = await fetch(`${url}/?rest_route=${encodeURIComponent(`/woocommerce-standin/v1${route}`)}`, {
          method,
          headers: { 'Content-Type': 'application/json', 'X-Standin-Token': standinToken },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(120_000),
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON: keep the text for the error */
        }
        return { status: res.status, body: parsed as T };
      },
      async createOrders(o = {}): Promise<number[]> {
        const res = await handle.standin<{ ids: number[] }>('POST', '/orders', o);
        if (res.status !== 201) throw new Error(`creating orders: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        return res.body.ids;
      },
      async setOrderStatus(orderId: number, status: string): Promise<StandinOrder> {
        const res = await handle.standin<StandinOrder>('POST', `/orders/${orderId}/status`, { status });
        if (res.status !== 200) throw new Error(`changing order ${orderId}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        return res.body;
      },
      async runQueue(): Promise<{ ran: number; failed: number }> {
        const res = await handle.standin<{ ran: number; failed: number }>('POST', '/run-queue');
        if (res.status !== 200) throw new Error(`running the queue: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        return res.body;
      },
      async runWpCron(): Promise<number> {
        const res = await fetch(`${url}/wp-cron.php`, { signal: AbortSignal.timeout(60_000) });
        await res.arrayBuffer();
        return res.status;
      },
      async connectBridge(c): Promise<void> {
        await handle.php(
          `update_option('woom_sidecar_url', ${phpString(c.sidecarUrl)}); update_option('woom_store_id', ${phpString(c.storeId)}); update_option('woom_secret', ${phpString(c.secret)}, false);`,
        );
      },
      async outboxCounts(): Promise<{ pending: number; dead: number }> {
        const [rows] = await db.query(`SELECT state, COUNT(*) AS n FROM \`${dbName}\`.wp_woom_outbox GROUP BY state`);
        const counts = { pending: 0, dead: 0 };
        for (const row of rows as Array<{ state: string; n: number }>) {
          if (row.state === 'pending' || row.state === 'dead') counts[row.state] = Number(row.n);
        }
        return counts;
      },
      async heartbeat(): Promise<void> {
        await handle.php("do_action('woom_heartbeat');");
        const deadline = Date.now() + 30_000;
        while ((await handle.outboxCounts()).pending > 0) {
          if (Date.now() > deadline) throw new Error('the heartbeat was still in the outbox after 30 s');
          await handle.php("do_action('woom_drain_outbox');");
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async logs(): Promise<string> {
        const debug = existsSync(logFile) ? await readFile(logFile, 'utf8') : '';
        return `--- php -S ---\n${serverLog.join('').slice(-8000)}\n--- debug.log ---\n${debug.slice(-8000)}`;
      },
      async stopServer(): Promise<void> {
        await killServer();
      },
      async startServer(): Promise<void> {
        // A process killed by a signal keeps exitCode null: signalCode says it is gone.
        if (proc && proc.exitCode === null && proc.signalCode === null) return;
        proc = spawnServer();
        await waitForHttp(`${url}/wp-login.php`, 15_000, proc);
      },
      stop,
    };

    const setup = await handle.php(`
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$editor = wp_insert_user(['user_login' => ${phpString(editor.login)}, 'user_pass' => ${phpString(editor.password)}, 'user_email' => 'editor@store.test', 'role' => 'editor']);
if (is_wp_error($editor)) { echo 'editor: ' . $editor->get_error_message(); exit(1); }
${options.activateBridge === false ? '' : `$r = activate_plugin(${phpString(BRIDGE_PLUGIN)}); if (is_wp_error($r)) { echo 'activate: ' . $r->get_error_message(); exit(1); }`}
echo wp_json_encode(['admin_can' => user_can(get_user_by('login', ${phpString(admin.login)}), 'manage_woocommerce'), 'editor_can' => user_can($editor, 'manage_woocommerce'), 'active' => is_plugin_active(${phpString(BRIDGE_PLUGIN)})]);
`);
    const state = JSON.parse(setup.slice(setup.indexOf('{'))) as { admin_can: boolean; editor_can: boolean; active: boolean };
    if (state.admin_can !== (options.woocommerce !== false) || state.editor_can || state.active !== (options.activateBridge !== false)) {
      throw new Error(`WordPress setup went wrong: ${setup}`);
    }
    return handle;
  } catch (error) {
    const debug = existsSync(logFile) ? await readFile(logFile, 'utf8').catch(() => '') : '';
    await stop();
    throw new Error(`${String(error)}\n${serverLog.join('').slice(-4000)}\n${debug.slice(-4000)}`);
  }
}

export { CHROMIUM_ARGS, launchChromium, newLocalPage } from './browser';

/** Logs a user in through wp-login.php; the page's context keeps the cookies. */
export async function logIn(page: import('playwright-core').Page, wp: WordPressHandle, user: { login: string; password: string }): Promise<void> {
  await page.goto(`${wp.url}/wp-login.php`);
  await page.fill('#user_login', user.login);
  await page.fill('#user_pass', user.password);
  await Promise.all([page.waitForURL(/\/wp-admin\//, { timeout: 30_000 }), page.click('#wp-submit')]);
}

export const TAB_PATH = '/wp-admin/admin.php?page=wc-settings&tab=order-monitor';

/** Polls `check` until it returns a value (not undefined), at most `timeoutMs`; `poke` runs between tries. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  o: { timeoutMs?: number; intervalMs?: number; poke?: () => Promise<unknown> } = {},
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  let last: unknown;
  for (let attempt = 0; Date.now() < deadline && attempt < 10_000; attempt++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (o.poke) await o.poke().catch((error: unknown) => (last = error));
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
