/**
 * Starts a real WordPress 7.0.4 with the real WooCommerce 11.0.1 and the bridge, for the end-to-end tests,
 * the demo and the hook benchmark: its own database on the MariaDB at 127.0.0.1:3306, its own wp-content
 * (WooCommerce and the bridge symlinked as plugins, a mail short-circuit as an mu-plugin), `php -S
 * 127.0.0.1:<free port>` with a router, the site installed through /wp-admin/install.php, WooCommerce
 * activated and its install finished by a logged-in /wp-admin/ request (HPOS on, as on a new store), the
 * bridge activated the way WP-CLI does, an administrator and a user without manage_woocommerce.
 *
 * WordPress and WooCommerce are unpacked once per machine (in the OS temp dir, keyed by version) from
 * ../shared/vendor/, or from their official downloads by scripts/fetch-wordpress.sh where that folder is
 * absent. Nothing outside 127.0.0.1; nothing of any other WordPress on the machine is read or changed.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);

export const WORDPRESS_VERSION = '7.0.4';
export const WOOCOMMERCE_VERSION = '11.0.1';
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BRIDGE_DIR = join(REPO_ROOT, 'wp-bridge');
/** The vendored release tarballs (../shared/vendor/ beside the repository on our machines). */
export const VENDOR_DIR = process.env.WOOM_VENDOR_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'vendor');
/** Where scripts/fetch-wordpress.sh puts the same tarballs on a machine without VENDOR_DIR. */
export const DOWNLOAD_DIR = join(homedir(), '.cache', 'woom', 'vendor');
/**
 * The WooCommerce stand-in stays for one thing the real plugin cannot be made to show: a WooCommerce
 * without Action Scheduler (the bridge's WP-Cron fallback). Real WooCommerce always bundles it.
 */
export const STANDIN_DIR = join(REPO_ROOT, 'tests', 'fixtures', 'woocommerce-standin');
export const BRIDGE_PLUGIN = 'woocommerce-order-monitor/woocommerce-order-monitor.php';
export const WOOCOMMERCE_PLUGIN = 'woocommerce/woocommerce.php';
/**
 * PHP's options for the bridge's coverage: with WOOM_PHP_COVERAGE_DIR set (`npm test` sets it), pcov
 * records the lines of wp-bridge/ only and scripts/lib/php-coverage.php writes them there; otherwise pcov,
 * where Debian's php-pcov is installed, stays off so that it costs nothing. PHP ignores these options when
 * pcov is not installed.
 */
function phpCoverageArgs(): string[] {
  if (!process.env.WOOM_PHP_COVERAGE_DIR) return ['-d', 'pcov.enabled=0'];
  // auto_prepend_file serves the PHP scripts (`php()`); the router requires the same file for php -S.
  return ['-d', 'pcov.enabled=1', '-d', `pcov.directory=${realpathSync(BRIDGE_DIR)}`, '-d', `auto_prepend_file=${join(REPO_ROOT, 'scripts', 'lib', 'php-coverage.php')}`];
}

/** The bridge's tab under WooCommerce -> Settings. */
export const TAB_PATH = '/wp-admin/admin.php?page=wc-settings&tab=order-monitor';
const DB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;

export interface WordPressOptions {
  /** WOOM_RETRY_BASE_SECONDS: the bridge's first back-off (default: the plugin's 60 s). */
  retryBaseSeconds?: number;
  /** WOOM_RETRY_MAX_SECONDS: the bridge's back-off cap (default: the plugin's 15 minutes). */
  retryMaxSeconds?: number;
  /** Activate the bridge (default true). */
  activateBridge?: boolean;
  /** Install and activate WooCommerce (default true); false gives a WordPress without WooCommerce. */
  woocommerce?: boolean;
  /**
   * false: the WooCommerce stand-in without Action Scheduler instead of the real WooCommerce, the only
   * way to see the bridge's WP-Cron fallback (default true: the real WooCommerce).
   */
  actionScheduler?: boolean;
  /** WooCommerce's order storage: HPOS (its default on a new store) or posts (default true). */
  hpos?: boolean;
  /** The port `php -S` listens on (default: a free one). */
  port?: number;
}

