/**
 * "Is my shop OK?" in WordPress (issue 13): for each state of a shop (all good, learning, warning,
 * critical, WordPress silent) the Order Monitor tab opens on the sentence in its colour, visible without
 * scrolling on a desktop and a phone; the dashboard widget, the admin-bar dot and the critical notice
 * show it on other admin pages, to shop managers only; the plugins list leads to the tab. One WordPress
 * site: the bridge is connected to one sidecar store per state in turn.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jargonIn } from '../../helpers/jargon';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../../helpers/signing';
import { BRIDGE_PLUGIN, REPO_ROOT, TAB_PATH, eventually, launchChromium, logIn, newLocalPage, startWordPress, type WordPressHandle } from '../../helpers/wordpress';
import { zoneAwayFromMidnight } from '../../helpers/zones';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'wordpress-status');
const DOCS_IMG = join(REPO_ROOT, 'docs', 'img');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type Kind = 'ok' | 'learning' | 'warning' | 'critical' | 'silent';
/** What each state must say, and the colour of its edge (WordPress's palette, as the stylesheet sets it). */
/**
 * The stores' time zone: one where it is not the first hour of the day now, so that orders of the last 30
 * minutes are all "today" whenever the test runs (in Berlin at 23:05 UTC they were yesterday's).
 */
const ZONE = zoneAwayFromMidnight();

