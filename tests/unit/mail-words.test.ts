/**
 * The notices tests/integration/alert-mails.test.ts does not send through SMTP (the store probe's, the
 * resolved ones, the test mail), rendered by the real renderer: what to check first, and none of our words.
 */
import { describe, expect, it } from 'vitest';
import { assessProbes, type ProbeResult } from '../../sidecar/src/domain/probe';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { testContent } from '../../sidecar/src/notify/content';
import { healthResolvedContent } from '../../sidecar/src/notify/health-content';
import { probeContent, probeResolvedContent } from '../../sidecar/src/notify/probe-content';
import { EmailRenderer } from '../../sidecar/src/notify/renderer';
import { blindResolvedContent } from '../../sidecar/src/notify/reporting-content';
import { TEMPLATES_DIR } from '../../sidecar/src/templates';

const JARGON = [/sidecar/i, /outbox/i, /dead letter/i, /\bRAD\b/, /heartbeat/i, /\bIANA\b/, /WP-Cron(?!\.php)/i, /\bhold\b/i, /breached/i, /windowStart/, /failureSharePct/, /detector/i, /Store API/, /store probe/i];
const renderer = new EmailRenderer(TEMPLATES_DIR);
const store = { id: 'st_1', name: 'Shop', url: 'https://shop.example' };
const settings = { ...defaultSettings('Europe/Berlin'), alert_emails: ['owner@shop.example'] };
const now = new Date('2026-11-23T14:00:00Z');

function probeRun(at: Date, checkout: Partial<ProbeResult>): ProbeResult[] {
  return (['home', 'store_api', 'cart', 'checkout'] as const).map((target) => ({
    target,
    url: `https://shop.example/${target}`,
    at,
    ok: true,
    failure: null,
    status: 200,
    ttfbMs: 100,
    detail: '200 in 100 ms',
    ...(target === 'checkout' ? checkout : {}),
  }));
}

function bodyWords(kind: string, message: { html: string; text: string }) {
  for (const word of JARGON) {
    expect(message.text, `${kind} text says ${word}`).not.toMatch(word);
    expect(message.html.replace(/<[^>]+>/g, ' '), `${kind} html says ${word}`).not.toMatch(word);
  }
}

describe('the other notices in plain words', () => {
  it("the store probe's notice: which page, what it returned, what to check first", () => {
    const failing = { ok: false, failure: 'http_status' as const, status: 500, detail: 'HTTP 500' };
    const results = [...probeRun(new Date(now.getTime() - 5 * 60_000), failing), ...probeRun(now, failing)];
    const message = renderer.render(probeContent(store, settings, 7, assessProbes(results, 2)), 'https://monitor.example/acknowledge/x');
    expect(message.subject).toBe('[WOOM CRITICAL] Store probe: checkout page returns 500 at Shop');
    expect(message.text).toContain('We visit your store every few minutes as a customer with an empty cart would.');
    expect(message.text).toContain('  Checkout page https://shop.example/checkout returned: HTTP 500');
    expect(message.text).toContain('1. Open the failing pages in a private browser window');
    expect(message.text).toContain('2. Look in WooCommerce → Status → Logs for errors since 2026-11-23 14:55 GMT+1');
    bodyWords('probe', message);
  });

  it('the resolved notices and the test mail', () => {
    const messages = {
      probe_resolved: renderer.render(probeResolvedContent(store, settings, 7, 'checkout page returns 500', new Date(now.getTime() - 3_600_000), now)),
      health_resolved: renderer.render(healthResolvedContent(store, settings, 8, new Date(now.getTime() - 3_600_000), now)),
      blind_resolved: renderer.render(blindResolvedContent(store, settings, 9, new Date(now.getTime() - 1_800_000), now)),
      test: renderer.render(testContent(store, settings, now)),
    };
    expect(messages.probe_resolved.text).toContain("RESOLVED: your store's pages work again at Shop");
    expect(messages.blind_resolved.text).toContain('We are watching its orders again');
    for (const [kind, message] of Object.entries(messages)) bodyWords(kind, message);
  });
});