/** How a site's database starts: installed from scratch, or loaded from the machine's template dump. */
interface InstallMode {
  template?: string;
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

export interface OrderSpec {
  status?: string;
  total?: string;
  currency?: string;
  payment_method?: string;
  created_via?: string;
  count?: number;
}

export interface RestKeys {
  consumer_key: string;
  consumer_secret: string;
}

export interface WordPressHandle {
  url: string;
  port: number;
  dbName: string;
  contentDir: string;
  admin: { login: string; password: string };
  /** A logged-in user without manage_woocommerce (role editor). */
  editor: { login: string; password: string };
  /** The WooCommerce running: the real one, or the stand-in (no Action Scheduler), or none. */
  woocommerce: 'real' | 'standin' | 'none';
  /** The virtual product (price 19.90) a visitor can buy through the Store API; 0 without WooCommerce. */
  productId: number;
  /** Runs PHP inside this WordPress (wp-load.php included) and returns what it printed. */
  php(code: string): Promise<string>;
  /** The stand-in's REST routes (`woocommerce-standin/v1/...`); only with `actionScheduler: false`. */
  standin<T>(method: 'GET' | 'POST', route: string, body?: Record<string, unknown>): Promise<HttpAnswer<T>>;
  /**
   * Programmatic orders the way extensions and imports make them: `wc_create_order()` (saved at once,
   * still empty: `woocommerce_new_order` fires here), then its total, currency and payment method set and
   * saved again.
   */
  createOrders(o?: OrderSpec): Promise<number[]>;
  setOrderStatus(id: number, status: string): Promise<StandinOrder>;
  /** A visitor's order through the Store API (the block checkout): cart, add-item, checkout with `cod`. */
  placeStoreApiOrder(o?: { quantity?: number }): Promise<number>;
  /**
   * An order made in wp-admin by the administrator: "Add order" opened (under HPOS this saves an
   * auto-draft), a product line added, and the form saved with the given status, all over HTTP.
   */
  createAdminOrder(o?: { status?: string }): Promise<number>;
  /** Read-only REST keys, created through WooCommerce's own admin AJAX action as its Keys screen does. */
  createRestKeys(o?: { permissions?: 'read' | 'write' | 'read_write' }): Promise<RestKeys>;
  /** GET (or POST a form to) a wp-admin URL as the logged-in administrator; returns the body. */
  adminRequest(path: string, form?: Record<string, string>): Promise<HttpAnswer<string>>;
  /** Runs Action Scheduler's due actions now, as `wp action-scheduler run` from a real cron would. */
  runQueue(): Promise<{ ran: number; failed: number }>;
  /** GET /wp-cron.php, as the real cron a low-traffic store needs would. */
  runWpCron(): Promise<number>;
  /** Saves the bridge's connection options directly (the UI path is tested separately). */
  connectBridge(c: { sidecarUrl: string; storeId: string; secret: string }): Promise<void>;
  /** Rows still in the bridge's outbox, by state. */
  outboxCounts(): Promise<{ pending: number; dead: number }>;
  /** The events waiting in the outbox, oldest first (what the bridge will send). */
  outboxEvents(): Promise<Array<Record<string, unknown>>>;
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

/** The last JSON object a PHP snippet printed (WordPress may print notices before it). */
function lastJson<T>(output: string, what: string): T {
  const start = output.lastIndexOf('\n{') >= 0 ? output.lastIndexOf('\n{') + 1 : output.indexOf('{');
  try {
    return JSON.parse(output.slice(start)) as T;
  } catch {
    throw new Error(`${what}: not JSON: ${output.slice(0, 2000)}`);
  }
}

async function waitForHttp(url: string, timeoutMs: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`php -S exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      return;
    } catch (error) {
      lastError = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`WordPress did not answer at ${url} within ${timeoutMs} ms: ${lastError}`);
}

/** The vendored tarballs, or the downloaded ones; fetched by scripts/fetch-wordpress.sh when neither is there. */
async function tarballs(): Promise<{ wordpress: string; woocommerce: string }> {
  const names = { wordpress: `wordpress-${WORDPRESS_VERSION}.tar.gz`, woocommerce: `woocommerce-${WOOCOMMERCE_VERSION}.tar.gz` };
  for (const dir of [VENDOR_DIR, DOWNLOAD_DIR]) {
    if (existsSync(join(dir, names.wordpress)) && existsSync(join(dir, names.woocommerce))) {
      return { wordpress: join(dir, names.wordpress), woocommerce: join(dir, names.woocommerce) };
    }
  }
  await run('bash', [join(REPO_ROOT, 'scripts', 'fetch-wordpress.sh'), DOWNLOAD_DIR], { timeout: 600_000 });
  return { wordpress: join(DOWNLOAD_DIR, names.wordpress), woocommerce: join(DOWNLOAD_DIR, names.woocommerce) };
}

const DISPATCHING_CONFIG = `<?php
// Written by scripts/lib/wordpress.ts: this WordPress tree is shared by every test site on the machine;
// each site's own configuration (database, URL, wp-content) is named by its router or PHP script.
$woom_site_config = isset( $_SERVER['WOOM_SITE_CONFIG'] ) ? (string) $_SERVER['WOOM_SITE_CONFIG'] : '';
if ( '' === $woom_site_config || ! is_file( $woom_site_config ) ) {
	header( 'HTTP/1.1 500 Internal Server Error' );
	exit( "No WOOM test site configuration.\\n" );
}
require $woom_site_config;
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`;

/**
 * WordPress with WooCommerce in its plugins folder, unpacked once per machine and version; concurrent
 * callers each unpack into their own folder and the first rename wins.
 */
export async function wordPressTree(): Promise<string> {
  const root = join(tmpdir(), `woom-wordpress-${WORDPRESS_VERSION}-woocommerce-${WOOCOMMERCE_VERSION}`);
  const core = join(root, 'wordpress');
  if (existsSync(join(root, '.ready'))) return core;
  const files = await tarballs();
  const staging = await mkdtemp(join(tmpdir(), 'woom-wordpress-unpack-'));
  try {
    await run('tar', ['-xzf', files.wordpress, '-C', staging], { timeout: 300_000 });
    await run('tar', ['-xzf', files.woocommerce, '-C', join(staging, 'wordpress')], { timeout: 300_000 });
    if (!existsSync(join(staging, 'wordpress', 'wp-content', 'plugins', 'woocommerce', 'woocommerce.php'))) {
      throw new Error(`${files.woocommerce} did not hold wp-content/plugins/woocommerce/woocommerce.php`);
    }
    await writeFile(join(staging, 'wordpress', 'wp-config.php'), DISPATCHING_CONFIG);
    await writeFile(join(staging, '.ready'), `WordPress ${WORDPRESS_VERSION}, WooCommerce ${WOOCOMMERCE_VERSION}\n`);
    await rename(staging, root).catch(async (error: unknown) => {
      if (!existsSync(join(root, '.ready'))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return core;
}

function routerSource(core: string, siteConfig: string, contentDir: string): string {
  return `<?php
// Router for php -S: the shared WordPress tree reads this site's configuration from WOOM_SITE_CONFIG;
// /wp-content/ is this site's own directory.
// php -S runs no auto_prepend_file before a router: the bridge's coverage starts here (ignored when off).
if (getenv('WOOM_PHP_COVERAGE_DIR') !== false) { require ${phpString(join(REPO_ROOT, 'scripts', 'lib', 'php-coverage.php'))}; }
$_SERVER['WOOM_SITE_CONFIG'] = ${phpString(siteConfig)};
$root = ${phpString(core)};
$content = ${phpString(contentDir)};
$path = rawurldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (str_contains($path, '..')) { http_response_code(400); return true; }
$types = ['css' => 'text/css', 'js' => 'application/javascript', 'json' => 'application/json', 'png' => 'image/png', 'svg' => 'image/svg+xml',
  'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'gif' => 'image/gif', 'webp' => 'image/webp', 'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ico' => 'image/x-icon'];
if (str_starts_with($path, '/wp-content/')) {
  $file = $content . substr($path, strlen('/wp-content'));
  if (is_file($file) && !str_ends_with($file, '.php')) {
    $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
    header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
    readfile($file);
    return true;
  }
  if (!(is_file($file) && str_ends_with($file, '.php'))) {
    http_response_code(404);
    return true;
  }
  $_SERVER['SCRIPT_NAME'] = $path;
  $_SERVER['PHP_SELF'] = $path;
  $_SERVER['SCRIPT_FILENAME'] = $file;
  chdir(dirname($file));
  require $file;
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

function configSource(o: { dbName: string; contentDir: string; url: string; logFile: string; standinToken: string; options: WordPressOptions }): string {
  const salts = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT']
    .map((k) => `define('${k}', ${phpString(secret(32))});`)
    .join('\n');
  const lines = [
    '<?php',
    '// Written by scripts/lib/wordpress.ts for one test WordPress; removed when it stops.',
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
    `define('WP_ENVIRONMENT_TYPE', 'local');`,
    `define('WOOM_STANDIN_TOKEN', ${phpString(o.standinToken)});`,
    salts,
  ];
  if (o.options.retryBaseSeconds !== undefined) lines.push(`define('WOOM_RETRY_BASE_SECONDS', ${Math.trunc(o.options.retryBaseSeconds)});`);
  if (o.options.retryMaxSeconds !== undefined) lines.push(`define('WOOM_RETRY_MAX_SECONDS', ${Math.trunc(o.options.retryMaxSeconds)});`);
  if (o.options.actionScheduler === false) {
    lines.push(`define('WP_DEFAULT_THEME', 'woom-blank');`);
  }
  lines.push(`$table_prefix = 'wp_';`);
  return lines.join('\n') + '\n';
}

// WooCommerce's own e-mails need a sendmail binary the test machine has not got; the bridge sends none.
const MAIL_MU_PLUGIN = `<?php
// Written by scripts/lib/wordpress.ts: no mail leaves a test site.
add_filter( 'pre_wp_mail', '__return_true' );
`;

/** A cookie jar of one logged-in browser, enough for wp-admin pages and admin-ajax.php. */
class AdminSession {
  private cookies = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly user: { login: string; password: string },
  ) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq > 0) this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }

  private header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async logIn(): Promise<void> {
    this.cookies.set('wordpress_test_cookie', 'WP%20Cookie%20check');
    const res = await fetch(`${this.url}/wp-login.php`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: this.header() },
      body: new URLSearchParams({ log: this.user.login, pwd: this.user.password, testcookie: '1', redirect_to: `${this.url}/wp-admin/` }),
      signal: AbortSignal.timeout(120_000),
    });
    this.remember(res);
    await res.arrayBuffer();
    if (res.status !== 302 || ![...this.cookies.keys()].some((k) => k.startsWith('wordpress_logged_in_'))) {
      throw new Error(`logging in as ${this.user.login} failed: HTTP ${res.status}`);
    }
  }

