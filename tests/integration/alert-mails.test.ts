/**
 * The alert mails an owner reads, per diagnosis, through the real send path (check, notification,
 * delivery, SMTP): what to check first, the failed orders with links into wp-admin, what the store
 * probe and WordPress's check-in showed, no generic causes the evidence rules out, no jargon. Each mail is
 * saved in test-artifacts/mails/ (HTML, text, and the HTML rendered to PNG by Chromium).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult, ProbeTarget } from '../../sidecar/src/domain/probe';
import { launchChromium } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'mails');
let smtp: TestSmtp;
let sidecar: SidecarHandle;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  smtp = await startTestSmtp();
  sidecar = await startSidecar({ smtpPort: smtp.port, notifyBackoffMs: 300 });
});
afterAll(async () => {
  await sidecar?.close();
  await smtp?.close();
});

const TITLES = { stripe: 'Credit card (Stripe)', cod: 'Cash on delivery' };
/** Words of ours an owner should never have to read (issue 13 item 5). */
const JARGON = [/sidecar/i, /outbox/i, /dead letter/i, /\bRAD\b/, /heartbeat/i, /\bIANA\b/, /WP-Cron(?!\.php)/i, /\bhold\b/i, /breached/i, /windowStart/, /failureSharePct/, /detector/i, /Store API/];

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const heartbeat = (minutes: number, health: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  type: 'heartbeat',
  occurred_at: minutesAgo(minutes),
  data: { outbox_size: 0, health: { gateway_titles: TITLES, gateways_enabled: ['stripe', 'cod'], gateways_available: ['stripe', 'cod'], ...health } },
});
const orders = (n: number, to: string, method: string, total = '25.00') => Array.from({ length: n }, () => orderEvent({ to, payment_method: method, total }));

async function store(name: string, settings: Record<string, unknown>, url = `https://${name.toLowerCase()}.example`): Promise<StoreCredentials> {
  const shop = await sidecar.addStore({ name, url, timezone: 'Europe/Berlin', settings: { alert_emails: ['owner@shop.example'], ...settings } });
  // A new store is checked once at once (services/store-registry); the events' check must be the one that opens the alert.
  await eventually(async () => (await sidecar.db('check_runs').where({ store_id: shop.id, trigger: 'schedule' })).length > 0);
  return shop;
}

async function send(shop: StoreCredentials, events: unknown[]) {
  const res = await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events });
  expect(res.status).toBe(202);
}

/** The store probe's last visit, recorded as the probe records it. */
async function probed(shop: StoreCredentials, outcome: 'ok' | 'unreachable') {
  const at = new Date();
  const targets: ProbeTarget[] = ['home', 'store_api', 'cart', 'checkout'];
  const results: ProbeResult[] = targets.map((target) => ({
    target,
    url: `https://shop.example/${target}`,
    at,
    ok: outcome === 'ok',
    failure: outcome === 'ok' ? null : 'unreachable',
    status: outcome === 'ok' ? 200 : null,
    ttfbMs: outcome === 'ok' ? 120 : null,
    detail: outcome === 'ok' ? '200 in 120 ms' : 'connection refused',
  }));
  await sidecar.container.probes.insertRun(shop.id, at, results);
}

