/**
 * The store probe against real WordPress with the bridge and the real WooCommerce 11 (block cart and checkout): the web server
 * stopped, the checkout page dying with a PHP fatal error, the checkout's payment form gone and every
 * payment gateway disabled; each is alerted within two probe runs with its own message and resolved
 * when undone.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../../helpers/sidecar';
import { signed } from '../../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../../helpers/smtp';
import { startWordPress, type WordPressHandle } from '../../helpers/wordpress';

const GATEWAYS = ['bacs', 'cheque', 'cod'];
const SHOP = 'WP probe shop';

// What a store owner's site might do, each switched on by writing an mu-plugin and off by removing it.
const FATAL_CHECKOUT = `<?php
// Switched on by tests/e2e/wordpress/probe.test.ts: the checkout page dies with a PHP fatal error.
add_action( 'template_redirect', static function (): void {
	if ( is_page( wc_get_page_id( 'checkout' ) ) ) {
		woom_test_function_that_does_not_exist();
	}
}, 0 );
`;
const CHECKOUT_WITHOUT_PAYMENT = `<?php
// Switched on by tests/e2e/wordpress/probe.test.ts: the store shows its checkout to an empty cart (a
// common snippet) and a change to the block checkout dropped its payment step.
add_filter( 'woocommerce_checkout_redirect_empty_cart', '__return_false' );
add_filter( 'render_block', static function ( $html, $block ) {
	return 'woocommerce/checkout-payment-block' === ( $block['blockName'] ?? '' ) ? '' : $html;
}, 10, 2 );
`;

describe('store probe against real WordPress', () => {
  let smtp: TestSmtp;
  let sidecar: SidecarHandle;
  let wp: WordPressHandle;
  let store: { id: string; secret: string };

  beforeAll(async () => {
    smtp = await startTestSmtp();
    // A "minute" lasts 1 s: the probe runs every 2 s, each page at most once a second.
    sidecar = await startSidecar({ smtpPort: smtp.port, minuteMs: 1_000 });
    wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
    store = await sidecar.addStore({
      name: SHOP,
      url: wp.url,
      timezone: 'UTC',
      settings: { mode: 'rolling_average', probe_enabled: true, probe_interval_minutes: 2, probe_failures_to_alert: 2, alert_emails: ['owner@probe.test'] },
    });
    await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });
    // The heartbeat's snapshot carries the cart and checkout permalinks and the REST root the probe uses.
    await heartbeat();
  }, 300_000);

  afterAll(async () => {
    await wp?.stop();
    await sidecar?.close();
    await smtp?.close();
  });

  const heartbeat = () => wp.heartbeat();
  const mail = (subject: string) => smtp.waitForMessage((m) => m.subject === subject, 45_000);
  const runs = async () => Number((await sidecar.db('store_probes').where({ store_id: store.id }).countDistinct({ n: 'run_at' }).first())?.n);
  const latestRun = async () => {
    const last = await sidecar.db('store_probes').where({ store_id: store.id }).max({ at: 'run_at' }).first();
    return sidecar.db('store_probes').where({ store_id: store.id, run_at: last!.at }).orderBy('id');
  };
  const mustPlugin = (name: string) => join(wp.contentDir, 'mu-plugins', name);
  /** The alert came after at most two failing runs: the runs between the change and the alert. */
  const failingRunsBefore = async (since: Date, alertOpenedAt: Date) =>
    Number(
      (
        await sidecar.db('store_probes').where({ store_id: store.id, ok: false }).where('run_at', '>=', since).where('run_at', '<=', alertOpenedAt).countDistinct({ n: 'run_at' }).first()
      )?.n,
    );
  const openedProbeAlert = () => eventually(async () => sidecar.db('alerts').where({ store_id: store.id, detector: 'probe', state: 'open' }).first(), 45_000);

  it("probes the store's own pages and passes a working WooCommerce", async () => {
    const { body } = await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`).expect(200);
    const restUrl: string = body.health.snapshot.rest_url;
    expect(restUrl.startsWith(`${wp.url}/`)).toBe(true);
    const before = await runs();
    await eventually(async () => (await runs()) >= before + 1, 30_000);
    const rows = await latestRun();
    expect(rows.map((r: { target: string; ok: number }) => [r.target, Boolean(r.ok)])).toEqual([
      ['home', true],
      ['store_api', true],
      ['cart', true],
      ['checkout', true],
    ]);
    const checkout = rows.find((r: { target: string }) => r.target === 'checkout');
    expect(checkout.url).toBe(body.health.snapshot.pages.checkout.url);
    // WooCommerce's own 302 to the cart page, judged by the cart's answer of the same run, not followed.
    expect(checkout.status).toBe(302);
    expect(checkout.detail).toContain('sent to the cart: the cart is empty');
    expect(rows.find((r: { target: string }) => r.target === 'store_api').url).toBe(`${restUrl}wc/store/v1/products?per_page=1`);
  });

  it('alerts "store unreachable" when the web server stops, and resolves when it is back', async () => {
    const since = new Date();
    await wp.stopServer();
    const alert = await mail(`[WOOM CRITICAL] Store probe: store unreachable at ${SHOP}`);
    expect(alert.text).toContain('- home page is unreachable (connection refused, ECONNREFUSED)');
    expect(await failingRunsBefore(since, (await openedProbeAlert()).opened_at)).toBeLessThanOrEqual(2);
    await wp.startServer();
    await mail(`[WOOM] Resolved: the store probe passes again at ${SHOP} (store unreachable)`);
  });

  it('alerts "checkout page returns 500" when the checkout dies with a fatal error, and resolves when fixed', async () => {
    const since = new Date();
    await writeFile(mustPlugin('woom-test-checkout-fatal.php'), FATAL_CHECKOUT);
    const alert = await mail(`[WOOM CRITICAL] Store probe: checkout page returns 500 at ${SHOP}`);
    expect(alert.text).toContain('returned: HTTP 500');
    expect(await failingRunsBefore(since, (await openedProbeAlert()).opened_at)).toBeLessThanOrEqual(2);
    await rm(mustPlugin('woom-test-checkout-fatal.php'));
    await mail(`[WOOM] Resolved: the store probe passes again at ${SHOP} (checkout page returns 500)`);
  });

  it('alerts "checkout page no longer shows the payment form" when the payment section is gone, and resolves when back', async () => {
    const since = new Date();
    await writeFile(mustPlugin('woom-test-checkout-no-payment.php'), CHECKOUT_WITHOUT_PAYMENT);
    const alert = await mail(`[WOOM CRITICAL] Store probe: checkout page no longer shows the payment form at ${SHOP}`);
    expect(alert.text).toContain('returned: no payment step');
    expect(await failingRunsBefore(since, (await openedProbeAlert()).opened_at)).toBeLessThanOrEqual(2);
    await rm(mustPlugin('woom-test-checkout-no-payment.php'));
    await mail(`[WOOM] Resolved: the store probe passes again at ${SHOP} (checkout page no longer shows the payment form)`);
  });

  it('leaves every gateway disabled to the health alert: an empty cart shows no payment methods', async () => {
    await wp.php(GATEWAYS.map((id) => `update_option('woocommerce_${id}_settings', ['enabled' => 'no']);`).join(''));
    await heartbeat();
    await mail(`[WOOM CRITICAL] Checkout cannot work at ${SHOP}: No payment method is enabled: customers cannot pay (WooCommerce → Settings → Payments)`);
    // The probe keeps passing: WooCommerce lists payment methods only for a cart that needs payment.
    const before = await runs();
    await eventually(async () => (await runs()) >= before + 2, 30_000);
    expect((await latestRun()).every((r: { ok: number }) => Boolean(r.ok))).toBe(true);
    // The same alert names the PHP fatal errors the broken checkout above logged (WooCommerce's
    // `fatal-errors` source, counted by the bridge): with the gateways back it stays open for them.
    const findings = async () =>
      ((await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body.open_alerts.find((a: { detector: string }) => a.detector === 'health')?.findings ?? []).map(
        (f: { summary: string }) => f.summary,
      );
    expect(await findings()).toEqual([expect.stringMatching(/^No payment method is enabled/), expect.stringMatching(/^\d+ PHP fatal errors? logged in the last hour/)]);
    await wp.php("update_option('woocommerce_cod_settings', ['enabled' => 'yes', 'title' => 'Cash on delivery', 'enable_for_methods' => [], 'enable_for_virtual' => 'yes']);");
    await heartbeat();
    await eventually(async () => (await findings()).length === 1);
    expect(await findings()).toEqual([expect.stringMatching(/PHP fatal errors? logged in the last hour/)]);
    // An hour of heartbeats without fatal errors resolves it (the bridge's heartbeat, dated an hour on).
    const { snapshot } = (await signed(sidecar.app, store, 'GET', `/v1/stores/${store.id}/status`)).body.health;
    const later = new Date(Date.now() + 61 * 60_000);
    const beat = { id: crypto.randomUUID(), type: 'heartbeat', occurred_at: later.toISOString(), data: { health: { ...snapshot, fatal_errors: 0 } } };
    await signed(sidecar.app, store, 'POST', '/v1/events', { store: store.id, events: [beat] }).expect(202);
    await sidecar.container.health.check(store.id, later);
    await mail(`[WOOM] Resolved: checkout can work again at ${SHOP}`);
  });
});