  /** Follows redirects itself so every Set-Cookie on the way is kept. */
  async request(path: string, form?: Record<string, string>): Promise<HttpAnswer<string> & { location: string }> {
    if (this.cookies.size <= 1) await this.logIn();
    let target = path.startsWith('http') ? path : `${this.url}${path}`;
    let init: RequestInit = form
      ? { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) }
      : { method: 'GET' };
    for (let hop = 0; hop < 5; hop++) {
      const res = await fetch(target, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), Cookie: this.header() }, signal: AbortSignal.timeout(180_000) });
      this.remember(res);
      const body = await res.text();
      const next = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && next) {
        target = new URL(next, target).toString();
        init = { method: 'GET' };
        continue;
      }
      return { status: res.status, body, location: target };
    }
    throw new Error(`too many redirects from ${path}`);
  }
}

export async function startWordPress(options: WordPressOptions = {}): Promise<WordPressHandle> {
  const withWooCommerce = options.woocommerce !== false;
  const useStandin = withWooCommerce && options.actionScheduler === false;
  if (!withWooCommerce || useStandin) return startSite(options, {});
  return startSite(options, { template: await siteTemplate() });
}

/**
 * A site with WooCommerce installed and set up (the slow part: about a minute on a busy 2-core machine)
 * is made once per machine and dumped; every site after loads the dump into its own database. Bump
 * TEMPLATE_REVISION when what the template holds changes.
 */
