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
    wp = await startWordPress({ woocommerce: false });
    browser = await launchChromium();
  }, 120_000);

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
  }, 60_000);
});

describe('with WooCommerce', () => {
  let wp: WordPressHandle;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    wp = await startWordPress();
    browser = await launchChromium();
    page = await newLocalPage(browser);
    await logIn(page, wp, wp.admin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.stop();
  });

  it('declares HPOS compatibility and registers its recurring drain and heartbeat with Action Scheduler', async () => {
    await page.goto(`${wp.url}/wp-admin/`);
    const state = JSON.parse(
      await wp.php(`
        echo wp_json_encode([
          'hpos' => \\Automattic\\WooCommerce\\Utilities\\FeaturesUtil::get_compatible_plugins_for_feature('custom_order_tables'),
          'drain' => as_next_scheduled_action('woom_drain_outbox', [], 'woom'),
          'heartbeat' => as_next_scheduled_action('woom_heartbeat', [], 'woom'),
          'schema' => get_option('woom_db_version'),
        ]);`),
    ) as { hpos: Record<string, boolean>; drain: number | false; heartbeat: number | false; schema: string };
    expect(state.hpos).toEqual({ 'woocommerce-order-monitor/woocommerce-order-monitor.php': true });
    expect(state.drain).toEqual(expect.any(Number));
    expect(state.heartbeat).toEqual(expect.any(Number));
    expect(state.schema).toBe('1');
  }, 60_000);

  it('warns while not connected, when the outbox holds more than 1,000 events, and when nothing was acknowledged for 30 minutes', async () => {
    await wp.createOrders({ status: 'pending', count: 1001 });
    expect(await wp.outboxCounts()).toEqual({ pending: 1001, dead: 0 });
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-not-configured').count()).toBe(1);
    expect(await page.locator('#woom-notice-backlog').innerText()).toContain('1001 events');

    // Connected to a sidecar that is not there, last acknowledgement 31 minutes ago.
    await wp.connectBridge({ sidecarUrl: 'http://127.0.0.1:9', storeId: 'st_gone', secret: 'not-a-real-secret' });
    await wp.php(`update_option('woom_delivery', ['last_ack_at' => time() - 31 * MINUTE_IN_SECONDS, 'last_error' => 'unreachable: connection refused']);`);
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-stale').innerText()).toMatch(/has not acknowledged events for 31 mins/);
    await page.screenshot({ path: `${REPO_ROOT}/test-artifacts/wordpress/20-notices.png`, fullPage: true });

    await wp.php(`update_option('woom_delivery', ['last_ack_at' => time() - 29 * MINUTE_IN_SECONDS]);`);
    await page.goto(`${wp.url}/wp-admin/`);
    expect(await page.locator('#woom-notice-stale').count()).toBe(0);
  }, 120_000);

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
      $before = count($wpdb->get_col("SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'woom\\_%'"));
      deactivate_plugins('woocommerce-order-monitor/woocommerce-order-monitor.php');
      uninstall_plugin('woocommerce-order-monitor/woocommerce-order-monitor.php');
      echo wp_json_encode([
        'before' => $before,
        'options' => $wpdb->get_col("SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'woom\\\\_%' OR option_name LIKE '\\\\_transient\\\\_woom\\\\_%'"),
        'table' => $wpdb->get_var("SHOW TABLES LIKE '{$wpdb->prefix}woom_outbox'"),
        'actions' => (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}actionscheduler_actions WHERE hook LIKE 'woom\\\\_%' AND status = 'pending'"),
        'cron' => (bool) wp_next_scheduled('woom_drain_outbox'),
      ]);`);
    const state = JSON.parse(out.slice(out.indexOf('{'))) as { before: number; options: string[]; table: string | null; actions: number; cron: boolean };
    expect(state.before).toBeGreaterThanOrEqual(4);
    expect(state).toEqual({ before: state.before, options: [], table: null, actions: 0, cron: false });
  }, 60_000);
});