const EXPECTED: Record<Kind, { sentence: RegExp; tone: string; border: string }> = {
  ok: { sentence: /^All good: 3 orders today, the last (just now|\d+ min ago)\.$/, tone: 'green', border: 'rgb(0, 163, 42)' },
  learning: { sentence: /^Learning your shop's rhythm: \d+ days? left/, tone: 'blue', border: 'rgb(34, 113, 177)' },
  warning: { sentence: /^Warning since \d\d:\d\d: 5 of the last 10 orders failed/, tone: 'amber', border: 'rgb(219, 166, 23)' },
  critical: { sentence: /^Critical since \d\d:\d\d: 5 of the last 5 orders failed/, tone: 'red', border: 'rgb(214, 54, 56)' },
  silent: { sentence: /^WordPress has not checked in for \d+ h: orders may be happening that we cannot see\.$/, tone: 'red', border: 'rgb(214, 54, 56)' },
};

describe('status first, everywhere in wp-admin', () => {
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let browser: Browser;
  let page: Page;
  const stores = {} as Record<Kind, StoreCredentials>;

  const send = (store: StoreCredentials, events: unknown[]) => signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events }).expect(202);
  const check = (store: StoreCredentials) => signed(sidecar.app, store, 'POST', `/v1/stores/${store.id}/check`, {});
  const state = async (store: StoreCredentials) => (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/state`)).body as { state: { kind: string; tone: string; sentence: string } };
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const connect = async (kind: Kind) => {
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: stores[kind].id, secret: stores[kind].secret });
    // The admin pages keep the state a minute; a new connection starts afresh, as a test of several states must.
    await wp.php("global $wpdb; $wpdb->query(\"DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\\\_transient\\\\_%woom\\\\_state\\\\_%'\"); wp_cache_flush(); echo 'ok';");
  };

  async function seriousViolations(selector: string): Promise<string[]> {
    await page.addScriptTag({ content: AXE });
    const result = (await page.evaluate(async (include) => (globalThis as unknown as { axe: { run(c: unknown): Promise<unknown> } }).axe.run({ include: [include] }), selector)) as {
      violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }>;
    };
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await mkdir(DOCS_IMG, { recursive: true });
    sidecar = await startSidecar({});
    const add = async (name: string, settings: Record<string, unknown>) => {
      const store = await sidecar.addStore({ name, url: 'http://127.0.0.1/', timezone: ZONE, settings: { alert_emails: ['owner@status.test'], ...settings } });
      // Registered an hour ago: the orders of the last half hour are news, not history from before the monitor watched.
      await sidecar.db('stores').where({ id: store.id }).update({ created_at: new Date(Date.now() - 3600_000) });
      return store;
    };
    const rolling = { mode: 'rolling_average', rad_window_size: 10, rad_min_orders: 5, rad_failure_threshold_pct: 50 };
    stores.ok = await add('All Good Shop', rolling);
    stores.learning = await add('New Shop', { mode: 'adaptive' });
    stores.warning = await add('Wobbly Shop', rolling);
    stores.critical = await add('Broken Shop', { ...rolling, rad_window_size: 5 });
    stores.silent = await add('Quiet Shop', rolling);

    await send(stores.ok, [10, 5, 1].map((m) => orderEvent({ to: 'processing', created_at: minutesAgo(m), occurred_at: minutesAgo(m) })));
    await send(stores.learning, [orderEvent({ to: 'processing' })]);
    await check(stores.learning);
    // Five paid, then five failed on one payment method: half of the last ten, the store's 50 %.
    await send(stores.warning, [
      ...[30, 28, 26, 24, 22].map((m) => orderEvent({ to: 'processing', created_at: minutesAgo(m), occurred_at: minutesAgo(m) })),
      ...[10, 8, 6, 4, 2].map((m) => orderEvent({ to: 'failed', created_at: minutesAgo(m), occurred_at: minutesAgo(m), payment_method: 'bacs' })),
    ]);
    // Nothing gets through at all: every one of the last five failed.
    await send(stores.critical, [10, 8, 6, 4, 2].map((m) => orderEvent({ to: 'failed', created_at: minutesAgo(m), occurred_at: minutesAgo(m) })));
    // WordPress reported three hours ago and not since.
    await send(stores.silent, [orderEvent({ to: 'processing' })]);
    await sidecar.db('stores').where({ id: stores.silent.id }).update({ last_contact_at: new Date(Date.now() - 3 * 3600_000) });
    await sidecar.container.reporting.check(stores.silent.id);

    for (const kind of Object.keys(EXPECTED) as Kind[]) {
      await eventually(`the ${kind} store to be ${kind}`, async () => {
        const s = await state(stores[kind]);
        return s.state.tone === EXPECTED[kind].tone && EXPECTED[kind].sentence.test(s.state.sentence) ? s : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500, poke: () => check(stores[kind]) });
    }

    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
    browser = await launchChromium();
    page = await newLocalPage(browser);
    await logIn(page, wp, wp.admin);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.stop();
    await sidecar?.close();
  });

  it('opens the tab on the sentence in its colour, above the fold on a desktop and a phone, for every state', async () => {
    for (const kind of Object.keys(EXPECTED) as Kind[]) {
      await connect(kind);
      for (const [width, height, name] of [[1280, 800, 'desktop'], [390, 844, 'phone']] as const) {
        await page.setViewportSize({ width, height });
        await page.goto(`${wp.url}${TAB_PATH}`);
        const banner = page.locator('#woom-status-page #woom-state');
        const sentence = await banner.locator('.woom-words').innerText();
        expect(sentence, `${kind} at ${name}`).toMatch(EXPECTED[kind].sentence);
        expect(await banner.getAttribute('class')).toContain(`woom-tone-${EXPECTED[kind].tone}`);
        expect(await page.evaluate(`getComputedStyle(document.querySelector('#woom-status-page #woom-state')).borderLeftColor`), `${kind}: the stylesheet is applied`).toBe(EXPECTED[kind].border);
        const box = (await banner.boundingBox())!;
        expect(box.y, `${kind} at ${name}: the sentence is on the first screen`).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height, `${kind} at ${name}: the sentence is on the first screen`).toBeLessThanOrEqual(height);
        expect(await page.evaluate('document.documentElement.scrollWidth'), `${kind} at ${name}: nothing scrolls sideways`).toBeLessThanOrEqual(width);
        expect(jargonIn(await page.locator('#woom-tab').innerText())).toEqual([]);
        await page.screenshot({ path: join(ARTIFACTS, `tab-${kind}-${name}.png`) });
      }
    }
    // The README's picture is the desktop tab of a shop with an open warning.
    await copyFile(join(ARTIFACTS, 'tab-warning-desktop.png'), join(DOCS_IMG, 'status.png'));
  }, 600_000);

  it('shows the open alert with Acknowledge, today\'s numbers and the section links, and passes axe', async () => {
    await connect('warning');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${wp.url}${TAB_PATH}`);
    expect(await page.locator('ul.subsubsub.woom-sections a').allInnerTexts()).toEqual(['Status', 'Alerts', 'Settings', 'Notifications', 'Connection']);
    expect(await page.locator('ul.subsubsub.woom-sections a.current').innerText()).toBe('Status');
    expect(await page.locator('#woom-status-page .woom-open-alerts').innerText()).toMatch(/Warning\s+Too many failed orders \(rolling average\): 5 of the last 10 orders failed/);
    expect(await page.locator('#woom-status-page .woom-acknowledge-form button').count()).toBe(1);
    expect(await page.locator('#woom-status-page .woom-today').innerText()).toMatch(/10\s+orders today/);
    // No Save button of WooCommerce's where there is nothing of its form to save.
    expect(await page.locator('#mainform button[name=save]').count()).toBe(0);
    expect(await seriousViolations('#woom-tab')).toEqual([]);
    // The settings of modes not in use wait folded; the phone sees the settings without sideways scrolling.
    await page.goto(`${wp.url}${TAB_PATH}&section=settings`);
    expect(await page.isVisible('#woom-rad_window_size')).toBe(true);
    expect(await page.isVisible('#woom-threshold_peak')).toBe(false);
    // The stores' zone, chosen by the hour the test runs (Berlin, or New York around its midnight).
    expect(await page.locator('#woom-timezone option:checked').innerText()).toMatch(new RegExp(`^${ZONE}`));
    expect(await seriousViolations('#woom-tab')).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const section of ['settings', 'notifications', 'alerts', 'connection']) {
      await page.goto(`${wp.url}${TAB_PATH}&section=${section}`);
      expect(await page.evaluate('document.documentElement.scrollWidth'), section).toBeLessThanOrEqual(390);
      expect(jargonIn(await page.locator('#woom-tab').innerText()), section).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, `section-${section}-phone.png`), fullPage: true });
    }
  }, 300_000);

  it('shows the dashboard widget, the admin-bar dot and the critical notice on every admin page, hidden per alert', async () => {
    await connect('critical');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${wp.url}/wp-admin/index.php`);
    const widget = page.locator('#woom_dashboard_widget');
    expect(await widget.locator('.woom-words').innerText()).toMatch(/Critical since \d\d:\d\d: 5 of the last 5 orders failed/);
    expect(await widget.locator('.woom-banner').getAttribute('class')).toContain('woom-tone-red');
    expect(await widget.locator('svg.woom-sparkline polyline').getAttribute('points')).toMatch(/^(\d+(\.\d+)?,\d+(\.\d+)? ){23}\d+(\.\d+)?,\d+(\.\d+)?$/);
    expect(await widget.locator('svg.woom-sparkline rect').count()).toBeGreaterThan(0);
    const dot = page.locator('#wp-admin-bar-woom-state .woom-dot');
    expect(await dot.getAttribute('class')).toContain('woom-tone-red');
    expect(await page.evaluate(`getComputedStyle(document.querySelector('#wp-admin-bar-woom-state .woom-dot')).backgroundColor`)).toBe('rgb(214, 54, 56)');
    expect(await page.locator('#wp-admin-bar-woom-state a').getAttribute('href')).toContain('tab=order-monitor');
    const notice = page.locator('#woom-notice-critical');
    expect(await notice.innerText()).toMatch(/Critical since \d\d:\d\d: 5 of the last 5 orders failed/);
    expect(await seriousViolations('#woom_dashboard_widget')).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-critical.png') });
    await widget.screenshot({ path: join(ARTIFACTS, 'dashboard-widget-critical.png') });
    await copyFile(join(ARTIFACTS, 'dashboard-widget-critical.png'), join(DOCS_IMG, 'dashboard.png'));

    // Every admin page, not only the dashboard.
    await page.goto(`${wp.url}/wp-admin/edit.php?post_type=page`);
    expect(await page.locator('#woom-notice-critical').count()).toBe(1);
    // Hidden for this alert, by this user.
    await Promise.all([page.waitForURL(/edit\.php\?post_type=page/, { timeout: 30_000 }), page.click('#woom-dismiss-alert')]);
    expect(await page.locator('#woom-notice-critical').count()).toBe(0);
    await page.goto(`${wp.url}/wp-admin/index.php`);
    expect(await page.locator('#woom-notice-critical').count()).toBe(0);
    expect(await page.locator('#wp-admin-bar-woom-state .woom-dot').getAttribute('class')).toContain('woom-tone-red');

    // A shop in good health: a green dot, and no notice.
    await connect('ok');
    await page.goto(`${wp.url}/wp-admin/index.php`);
    expect(await page.locator('#wp-admin-bar-woom-state .woom-dot').getAttribute('class')).toContain('woom-tone-green');
    expect(await page.locator('#woom-notice-critical').count()).toBe(0);
    expect(await page.locator('#woom_dashboard_widget .woom-words').innerText()).toMatch(/All good: 3 orders today/);

    // Someone who does not manage the shop sees none of it, and no request reaches the sidecar for them.
    await connect('critical');
    const editorContext = await browser.newContext();
    const editor = await editorContext.newPage();
    await logIn(editor, wp, wp.editor);
    await editor.goto(`${wp.url}/wp-admin/index.php`);
    expect(await editor.locator('#woom_dashboard_widget').count()).toBe(0);
    expect(await editor.locator('#wp-admin-bar-woom-state').count()).toBe(0);
    expect(await editor.locator('#woom-notice-critical').count()).toBe(0);
    await editorContext.close();
  }, 300_000);

  it('keeps wp-admin fast when the sidecar does not answer: one short try a minute, then the last word', async () => {
    await wp.connectBridge({ sidecarUrl: 'http://127.0.0.1:9', storeId: stores.ok.id, secret: stores.ok.secret });
    await page.goto(`${wp.url}/wp-admin/index.php`);
    expect(await page.locator('#woom_dashboard_widget').innerText()).toContain('cannot say how your shop is doing');
    expect(await page.locator('#wp-admin-bar-woom-state .woom-dot').getAttribute('class')).toContain('woom-tone-grey');
    // The failure is kept: the next page does not ask again.
    const cached = await wp.php("global $wpdb; echo (int) $wpdb->get_var(\"SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE '\\\\_transient\\\\_woom\\\\_state\\\\_%'\");");
    expect(Number(cached.trim())).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('leads from the plugins list and from activation to the tab', async () => {
    await connect('ok');
    await page.goto(`${wp.url}/wp-admin/plugins.php`);
    expect(await page.locator('#woom-plugin-settings-link').getAttribute('href')).toBe(`${wp.url}${TAB_PATH}`);
    await wp.php(`require_once ABSPATH . 'wp-admin/includes/plugin.php'; deactivate_plugins('${BRIDGE_PLUGIN}'); echo activate_plugin('${BRIDGE_PLUGIN}') === null ? 'ok' : 'failed';`);
    await page.goto(`${wp.url}/wp-admin/index.php`);
    const welcome = page.locator('#woom-notice-welcome');
    expect(await welcome.innerText()).toContain('Order Monitor is active');
    expect(await welcome.locator('a').getAttribute('href')).toContain('tab=order-monitor');
    // Once.
    await page.goto(`${wp.url}/wp-admin/index.php`);
    expect(await page.locator('#woom-notice-welcome').count()).toBe(0);
  }, 120_000);
});
