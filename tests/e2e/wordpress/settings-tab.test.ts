/**
 * WooCommerce -> Settings -> Order Monitor in headless Chromium: the admin connects the store, the
 * sidecar's own settings form is embedded (fetched server-side), a changed threshold reaches the
 * sidecar, the daily summary's settings are saved from the Notifications section, the test button shows
 * the SMTP server's answer, "Run check now" shows both detectors, and
 * events the sidecar refuses are dead-lettered and shown.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { signed } from '../../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp';
import { REPO_ROOT, TAB_PATH, eventually, launchChromium, logIn, newLocalPage, startWordPress, type WordPressHandle } from '../../helpers/wordpress';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'wordpress');

/** Clicks a submit button and waits for the page WordPress answers with (after its redirect) to load. */
async function submit(page: Page, button: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 30_000 }), button.click()]);
  await page.waitForLoadState('load');
  expect(page.url()).toContain('tab=order-monitor');
}

describe('the Order Monitor tab', () => {
  let smtp: TestSmtp;
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let browser: Browser;
  let page: Page;
  let store: { id: string; secret: string };

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const sidecarSettings = async (): Promise<Record<string, unknown>> => {
    const res = await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/settings`);
    expect(res.status).toBe(200);
    return (res.body as { settings: Record<string, unknown> }).settings;
  };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    smtp = await startTestSmtp();
    sidecar = await startSidecar({ smtpPort: smtp.port });
    store = await sidecar.addStore({ name: 'tab store', url: 'http://127.0.0.1/', timezone: 'Europe/Berlin', settings: { alert_emails: ['owner@store.test'] } });
    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
    browser = await launchChromium();
    page = await newLocalPage(browser);
    await logIn(page, wp, wp.admin);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await wp?.stop();
    await sidecar?.close();
    await smtp?.close();
  });

  it('connects the store from the tab without ever printing the secret back', async () => {
    const response = await page.goto(`${wp.url}${TAB_PATH}`);
    expect(response?.status()).toBe(200);
    await expect(page.locator('#woom-notice-not-configured').count()).resolves.toBe(1);
    await page.fill('#woom_sidecar_url', sidecar.url);
    await page.fill('#woom_store_id', store.id);
    await page.fill('#woom_secret', store.secret);
    await submit(page, page.locator('#mainform button[name=save]'));
    // Connected, the tab opens on the shop's state; the connection has a section of its own.
    await page.waitForSelector('#woom-status-page #woom-state');
    await shot('01-connected');
    expect(await page.locator('ul.subsubsub a').allInnerTexts()).toEqual(['Status', 'Alerts', 'Settings', 'Notifications', 'Connection']);
    await page.goto(`${wp.url}${TAB_PATH}&section=connection`);

    expect(await page.content()).not.toContain(store.secret);
    expect(await page.inputValue('#woom_secret')).toBe('');
    expect(await page.getAttribute('#woom_secret', 'placeholder')).toBe(`••••••••${store.secret.slice(-4)}`);
    expect(await page.inputValue('#woom_sidecar_url')).toBe(sidecar.url);

    await submit(page, page.locator('#woom-test-connection'));
    await expect(page.locator('.woom-notice.notice-success').innerText()).resolves.toMatch(/Connected/);
    await shot('02-test-connection');
  }, 60_000);

  it('saves a threshold through the embedded sidecar form, signed and with the admin as actor', async () => {
    await page.goto(`${wp.url}${TAB_PATH}&section=settings`);
    const form = page.locator('#woom-settings-page form');
    // Adaptive mode (the default) does not use the thresholds: they wait folded under "other modes".
    await page.click('#woom-settings-page .woom-other-modes summary');
    expect(await form.getAttribute('action')).toBe(`${wp.url}/wp-admin/admin-post.php`);
    expect(await form.locator('input[name=_wpnonce]').count()).toBe(1);
    expect(await form.locator('input[name=action]').inputValue()).toBe('woom_settings_page');
    expect((await sidecarSettings()).threshold_peak).toBe(10);

    await form.locator('input[name=threshold_peak]').fill('7');
    await submit(page, form.getByRole('button', { name: 'Save changes' }));
    expect(page.url()).toContain('section=settings');
    await expect(page.locator('#woom-notice-flash').innerText()).resolves.toContain('Settings saved.');
    await shot('03-threshold-saved');
    expect((await sidecarSettings()).threshold_peak).toBe(7);
    expect(await page.locator('#woom-settings-page input[name=threshold_peak]').inputValue()).toBe('7');

    const history = await sidecar.db('settings_history').where({ store_id: store.id }).orderBy('id', 'desc').first();
    expect(history?.changed_by).toBe(wp.admin.login);
  }, 60_000);

  it('shows the sidecar\'s field errors and changes nothing when a value is refused', async () => {
    await page.goto(`${wp.url}${TAB_PATH}&section=settings`);
    const form = page.locator('#woom-settings-page form');
    await page.click('#woom-settings-page .woom-other-modes summary');
    await form.locator('input[name=threshold_peak]').fill('-3');
    await submit(page, form.getByRole('button', { name: 'Save changes' }));
    // The answer sits where WordPress puts news, at the top, and links to the field in error.
    const notice = page.locator('#woom-notice-flash');
    expect(await notice.innerText()).toContain('Nothing was saved');
    expect(await notice.locator('a[href="#woom-threshold_peak"]').count()).toBe(1);
    expect((await notice.boundingBox())!.y).toBeLessThan((await page.locator('#woom-settings-page').boundingBox())!.y);
    expect(await page.locator('#woom-settings-page .woom-field-error').count()).toBeGreaterThan(0);
    expect(await page.locator('#woom-settings-page input[name=threshold_peak]').inputValue()).toBe('-3');
    await shot('04-threshold-refused');
    expect((await sidecarSettings()).threshold_peak).toBe(7);
  }, 60_000);

  it('sends a test notification through the sidecar and shows the SMTP server\'s answer', async () => {
    await page.goto(`${wp.url}${TAB_PATH}&section=notifications`);
    await submit(page, page.locator('#woom-test-notification'));
    const notice = await page.locator('.woom-test-notification-result').innerText();
    expect(notice).toMatch(/^Test notification sent: .*\b250\b/);
    await shot('05-test-notification');
    const mail = await smtp.waitForMessage((m) => JSON.stringify(m.to ?? '').includes('owner@store.test'), 15_000);
    expect(mail).toBeTruthy();
  }, 60_000);

  it('sets the daily summary in the Notifications section: its hour, the weekly one, then off', async () => {
    await page.goto(`${wp.url}${TAB_PATH}&section=notifications`);
    const form = page.locator('#woom-settings-page form');
    expect(await form.locator('#woom-digest_enabled').isChecked()).toBe(true);
    expect(await form.locator('#woom-digest_hour').inputValue()).toBe('08:00');
    await form.locator('#woom-digest_hour').fill('06:45');
    await form.locator('#woom-digest_weekly').check();
    await submit(page, form.getByRole('button', { name: 'Save changes' }));
    await expect(page.locator('#woom-notice-flash').innerText()).resolves.toContain('Settings saved.');
    expect(await sidecarSettings()).toMatchObject({ digest_enabled: true, digest_hour: '06:45', digest_weekly: true });
    await shot('05b-daily-summary');
    // Unticked, the hidden "0" before the box is what the form posts.
    await page.locator('#woom-settings-page #woom-digest_enabled').uncheck();
    await submit(page, page.locator('#woom-settings-page form').getByRole('button', { name: 'Save changes' }));
    expect(await sidecarSettings()).toMatchObject({ digest_enabled: false, digest_hour: '06:45', digest_weekly: true });
    expect(await page.locator('#woom-settings-page #woom-digest_enabled').isChecked()).toBe(false);
  }, 60_000);

  it('runs a check now and shows both detectors of the default (adaptive) mode, and the renewals check every store has', async () => {
    await page.goto(`${wp.url}${TAB_PATH}`);
    await submit(page, page.locator('#woom-run-check'));
    const items = page.locator('.woom-check-result > li');
    expect(await items.count()).toBe(3);
    expect(await page.locator('.woom-check-result li[data-detector=order_flow]').innerText()).toMatch(/^Orders stopped \(adaptive\): \S/);
    expect(await page.locator('.woom-check-result li[data-detector=failure_rate]').innerText()).toMatch(/^Too many failed orders \(adaptive\): .*learning, about \d+ days left/);
    expect(await page.locator('.woom-check-result li[data-detector=renewals]').innerText()).toMatch(/^Subscription renewals: \S/);
    // The raw numbers wait behind Details, named in words.
    expect(await page.locator('.woom-check-result').innerText()).not.toMatch(/breached|windowStart|failureSharePct/);
    await shot('06-run-check');
  }, 60_000);

  it('dead-letters only the event the sidecar refuses, delivers the rest, and shows it in the tab', async () => {
    // Three orders in one batch; the middle one has a currency the contract refuses (not 3 letters).
    // WooCommerce itself refuses an unknown currency code, so a plugin registers one, as a store's might.
    const oddCurrency = join(wp.contentDir, 'mu-plugins', 'woom-test-odd-currency.php');
    await writeFile(oddCurrency, "<?php add_filter('woocommerce_currencies', static fn (array $c): array => $c + ['EURO' => 'Euro (odd code)']);\n");
    const [good1] = await wp.createOrders({ status: 'processing', currency: 'EUR' });
    const [bad] = await wp.createOrders({ status: 'processing', currency: 'EURO' });
    const [good2] = await wp.createOrders({ status: 'processing', currency: 'EUR' });
    await eventually('the batch to be settled', async () => {
      const counts = await wp.outboxCounts();
      return counts.pending === 0 ? counts : undefined;
    }, { poke: () => wp.runQueue() });
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 1 });
    const delivered = (await sidecar.db('order_events').where({ store_id: store.id }).whereIn('order_id', [good1!, bad!, good2!]).pluck('order_id')) as number[];
    expect(delivered.sort()).toEqual([good1!, good2!].sort());

    await page.goto(`${wp.url}${TAB_PATH}&section=connection`);
    await expect(page.locator('#woom-delivery [data-woom=dead]').innerText()).resolves.toBe('1');
    const row = (await page.locator('#woom-dead-letters tbody tr').textContent()) ?? '';
    expect(row).toContain('currency');
    expect(row).toContain('400');
    await shot('07-dead-letter');

    await submit(page, page.locator('#woom-discard-dead'));
    expect(await wp.outboxCounts()).toEqual({ pending: 0, dead: 0 });
    await rm(oddCurrency);
  }, 60_000);

  it('passes the status page\'s CSV downloads through WordPress, signed, to admins only', async () => {
    await page.goto(`${wp.url}${TAB_PATH}&section=alerts`);
    const link = page.locator('#woom-alerts-page a', { hasText: 'Download the alert history (CSV)' });
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(/\/wp-admin\/admin-post\.php\?action=woom_page_download&_wpnonce=\w+&path=export%2Falerts\.csv$/);
    const [alerts] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect((await readFile((await alerts.path())!, 'utf8')).split('\n')[0]).toBe('alert_id,opened_at,opened_at_local,detector,severity,state,resolved_at,numbers,deliveries');

    // The form's dates are the store's (Europe/Berlin): at 23:30 UTC it is already tomorrow there.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date());
    await page.fill('#woom-alerts-page #woom-export-from', '2020-01-01');
    await page.fill('#woom-alerts-page #woom-export-to', today);
    const [events] = await Promise.all([page.waitForEvent('download'), page.click('#woom-alerts-page button:has-text("Download order events (CSV)")')]);
    const rows = parse(await readFile((await events.path())!, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    const stored = Number((await sidecar.db('order_events').where({ store_id: store.id }).count({ n: '*' }).first())?.n);
    expect(rows.length).toBe(stored);
    expect(rows.length).toBeGreaterThan(0);

    // The same link without a logged-in admin's session is refused.
    const anonymous = await fetch(new URL(href, wp.url));
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).not.toContain('alert_id');
  }, 60_000);

  it('sends read-only REST keys to the sidecar from the tab, keeping no copy in WordPress', async () => {
    const key = `ck_${'5'.repeat(40)}`;
    const secret = `cs_${'6'.repeat(40)}`;
    await page.goto(`${wp.url}${TAB_PATH}&section=connection`);
    await page.fill('#woom_rest_consumer_key', 'not-a-key');
    await page.fill('#woom_rest_consumer_secret', secret);
    await submit(page, page.locator('#woom-rest-keys'));
    expect(await page.locator('.woom-rest-keys-result').innerText()).toMatch(/not accepted: HTTP 400.*consumer_key/);
    expect(await sidecar.db('store_rest_credentials').where({ store_id: store.id }).first()).toBeUndefined();

    await page.fill('#woom_rest_consumer_key', key);
    await page.fill('#woom_rest_consumer_secret', secret);
    await submit(page, page.locator('#woom-rest-keys'));
    expect(await page.locator('.woom-rest-keys-result').innerText()).toMatch(/^Saved\. Orders modified since/);
    // The sidecar seals the secret at rest and still reads the keys back as they were sent.
    const row = await sidecar.db('store_rest_credentials').where({ store_id: store.id }).first();
    expect(row).toMatchObject({ consumer_key: key, consumer_secret: expect.stringMatching(/^enc:v1:/) });
    expect(row.consumer_secret).not.toContain(secret.slice(3));
    expect(await sidecar.container.restSync.credentials(store.id)).toMatchObject({ consumerKey: key, consumerSecret: secret });
    expect(await page.content()).not.toContain(secret);
    const kept = await wp.php(`global $wpdb; echo (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->options} WHERE option_value LIKE '%${secret}%'");`);
    expect(kept.trim()).toBe('0');
    await shot('08-rest-keys');
  }, 60_000);

  it('starts and ends maintenance from the embedded status page, as the admin', async () => {
    await page.goto(`${wp.url}${TAB_PATH}`);
    const start = page.locator('#woom-status-page form.woom-maintenance-start');
    expect(await start.getAttribute('action')).toBe(`${wp.url}/wp-admin/admin-post.php`);
    expect(await start.locator('input[name=action]').inputValue()).toBe('woom_status_page');
    await start.locator('input[name=minutes]').fill('30');
    await submit(page, start.locator('button[type=submit]'));
    await expect(page.locator('#woom-status-page .woom-outcome').innerText()).resolves.toContain('Maintenance started');
    const [window] = await sidecar.db('maintenance_windows').where({ store_id: store.id });
    expect(window).toMatchObject({ created_by: wp.admin.login, ended_at: null });
    await shot('09-maintenance');

    await submit(page, page.locator('#woom-status-page form.woom-maintenance-end button[type=submit]'));
    await expect(page.locator('#woom-status-page .woom-outcome').innerText()).resolves.toContain('Maintenance ended');
    expect((await sidecar.db('maintenance_windows').where({ id: window.id }).first()).ended_by).toBe(wp.admin.login);
    // The page WordPress shows after the post is the status again, sentence first.
    expect(await page.locator('#woom-status-page #woom-state .woom-sentence').innerText()).not.toBe('');
  }, 60_000);
});