const TEMPLATE_REVISION = 2;
export async function siteTemplate(): Promise<string> {
  const core = await wordPressTree();
  const file = join(dirname(core), `site-template-${TEMPLATE_REVISION}.sql`);
  if (existsSync(file)) return file;
  const site = await startSite({ activateBridge: false }, {});
  try {
    const partial = `${file}.${randomBytes(4).toString('hex')}`;
    await run('bash', ['-c', 'mariadb-dump -h 127.0.0.1 -u root --single-transaction --skip-comments "$1" > "$2"', 'dump', site.dbName, partial], { timeout: 300_000 });
    await rename(partial, file);
  } finally {
    await site.stop();
  }
  return file;
}

async function startSite(options: WordPressOptions, mode: InstallMode): Promise<WordPressHandle> {
  const withWooCommerce = options.woocommerce !== false;
  const useStandin = withWooCommerce && options.actionScheduler === false;
  const core = await wordPressTree();
  const id = randomBytes(5).toString('hex');
  const dbName = `woom_wp_${id}`;
  const dir = await mkdtemp(join(tmpdir(), 'woom-wp-'));
  const siteConfig = join(dir, 'wp-config-site.php');
  const contentDir = join(dir, 'wp-content');
  const logFile = join(dir, 'debug.log');
  const serverLog: string[] = [];
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const standinToken = secret();
  const admin = { login: 'admin', password: secret(12) };
  const editor = { login: 'editor', password: secret(12) };
  const session = new AdminSession(url, admin);

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
    const server = spawn('php', [...phpCoverageArgs(), '-S', `127.0.0.1:${port}`, '-t', core, router], {
      cwd: core,
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
          'mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS \\`$3\\`"; rm -rf -- "$4"',
        'woom-wp-watchdog',
        String(process.pid),
        String(server.pid),
        dbName,
        dir,
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.unref();
    return server;
  };

  /** Stops `php -S` (and its workers); the database and files stay. */
  const killServer = async (): Promise<void> => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((r) => proc!.once('exit', () => r()));
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      proc.kill('SIGTERM');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null && proc.signalCode === null) {
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
    // A PHP worker may still be writing its log as it exits.
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };

  try {
    await db.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);

    for (const sub of ['plugins', 'mu-plugins', 'uploads']) await mkdir(join(contentDir, sub), { recursive: true });
    await symlink(BRIDGE_DIR, join(contentDir, 'plugins', 'woocommerce-order-monitor'));
    await writeFile(join(contentDir, 'mu-plugins', 'woom-test-mail.php'), MAIL_MU_PLUGIN);
    if (useStandin) {
      // A plugin named woocommerce, so WordPress 7's "Requires Plugins: woocommerce" lets the bridge activate.
      await mkdir(join(contentDir, 'plugins', 'woocommerce'), { recursive: true });
      await writeFile(
        join(contentDir, 'plugins', 'woocommerce', 'woocommerce.php'),
        `<?php\n/**\n * Plugin Name: WooCommerce (stand-in without Action Scheduler, tests only)\n */\nrequire ${phpString(join(STANDIN_DIR, 'woocommerce-standin.php'))};\n`,
      );
      await mkdir(join(contentDir, 'themes', 'woom-blank'), { recursive: true });
      await writeFile(join(contentDir, 'themes/woom-blank/style.css'), '/*\nTheme Name: WOOM blank (tests)\n*/\n');
      await writeFile(join(contentDir, 'themes/woom-blank/index.php'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>test store</title></head><body <?php body_class(); ?>><p>test store</p></body></html>\n');
    } else {
      // The default block theme, as a new store has it.
      await symlink(join(core, 'wp-content', 'themes'), join(contentDir, 'themes'));
      if (withWooCommerce) await symlink(join(core, 'wp-content', 'plugins', 'woocommerce'), join(contentDir, 'plugins', 'woocommerce'));
    }

    await writeFile(siteConfig, configSource({ dbName, contentDir, url, logFile, standinToken, options }), { mode: 0o640 });
    await writeFile(router, routerSource(core, siteConfig, contentDir));

    proc = spawnServer();
    await waitForHttp(`${url}/wp-login.php`, 30_000, proc);

    if (mode.template) {
      await run('bash', ['-c', 'mariadb -h 127.0.0.1 -u root "$1" < "$2"', 'load', dbName, mode.template], { timeout: 300_000 });
    } else {
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
        signal: AbortSignal.timeout(180_000),
      });
      const installPage = await install.text();
      if (install.status !== 200 || !/Success!/.test(installPage)) {
        throw new Error(`WordPress install failed (${install.status}): ${installPage.slice(0, 500)}`);
      }
    }

    const handle: WordPressHandle = {
      url,
      port,
      dbName,
      contentDir,
      admin,
      editor,
      woocommerce: !withWooCommerce ? 'none' : useStandin ? 'standin' : 'real',
      productId: 0,
      async php(code: string): Promise<string> {
        const script = join(dir, `eval-${randomBytes(4).toString('hex')}.php`);
        await writeFile(
          script,
          `<?php
$_SERVER['HTTP_HOST'] = '127.0.0.1:${port}';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['WOOM_SITE_CONFIG'] = ${phpString(siteConfig)};
define('WP_USE_THEMES', false);
require ${phpString(join(core, 'wp-load.php'))};
${code}
`,
        );
        try {
          const { stdout } = await run('php', [...phpCoverageArgs(), '-d', 'memory_limit=512M', script], { cwd: core, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 });
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
        if (useStandin) {
          const res = await handle.standin<{ ids: number[] }>('POST', '/orders', o as Record<string, unknown>);
          if (res.status !== 201) throw new Error(`creating orders: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          return res.body.ids;
        }
        const count = Math.max(1, Math.trunc(o.count ?? 1));
        const out = await handle.php(`
$ids = [];
for ($i = 0; $i < ${count}; $i++) {
  $order = wc_create_order(['status' => ${phpString(o.status ?? 'pending')}, 'created_via' => ${phpString(o.created_via ?? 'checkout')}]);
  if (is_wp_error($order)) { echo $order->get_error_message(); exit(1); }
  $order->set_currency(${phpString(o.currency ?? 'EUR')});
  $order->set_payment_method(${phpString(o.payment_method ?? 'cod')});
  $order->set_billing_email('customer@store.test');
  $order->set_total(${phpString(o.total ?? '19.90')});
  $order->save();
  $ids[] = $order->get_id();
}
echo "\\n" . wp_json_encode(['ids' => $ids]);
`);
        return lastJson<{ ids: number[] }>(out, 'creating orders').ids;
      },
      async setOrderStatus(orderId: number, status: string): Promise<StandinOrder> {
        if (useStandin) {
          const res = await handle.standin<StandinOrder>('POST', `/orders/${orderId}/status`, { status });
          if (res.status !== 200) throw new Error(`changing order ${orderId}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          return res.body;
        }
        const out = await handle.php(`
$order = wc_get_order(${Math.trunc(orderId)});
if (!$order) { echo 'no order ${Math.trunc(orderId)}'; exit(1); }
$order->update_status(${phpString(status)});
$created = $order->get_date_created();
echo "\\n" . wp_json_encode(['id' => $order->get_id(), 'status' => $order->get_status(), 'total' => (string) $order->get_total(), 'currency' => $order->get_currency(),
  'payment_method' => $order->get_payment_method(), 'created_via' => $order->get_created_via(), 'date_created' => $created ? $created->format(DATE_ATOM) : '']);
`);
        return lastJson<StandinOrder>(out, `changing order ${orderId}`);
      },
      async placeStoreApiOrder(o = {}): Promise<number> {
        const api = (route: string) => `${url}/?rest_route=${encodeURIComponent(`/wc/store/v1${route}`)}`;
        const cart = await fetch(api('/cart'), { signal: AbortSignal.timeout(120_000) });
        await cart.arrayBuffer();
        const headers = {
          'Content-Type': 'application/json',
          Nonce: cart.headers.get('nonce') ?? '',
          'Cart-Token': cart.headers.get('cart-token') ?? '',
        };
        if (!headers.Nonce || !headers['Cart-Token']) throw new Error(`the Store API cart gave no Nonce/Cart-Token (HTTP ${cart.status})`);
        const add = await fetch(api('/cart/add-item'), { method: 'POST', headers, body: JSON.stringify({ id: handle.productId, quantity: o.quantity ?? 1 }), signal: AbortSignal.timeout(120_000) });
        if (add.status !== 201) throw new Error(`Store API add-item: HTTP ${add.status} ${await add.text()}`);
        await add.arrayBuffer();
        const address = { first_name: 'Ada', last_name: 'Visitor', address_1: '1 High Street', city: 'Berlin', postcode: '10115', country: 'DE', email: 'visitor@store.test', phone: '030123456' };
        const checkout = await fetch(api('/checkout'), {
          method: 'POST',
          headers,
          body: JSON.stringify({ billing_address: address, shipping_address: address, payment_method: 'cod' }),
          signal: AbortSignal.timeout(120_000),
        });
        const text = await checkout.text();
        if (checkout.status !== 200) throw new Error(`Store API checkout: HTTP ${checkout.status} ${text.slice(0, 1000)}`);
        return (JSON.parse(text) as { order_id: number }).order_id;
      },
      async createAdminOrder(o = {}): Promise<number> {
        return createAdminOrder(handle, session, o.status ?? 'processing');
      },
      async createRestKeys(o = {}): Promise<RestKeys> {
        const page = await session.request('/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys&create-key=1');
        const nonce = /"update_api_nonce":"([0-9a-f]+)"/.exec(page.body)?.[1];
        if (!nonce) throw new Error(`no update_api_nonce on WooCommerce's Keys screen (HTTP ${page.status})`);
        const userId = (await handle.php(`echo get_user_by('login', ${phpString(admin.login)})->ID;`)).trim();
        const res = await session.request('/wp-admin/admin-ajax.php', {
          action: 'woocommerce_update_api_key',
          security: nonce,
          key_id: '0',
          description: 'WOOM recovery (tests)',
          user: userId,
          permissions: o.permissions ?? 'read',
        });
        const answer = JSON.parse(res.body) as { success: boolean; data: RestKeys & { message?: string } };
        if (!answer.success) throw new Error(`creating REST keys: ${res.body.slice(0, 500)}`);
        return { consumer_key: answer.data.consumer_key, consumer_secret: answer.data.consumer_secret };
      },
      async adminRequest(path: string, form?: Record<string, string>): Promise<HttpAnswer<string>> {
        const res = await session.request(path, form);
        return { status: res.status, body: res.body };
      },
      async runQueue(): Promise<{ ran: number; failed: number }> {
        if (useStandin) throw new Error('the WooCommerce stand-in has no Action Scheduler: run WP-Cron (runWpCron) instead');
        // What `wp action-scheduler run` does: the queue runner's batch loop, in a process of its own.
        const out = await handle.php(`
$before = (int) $GLOBALS['wpdb']->get_var("SELECT COUNT(*) FROM {$GLOBALS['wpdb']->prefix}actionscheduler_actions WHERE status = 'failed'");
$ran = ActionScheduler::runner()->run('WP CLI');
$after = (int) $GLOBALS['wpdb']->get_var("SELECT COUNT(*) FROM {$GLOBALS['wpdb']->prefix}actionscheduler_actions WHERE status = 'failed'");
echo "\\n" . wp_json_encode(['ran' => (int) $ran, 'failed' => $after - $before]);
`);
        return lastJson<{ ran: number; failed: number }>(out, 'running the queue');
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
      async outboxEvents(): Promise<Array<Record<string, unknown>>> {
        const [rows] = await db.query(`SELECT payload FROM \`${dbName}\`.wp_woom_outbox ORDER BY id`);
        return (rows as Array<{ payload: string }>).map((r) => JSON.parse(r.payload) as Record<string, unknown>);
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
        await waitForHttp(`${url}/wp-login.php`, 30_000, proc);
      },
      stop,
    };

    if (mode.template) {
      // The template's users keep their names; each site gets its own passwords.
      const made = lastJson<{ product: number }>(
        await handle.php(`
wp_set_password(${phpString(admin.password)}, get_user_by('login', ${phpString(admin.login)})->ID);
wp_set_password(${phpString(editor.password)}, get_user_by('login', ${phpString(editor.login)})->ID);
${options.hpos === false ? "update_option('woocommerce_custom_orders_table_enabled', 'no'); update_option('woocommerce_custom_orders_table_data_sync_enabled', 'no');" : ''}
$products = wc_get_products(['limit' => 1, 'orderby' => 'ID', 'order' => 'ASC', 'return' => 'ids']);
echo "\\n" . wp_json_encode(['product' => (int) ($products[0] ?? 0)]);
`),
        'preparing the site from its template',
      );
      handle.productId = made.product;
    } else {
      const users = await handle.php(`
  require_once ABSPATH . 'wp-admin/includes/plugin.php';
  $editor = wp_insert_user(['user_login' => ${phpString(editor.login)}, 'user_pass' => ${phpString(editor.password)}, 'user_email' => 'editor@store.test', 'role' => 'editor']);
  if (is_wp_error($editor)) { echo 'editor: ' . $editor->get_error_message(); exit(1); }
  ${withWooCommerce ? `$r = activate_plugin(${phpString(WOOCOMMERCE_PLUGIN)}); if (is_wp_error($r)) { echo 'activate WooCommerce: ' . $r->get_error_message(); exit(1); }` : ''}
  echo 'ok';
  `);
      if (!users.includes('ok')) throw new Error(`WordPress setup went wrong: ${users}`);
      if (withWooCommerce && !useStandin) {
        // WooCommerce finishes its install (and switches HPOS on) on the first logged-in wp-admin request.
        const first = await session.request('/wp-admin/');
        if (first.status !== 200) throw new Error(`the first wp-admin request answered ${first.status}`);
        const store = await handle.php(`
  update_option('woocommerce_coming_soon', 'no');
  update_option('woocommerce_currency', 'EUR');
  update_option('woocommerce_default_country', 'DE:BE');
  update_option('woocommerce_allow_tracking', 'no');
  // Pretty permalinks, as nearly every store has them (/wp-json/, /cart/, /checkout/); soft flush: no .htaccess.
  update_option('permalink_structure', '/%postname%/');
  flush_rewrite_rules(false);
  update_option('woocommerce_cod_settings', ['enabled' => 'yes', 'title' => 'Cash on delivery', 'enable_for_methods' => [], 'enable_for_virtual' => 'yes']);
  ${options.hpos === false ? "update_option('woocommerce_custom_orders_table_enabled', 'no'); update_option('woocommerce_custom_orders_table_data_sync_enabled', 'no');" : ''}
  $product = new WC_Product_Simple();
  $product->set_name('Gift card');
  $product->set_regular_price('19.90');
  $product->set_virtual(true);
  $product->set_status('publish');
  $product->save();
  echo "\\n" . wp_json_encode(['product' => $product->get_id(), 'hpos' => \\Automattic\\WooCommerce\\Utilities\\OrderUtil::custom_orders_table_usage_is_enabled()]);
  `);
        const made = lastJson<{ product: number; hpos: boolean }>(store, 'setting the store up');
        if (made.hpos !== (options.hpos !== false)) throw new Error(`HPOS is ${made.hpos ? 'on' : 'off'}, wanted ${options.hpos === false ? 'off' : 'on'}`);
        handle.productId = made.product;
      }
    }
    // The bridge is activated in a request of its own, with WooCommerce already loaded, as `wp plugin
    // activate` does; no wp-admin page is opened after it.
    const setup = await handle.php(`
require_once ABSPATH . 'wp-admin/includes/plugin.php';
${options.activateBridge === false ? '' : `$r = activate_plugin(${phpString(BRIDGE_PLUGIN)}); if (is_wp_error($r)) { echo 'activate: ' . $r->get_error_message(); exit(1); }`}
$editor = get_user_by('login', ${phpString(editor.login)});
echo "\\n" . wp_json_encode(['admin_can' => user_can(get_user_by('login', ${phpString(admin.login)}), 'manage_woocommerce'), 'editor_can' => user_can($editor, 'manage_woocommerce'), 'active' => is_plugin_active(${phpString(BRIDGE_PLUGIN)})]);
`);
    const state = lastJson<{ admin_can: boolean; editor_can: boolean; active: boolean }>(setup, 'activating the bridge');
    if (state.admin_can !== withWooCommerce || state.editor_can || state.active !== (options.activateBridge !== false)) {
      throw new Error(`WordPress setup went wrong: ${setup}`);
    }
    return handle;
  } catch (error) {
    const debug = existsSync(logFile) ? await readFile(logFile, 'utf8').catch(() => '') : '';
    await stop();
    throw new Error(`${String(error)}\n${serverLog.join('').slice(-4000)}\n${debug.slice(-4000)}`);
  }
}

/**
 * wp-admin's "Add order": opening the screen (under HPOS this saves an auto-draft order), adding a product
 * line through the same AJAX action the screen's button calls, then saving the form with a status.
 */
async function createAdminOrder(wp: WordPressHandle, session: AdminSession, status: string): Promise<number> {
  const hpos = (await wp.php("echo \\Automattic\\WooCommerce\\Utilities\\OrderUtil::custom_orders_table_usage_is_enabled() ? 'yes' : 'no';")).trim() === 'yes';
  const screen = await session.request(hpos ? '/wp-admin/admin.php?page=wc-orders&action=new' : '/wp-admin/post-new.php?post_type=shop_order');
  if (screen.status !== 200) throw new Error(`"Add order" answered ${screen.status}`);
  const html = screen.body;
  const field = (name: string): string | undefined =>
    new RegExp(`name=["']${name.replace(/[[\]]/g, '\\$&')}["'][^>]*value=["']([^"']*)["']`).exec(html)?.[1] ??
    new RegExp(`value=["']([^"']*)["'][^>]*name=["']${name.replace(/[[\]]/g, '\\$&')}["']`).exec(html)?.[1];
  const orderId = Number(hpos ? (field('order_id') ?? field('post_ID') ?? /[?&]id=(\d+)/.exec(screen.location)?.[1]) : field('post_ID'));
  if (!Number.isInteger(orderId) || orderId <= 0) throw new Error(`no order id on the "Add order" screen`);
  const itemsNonce = /"order_item_nonce":"([0-9a-f]+)"/.exec(html)?.[1];
  if (!itemsNonce) throw new Error('no order_item_nonce on the "Add order" screen');
  const added = await session.request('/wp-admin/admin-ajax.php', {
    action: 'woocommerce_add_order_item',
    order_id: String(orderId),
    security: itemsNonce,
    'data[0][id]': String(wp.productId),
    'data[0][qty]': '1',
  });
  if (!/"success":true/.test(added.body)) throw new Error(`adding a line to the admin order: ${added.body.slice(0, 500)}`);
  const form: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type=["']hidden["'][^>]*>/g)) {
    const name = /name=["']([^"']+)["']/.exec(m[0])?.[1];
    const value = /value=["']([^"']*)["']/.exec(m[0])?.[1] ?? '';
    if (name) form[name] = value;
  }
  Object.assign(form, {
    order_status: `wc-${status}`,
    _payment_method: 'cod',
    _billing_email: 'phone-order@store.test',
    _billing_first_name: 'Phone',
    _billing_last_name: 'Order',
    _billing_country: 'DE',
    customer_user: '',
    save: 'Create',
  });
  if (!hpos) Object.assign(form, { post_type: 'shop_order', action: 'editpost', original_post_status: 'auto-draft', post_status: 'publish' });
  const target = hpos ? `/wp-admin/admin.php?page=wc-orders&action=edit&id=${orderId}` : '/wp-admin/post.php';
  const saved = await session.request(target, form);
  if (saved.status !== 200) throw new Error(`saving the admin order answered ${saved.status}`);
  return orderId;
}