const htmlOf = (mail: ParsedMail) => String(mail.html).replace(/&#x3D;/g, '=').replace(/&amp;/g, '&').replace(/&#x27;/g, "'").replace(/&quot;/g, '"');

/** Saves the mail and checks what every owner-facing mail must hold. */
function keep(name: string, mail: ParsedMail): { text: string; html: string } {
  const text = mail.text ?? '';
  const html = htmlOf(mail);
  writeFileSync(join(ARTIFACTS, `${name}.txt`), `Subject: ${mail.subject}\n\n${text}`);
  writeFileSync(join(ARTIFACTS, `${name}.html`), String(mail.html));
  for (const word of JARGON) {
    expect(text, `${name}.txt says ${word}`).not.toMatch(word);
    expect(html.replace(/<[^>]+>/g, ' '), `${name}.html says ${word}`).not.toMatch(word);
  }
  return { text, html };
}

const mailAt = (name: string) => smtp.waitForMessage((m) => m.subject?.includes(` at ${name}`) ?? false, 20_000);

describe('alert mails say what to do', () => {
  it('one payment method failing: its dashboard, its keys, its status page; the failed orders with links; the rest of checkout works', async () => {
    const shop = await store('Gatewayshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
    await send(shop, [heartbeat(1), ...orders(2, 'processing', 'cod')]);
    await send(shop, orders(8, 'failed', 'stripe'));
    const mail = await mailAt('Gatewayshop');
    expect(mail.subject).toBe('[WOOM WARNING] Payment method Credit card (Stripe) is failing: 8 of the last 10 orders failed at Gatewayshop');
    const { text, html } = keep('gateway', mail);
    expect(text).toContain("1. Open your Credit card (Stripe) account's dashboard and look at the payments declined since");
    expect(text).toContain('2. In WooCommerce → Settings → Payments → Credit card (Stripe), check the account details and keys');
    expect(text).toContain("3. Look at Credit card (Stripe)'s status page");
    expect(text).toContain('All the failed orders were paid with Credit card (Stripe), while orders paid with Cash on delivery went through: the rest of your checkout works.');
    expect(text).toMatch(/WordPress checked in at \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1: its orders reach us\./);
    expect(text).not.toContain('Not ruled out');
    expect(text).not.toContain('site is down');
    const failed = await sidecar.db('orders').where({ store_id: shop.id, status: 'failed' }).orderBy('created_at', 'desc');
    expect(failed).toHaveLength(8);
    for (const order of failed) {
      const url = `https://gatewayshop.example/wp-admin/post.php?post=${order.order_id}&action=edit`;
      expect(text).toContain(`- #${order.order_id}, `);
      expect(text).toContain(`25.00 EUR, Credit card (Stripe): ${url}`);
      expect(html).toContain(`<a href="${url}">#${order.order_id}</a>`);
    }
    expect(html).toContain('<h2 style="font-size:16px;margin:16px 0 4px;">What to check first</h2>');
    expect(html).toContain('Details</h2>');

    // Orders come back: the resolved mail restates the problem, how long it lasted and what failed.
    await send(shop, orders(10, 'processing', 'cod'));
    const resolved = await smtp.waitForMessage((m) => m.subject === '[WOOM] Resolved: orders are back to normal at Gatewayshop', 20_000);
    const done = keep('gateway-resolved', resolved);
    expect(done.text).toContain('The problem, "Payment method Credit card (Stripe) is failing: 8 of the last 10 orders failed", is over.');
    expect(done.text).toMatch(/It lasted \d+ min, from \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1 to \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1\./);
    expect(done.text).toContain('8 orders failed in that time');
    expect(done.html).toContain('<strong>Payment method Credit card (Stripe) is failing: 8 of the last 10 orders failed</strong>');
  });

  it('checkout broken (every method fails, none succeeds): try the checkout in a private window, the logs', async () => {
    const shop = await store('Brokenshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
    await send(shop, [heartbeat(1), ...orders(2, 'failed', 'stripe'), ...orders(2, 'failed', 'cod')]);
    const mail = await mailAt('Brokenshop');
    const { text } = keep('checkout-broken', mail);
    expect(mail.subject).toBe('[WOOM CRITICAL] 4 of the last 4 orders failed at Brokenshop');
    expect(text).toContain('1. Open your checkout in a private browser window and try to pay as a customer would');
    expect(text).toContain('2. Look in WooCommerce → Status → Logs for errors since');
    expect(text).not.toContain("account's dashboard");
    expect(text.match(/^- #\d+, .*: https:\/\/brokenshop\.example\/wp-admin\/post\.php\?post=\d+&action=edit$/gm)).toHaveLength(4);
  });

  it('card testing: the failed orders show the pattern; fraud protection; ship nothing', async () => {
    const shop = await store('Cardshop', { mode: 'rolling_average', check_interval_minutes: 1440 });
    await send(shop, [heartbeat(1), ...orders(2, 'processing', 'stripe')]);
    await send(shop, orders(12, 'failed', 'stripe', '1.00'));
    const mail = await mailAt('Cardshop');
    const { text } = keep('card-testing', mail);
    expect(text).toContain('someone trying stolen card numbers on your checkout');
    expect(text).toContain("Turn on your payment provider's fraud or bot protection");
    // Up to 10 listed, and how many there were.
    expect(text.match(/^- #\d+, .*1\.00 EUR, Credit card \(Stripe\): https:\/\/cardshop\.example\/wp-admin\/post\.php\?post=\d+&action=edit$/gm)).toHaveLength(10);
    expect(text).toMatch(/12 orders failed since .*; the newest 10 are listed\./);
  });

  it('orders stopped while every page answered: the store is up, so "down" and "checkout broken" are not offered as causes', async () => {
    const shop = await store('Quietshop', { mode: 'time_based', check_interval_minutes: 1440, threshold_peak: 3, threshold_off_peak: 3 });
    await send(shop, [heartbeat(1), { ...heartbeat(0), occurred_at: minutesAgo(1500) }, ...orders(1, 'processing', 'cod')]);
    await probed(shop, 'ok');
    await sidecar.container.checks.run(shop.id, 'manual');
    const mail = await mailAt('Quietshop');
    const { text } = keep('silence-store-up', mail);
    expect(text).toMatch(/Every page of your store answered normally when we visited it at .*, and the checkout showed its payment form: the store is up\./);
    expect(text).toContain('1. Place a test order from a private browser window');
    expect(text).toContain('Not ruled out yet: a payment method declines every payment; fewer visitors than usual');
    expect(text).not.toContain('the store is down');
    expect(text).not.toContain('checkout is broken');
  });

  it('orders stopped and the store does not answer: the hosting company first', async () => {
    const shop = await store('Downshop', { mode: 'time_based', check_interval_minutes: 1440, threshold_peak: 3, threshold_off_peak: 3 });
    await send(shop, [heartbeat(1), { ...heartbeat(0), occurred_at: minutesAgo(1500) }]);
    await probed(shop, 'unreachable');
    await sidecar.container.checks.run(shop.id, 'manual');
    const mail = await mailAt('Downshop');
    const { text } = keep('site-down', mail);
    expect(text).toContain('Your store did not answer when we visited it at');
    expect(text).toContain('1. Open your store in a browser: if it does not load, contact your hosting company');
    expect(text).not.toContain('Not ruled out');
  });

  it('WordPress silent: is the site up, is the plugin active, scheduled tasks on a quiet store', async () => {
    const shop = await store('Silentshop', {}, 'http://127.0.0.1:9');
    await send(shop, [heartbeat(25)]);
    await sidecar.container.reporting.check(shop.id);
    const mail = await smtp.waitForMessage((m) => m.subject === '[WOOM CRITICAL] WordPress stopped reporting at Silentshop', 20_000);
    const { text } = keep('wordpress-silent', mail);
    expect(text).toMatch(/last sent us news at \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1 \(25 min ago\)/);
    expect(text).toContain('1. Open your store and its dashboard (http://127.0.0.1:9/wp-admin/)');
    expect(text).toContain('ask your hosting company to open http://127.0.0.1:9/wp-cron.php every minute');
  });

  it('checkout cannot work (no payment method offered): what to change in WooCommerce', async () => {
    const shop = await store('Nopayshop', {});
    await send(shop, [heartbeat(0, { gateways_available: [] })]);
    const mail = await smtp.waitForMessage((m) => m.subject?.startsWith('[WOOM CRITICAL] Checkout cannot work at Nopayshop') ?? false, 20_000);
    const { text } = keep('checkout-cannot-work', mail);
    expect(text).toMatch(/WordPress reported at \d{4}-\d\d-\d\d \d\d:\d\d GMT\+1:/);
    expect(text).toContain('1. Open WooCommerce → Settings → Payments and make sure at least one payment method is enabled');
  });

  it('renders readable HTML (PNG of each mail in test-artifacts/mails/)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 700, height: 900 } });
      await page.route(/^https?:/, (route) => route.abort());
      for (const name of ['gateway', 'gateway-resolved', 'silence-store-up', 'wordpress-silent']) {
        await page.goto(`file://${join(ARTIFACTS, `${name}.html`)}`);
        // Nothing wider than the mail's own 600 px column plus its margins.
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(700);
        await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      }
    } finally {
      await browser.close();
    }
  });
});
