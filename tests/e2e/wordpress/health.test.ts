/**
 * The health snapshot every heartbeat carries, from real WordPress with the bridge and the WooCommerce
 * real WooCommerce 11: the sidecar alerts when checkout cannot work, naming the cause, and resolves when undone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { signed } from '../../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp';
import { startWordPress, type WordPressHandle } from '../../helpers/wordpress';

// The payment methods WooCommerce 11 ships (PayPal's comes as a separate plugin); the test store enables cash on delivery.
const GATEWAYS = ['bacs', 'cheque', 'cod'];
const COD_ON = "update_option('woocommerce_cod_settings', ['enabled' => 'yes', 'title' => 'Cash on delivery', 'enable_for_methods' => [], 'enable_for_virtual' => 'yes']);";

describe('health snapshot', () => {
  let smtp: TestSmtp;
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let store: { id: string; secret: string };

  beforeAll(async () => {
    smtp = await startTestSmtp();
    sidecar = await startSidecar({ smtpPort: smtp.port });
    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
    store = await sidecar.addStore({ name: 'Health shop', url: wp.url, timezone: 'UTC', settings: { alert_emails: ['owner@health.test'] } });
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await sidecar?.close();
    await smtp?.close();
  });

  const heartbeat = () => wp.heartbeat();
  const status = async () => (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body;
  const mail = (subject: string) => smtp.waitForMessage((m) => m.subject === subject, 20_000);

  it('reports versions, payment methods, pages, fatal errors and late background tasks', async () => {
    await heartbeat();
    const { health } = await status();
    expect(health.snapshot).toMatchObject({
      woocommerce_version: '11.0.1',
      gateways_enabled: ['cod'],
      gateways_available: ['cod'],
      pages: { checkout: { set: true, published: true }, cart: { set: true, published: true } },
      fatal_errors: 0,
    });
    expect(health.snapshot.wordpress_version).toMatch(/^7\.0/);
    expect(health.snapshot.wp_cron_late_seconds).toBeGreaterThanOrEqual(0);
    expect(health.problems).toEqual([]);
  });

  it('alerts when no payment method is left, and resolves when one is back', async () => {
    await wp.php(GATEWAYS.map((id) => `update_option('woocommerce_${id}_settings', ['enabled' => 'no']);`).join(''));
    await heartbeat();
    const alert = await mail('[WOOM CRITICAL] Checkout cannot work at Health shop: No payment method is enabled: customers cannot pay (WooCommerce → Settings → Payments)');
    expect(alert.text).toContain('- No payment method is enabled');
    await wp.php(COD_ON);
    await heartbeat();
    await mail('[WOOM] Resolved: checkout can work again at Health shop');
    expect((await status()).health.snapshot.gateways_available).toEqual(['cod']);
  });

  it('alerts when the checkout page is no longer published, and tells once of a cause that appears while open', async () => {
    await wp.php("wp_update_post(['ID' => wc_get_page_id('checkout'), 'post_status' => 'draft']);");
    await heartbeat();
    await mail('[WOOM CRITICAL] Checkout cannot work at Health shop: The checkout page is not published: customers cannot reach it');

    // While it is open the last payment method goes too: one update notice, the new cause first.
    const paymentSubject = '[WOOM CRITICAL] Checkout cannot work at Health shop: No payment method is enabled: customers cannot pay (WooCommerce → Settings → Payments)';
    const sent = () => smtp.messages.filter((m) => m.subject === paymentSubject);
    const before = sent().length;
    await wp.php("update_option('woocommerce_cod_settings', ['enabled' => 'no']);");
    await heartbeat();
    await eventually(async () => sent().length === before + 1, 20_000);
    const update = sent().at(-1)!;
    expect(update.text).toMatch(/Still open since .*, with a new problem in the store's report/);
    expect(update.text).toContain('* No payment method is enabled');
    expect(update.text).toContain('- The checkout page is not published');
    const findings = (await status()).open_alerts.find((a: { detector: string }) => a.detector === 'health').findings.map((f: { summary: string }) => f.summary);
    expect(findings).toEqual([expect.stringMatching(/^No payment method is enabled/), expect.stringMatching(/^The checkout page is not published/)]);
    // Judged again, nothing new: no second notice.
    await sidecar.container.health.check(store.id);
    expect(sent()).toHaveLength(before + 1);

    const resolved = () => smtp.messages.filter((m) => m.subject === '[WOOM] Resolved: checkout can work again at Health shop').length;
    const resolvedBefore = resolved();
    await wp.php(COD_ON + " wp_update_post(['ID' => wc_get_page_id('checkout'), 'post_status' => 'publish']);");
    await heartbeat();
    await eventually(async () => resolved() === resolvedBefore + 1, 20_000);
    expect(await sidecar.db('alerts').where({ store_id: store.id, detector: 'health', state: 'open' }).first()).toBeUndefined();
  });

  it('alerts when fatal errors appear where the last 24 hours had none, keeps the alert while they go on, and resolves after a clean hour', async () => {
    const fatalSubject = (m: { subject?: string }) => m.subject?.startsWith('[WOOM CRITICAL] Checkout cannot work at Health shop: ') && m.subject.includes('PHP fatal');
    const resolvedCount = () => smtp.messages.filter((m) => m.subject === '[WOOM] Resolved: checkout can work again at Health shop').length;
    const resolvedBefore = resolvedCount();
    const healthAlerts = () => sidecar.db('alerts').where({ store_id: store.id, detector: 'health' }).orderBy('id');
    const openFindings = async () => ((await status()).open_alerts.find((a: { detector: string }) => a.detector === 'health')?.findings ?? []).map((f: { summary: string }) => f.summary);

    await wp.php("trigger_error('The checkout template is broken', E_USER_ERROR);").catch(() => undefined);
    await heartbeat();
    await mail('[WOOM CRITICAL] Checkout cannot work at Health shop: 1 PHP fatal error logged in the last hour (WooCommerce → Status → Logs, source fatal-errors)');

    // The bridge counts fatal errors since the heartbeat before: the next heartbeat counts none, and
    // the alert stays open (it resolved here, five minutes later, on its own before).
    await heartbeat();
    await eventually(async () => (await status()).health.snapshot.fatal_errors === 0);
    expect((await healthAlerts()).at(-1)).toMatchObject({ state: 'open' });

    // Another fatal error while it is open: the alert's finding counts both, and nobody is mailed again.
    await wp.php("trigger_error('The checkout template is still broken', E_USER_ERROR);").catch(() => undefined);
    await heartbeat();
    await eventually(async () => (await openFindings())[0]?.startsWith('2 PHP fatal errors logged in the last hour') ?? false);
    expect(smtp.messages.filter(fatalSubject)).toHaveLength(1);
    expect((await healthAlerts()).filter((a: { state: string }) => a.state === 'open')).toHaveLength(1);

    // An hour of heartbeats without fatal errors ends it. The bridge's own heartbeats carry WordPress's
    // clock, so the one an hour later is sent as the bridge would send it, dated an hour on.
    const { snapshot } = (await status()).health;
    const later = new Date(Date.now() + 61 * 60_000);
    const beat = { id: crypto.randomUUID(), type: 'heartbeat', occurred_at: later.toISOString(), data: { health: { ...snapshot, fatal_errors: 0 } } };
    await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: [beat] }).expect(202);
    await sidecar.container.health.check(store.id, later);
    await eventually(async () => resolvedCount() === resolvedBefore + 1, 20_000);
    expect((await healthAlerts()).at(-1)).toMatchObject({ state: 'resolved' });
    expect(smtp.messages.filter(fatalSubject)).toHaveLength(1);
  });
});
