/**
 * The plugin around the edges: without WooCommerce it only shows a notice; the admin notices for a stuck
 * delivery; the schedules it registers; uninstall removes everything it stored.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, launchChromium, logIn, newLocalPage, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

describe('without WooCommerce', () => {
  let wp: WordPressHandle;
  let browser: Browser;

  beforeAll(async () => {
    // WordPress 7 refuses to activate the bridge without WooCommerce (Requires Plugins): the way to get
    // here is WooCommerce deactivated after the bridge was activated.
    wp = await startWordPress();
    await wp.php(`require_once ABSPATH . 'wp-admin/includes/plugin.php'; deactivate_plugins('woocommerce/woocommerce.php', true);`);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.stop();
  });

  it('shows an admin notice and hooks nothing', async () => {
    const page = await newLocalPage(browser);
    await logIn(page, wp, wp.admin);
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-woocommerce-missing').innerText()).toMatch(/needs WooCommerce/);
    const hooks = JSON.parse(
      await wp.php(`echo wp_json_encode([has_action('woocommerce_order_status_changed'), has_action('woocommerce_new_order'), has_filter('woocommerce_get_settings_pages')]);`),
    ) as unknown[];
    expect(hooks).toEqual([false, false, false]);
  }, 180_000);
});

describe('with WooCommerce', () => {
  let wp: WordPressHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wp = await startWordPress();
    browser = await launchChromium();
    page = await newLocalPage(browser);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.stop();
  });

  it('declares HPOS compatibility and schedules its recurring drain and heartbeat when activated as WP-CLI does, with no wp-admin page opened', async () => {
    // startWordPress activates the bridge from a PHP script (as `wp plugin activate`) and opens no wp-admin page after it.
    const state = JSON.parse(
      await wp.php(`
        echo wp_json_encode([
          'hpos' => \\Automattic\\WooCommerce\\Utilities\\FeaturesUtil::get_compatible_plugins_for_feature('custom_order_tables'),
          'drain' => as_next_scheduled_action('woom_drain_outbox', [], 'woom'),
          'heartbeat' => as_next_scheduled_action('woom_heartbeat', [], 'woom'),
          'schema' => get_option('woom_db_version'),
        ]);`),
    ) as { hpos: Record<string, string[]>; drain: number | false; heartbeat: number | false; schema: string };
    expect(state.hpos).toMatchObject({ compatible: ['woocommerce-order-monitor/woocommerce-order-monitor.php'], incompatible: [] });
    expect(state.drain).toEqual(expect.any(Number));
    expect(state.heartbeat).toEqual(expect.any(Number));
    expect(state.schema).toBe('2');
  }, 60_000);

  it('puts a lost schedule back on the next visitor\'s request (no wp-admin), and the health snapshot says "nothing scheduled" meanwhile', async () => {
    // One PHP process (itself a request that heals): the schedule lost, then the snapshot taken.
    const lost = JSON.parse(
      await wp.php(`
as_unschedule_all_actions('woom_drain_outbox', [], 'woom');
as_unschedule_all_actions('woom_heartbeat', [], 'woom');
update_option('woom_schedule_checked_at', time() - 11 * MINUTE_IN_SECONDS);
$h = (new \\Woom\\Bridge\\HealthSnapshot(\\Woom\\Bridge\\Plugin::instance()->scheduler))->collect(time());
echo wp_json_encode(['tasks' => $h['bridge_tasks'], 'late' => $h['action_scheduler_late_seconds']]);`),
    ) as { tasks: string; late: number | null };
    expect(lost).toEqual({ tasks: 'nothing scheduled', late: null });
    const visit = await fetch(`${wp.url}/`);
    expect(visit.status).toBe(200);
    await visit.arrayBuffer();
    const after = JSON.parse(
      await wp.php(`echo wp_json_encode(['drain' => as_next_scheduled_action('woom_drain_outbox', [], 'woom'), 'heartbeat' => as_next_scheduled_action('woom_heartbeat', [], 'woom')]);`),
    ) as { drain: number | false; heartbeat: number | false };
    expect(after).toEqual({ drain: expect.any(Number), heartbeat: expect.any(Number) });
  }, 60_000);

  it('warns while not connected, when the outbox holds more than 1,000 events, and when nothing was acknowledged for 30 minutes', async () => {
    // One real order's event, copied to 1,001 waiting events (1,001 real orders take minutes here).
    await wp.createOrders({ status: 'pending' });
    await wp.php(`global $wpdb; $t = $wpdb->prefix . 'woom_outbox'; for ($i = 0; $i < 1000; $i++) { $wpdb->query("INSERT INTO $t (event_id, payload, state, created_at) SELECT UUID(), payload, state, created_at FROM $t ORDER BY id LIMIT 1"); }`);
    expect(await wp.outboxCounts()).toEqual({ pending: 1001, dead: 0 });
    await logIn(page, wp, wp.admin);
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-not-configured').count()).toBe(1);
    expect(await page.locator('#woom-notice-backlog').innerText()).toContain('1001 order changes are waiting to be sent');

    // Connected to a sidecar that is not there, last acknowledgement 31 minutes ago.
    await wp.connectBridge({ sidecarUrl: 'http://127.0.0.1:9', storeId: 'st_gone', secret: 'not-a-real-secret' });
    await wp.php(`update_option('woom_delivery', ['last_ack_at' => time() - 31 * MINUTE_IN_SECONDS, 'last_error' => 'unreachable: connection refused']);`);
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-stale').innerText()).toMatch(/has not confirmed order changes for 31 min(ute)?s/);
    await page.screenshot({ path: `${REPO_ROOT}/test-artifacts/wordpress/20-notices.png`, fullPage: true });

    await wp.php(`update_option('woom_delivery', ['last_ack_at' => time() - 29 * MINUTE_IN_SECONDS]);`);
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-stale').count()).toBe(0);
  }, 300_000);

  it('backs off exponentially while the sidecar is unreachable, capped at 15 minutes', async () => {
    const delays = JSON.parse(
      await wp.php(`echo wp_json_encode(array_map([\\Woom\\Bridge\\Sender::class, 'backoff_seconds'], [1, 2, 3, 4, 5, 6, 20]));`),
    ) as number[];
    expect(delays).toEqual([60, 120, 240, 480, 900, 900, 900]);
  });

  it('removes its options, its table and its scheduled actions on uninstall', async () => {
    const out = await wp.php(`
      require_once ABSPATH . 'wp-admin/includes/plugin.php';
      global $wpdb;
      \\Woom\\Bridge\\HealthSnapshot::count_fatal_error();
      $before = $wpdb->get_col("SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'woom\\_%'");
      deactivate_plugins('woocommerce-order-monitor/woocommerce-order-monitor.php');
      uninstall_plugin('woocommerce-order-monitor/woocommerce-order-monitor.php');
      echo wp_json_encode([
        'before' => $before,
        'options' => $wpdb->get_col("SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'woom\\\\_%' OR option_name LIKE '\\\\_transient\\\\_woom\\\\_%'"),
        'tables' => $wpdb->get_col("SHOW TABLES LIKE '{$wpdb->prefix}woom\\_%'"),
        'actions' => (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE hook LIKE 'woom\\\\_%' AND status = 'pending'"),
        'cron' => (bool) wp_next_scheduled('woom_drain_outbox'),
      ]);`);
    const state = JSON.parse(out.slice(out.indexOf('{'))) as { before: string[]; options: string[]; tables: string[]; actions: number; cron: boolean };
    expect(state.before).toEqual(expect.arrayContaining(['woom_db_version', 'woom_fatal_errors', 'woom_schedule_checked_at']));
    expect(state).toEqual({ before: state.before, options: [], tables: [], actions: 0, cron: false });
  }, 60_000);
});
