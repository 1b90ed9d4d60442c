import { describe, expect, it } from 'vitest';
import {
  assessProbes,
  classifyProbe,
  explainOrderDrop,
  formatUptime,
  probeCause,
  probeProblemPresent,
  probeUrls,
  uptimePct,
  type ProbeObservation,
  type ProbeResult,
  type ProbeTarget,
} from '../../sidecar/src/domain/probe';

const AT = new Date('2026-11-24T09:12:00Z');

const seen = (target: ProbeTarget, o: Partial<ProbeObservation> = {}): ProbeObservation => ({
  target,
  url: `https://shop.example/${target}`,
  status: 200,
  error: null,
  ttfbMs: 120,
  body: '',
  finalUrl: `https://shop.example/${target}`,
  redirected: false,
  ...o,
});

const CLASSIC_CHECKOUT =
  '<html><body><div class="woocommerce"><form name="checkout" method="post" class="checkout woocommerce-checkout" action="/checkout/">' +
  '<div id="order_review" class="woocommerce-checkout-review-order"><div id="payment" class="woocommerce-checkout-payment"><button id="place_order">Place order</button></div></div></form></div></body></html>';
const EMPTY_CART = '<html><body><div class="woocommerce"><div class="wc-empty-cart-message"><div class="cart-empty woocommerce-info">Your cart is currently empty.</div></div></div></body></html>';

describe('classifyProbe', () => {
  it('passes what a working store answers', () => {
    expect(classifyProbe(seen('home', { body: '<!doctype html><html><body>Shop</body></html>' }), AT)).toMatchObject({ ok: true, failure: null, detail: 'HTTP 200 in 120 ms' });
    expect(classifyProbe(seen('store_api', { body: '[{"id":1}]' }), AT).ok).toBe(true);
    expect(classifyProbe(seen('store_api', { body: '[]' }), AT).ok).toBe(true);
    expect(classifyProbe(seen('cart', { body: EMPTY_CART }), AT).ok).toBe(true);
    expect(classifyProbe(seen('checkout', { body: CLASSIC_CHECKOUT }), AT).ok).toBe(true);
    expect(classifyProbe(seen('checkout', { body: '<div class="wp-block-woocommerce-checkout"><div class="wp-block-woocommerce-checkout-payment-block"></div></div>' }), AT).ok).toBe(true);
  });

  it("takes WooCommerce's redirect of an empty cart from the checkout to the cart as a working checkout", () => {
    const result = classifyProbe(seen('checkout', { body: EMPTY_CART, redirected: true, finalUrl: 'https://shop.example/cart/' }), AT);
    expect(result).toMatchObject({ ok: true, detail: 'HTTP 200 in 120 ms (sent to the cart: the cart is empty)' });
  });

  it('judges a checkout whose redirect to the cart was not followed by the cart page the run requested', () => {
    const redirect = seen('checkout', { status: 302, redirected: true, finalUrl: 'https://shop.example/cart/', notFollowed: 'https://shop.example/cart/' });
    const cart = classifyProbe(seen('cart', { body: EMPTY_CART }), AT);
    expect(classifyProbe(redirect, AT, cart)).toMatchObject({ ok: true, status: 302, detail: 'HTTP 302 in 120 ms (sent to the cart: the cart is empty)' });
    const brokenCart = classifyProbe(seen('cart', { status: 500 }), AT);
    expect(classifyProbe(redirect, AT, brokenCart)).toMatchObject({ ok: false, failure: 'http_status', status: 500, detail: 'HTTP 500' });
    const noCart = classifyProbe(seen('cart', { body: '<html><p>Hello</p></html>' }), AT);
    expect(classifyProbe(redirect, AT, noCart)).toMatchObject({ ok: false, failure: 'missing_marker', detail: 'no cart' });
  });

  it('names each kind of failure', () => {
    expect(classifyProbe(seen('home', { status: null, error: 'unreachable', errorMessage: 'connection refused, ECONNREFUSED', ttfbMs: null }), AT)).toMatchObject({
      ok: false,
      failure: 'unreachable',
      detail: 'connection refused, ECONNREFUSED',
    });
    expect(classifyProbe(seen('cart', { status: null, error: 'timeout', ttfbMs: null }), AT)).toMatchObject({ failure: 'timeout', detail: 'no answer within 10 s' });
    expect(classifyProbe(seen('checkout', { status: 500, body: 'There has been a critical error on this website.' }), AT)).toMatchObject({ failure: 'http_status', detail: 'HTTP 500' });
    expect(classifyProbe(seen('checkout', { status: 404 }), AT)).toMatchObject({ failure: 'http_status', status: 404 });
  });

  it('fails a page that answers 200 without what a working one shows', () => {
    const noPayment = CLASSIC_CHECKOUT.replace(/<div id="payment"[^]*?<\/div>/, '');
    expect(classifyProbe(seen('checkout', { body: noPayment }), AT)).toMatchObject({ failure: 'missing_marker', detail: 'no payment section' });
    expect(classifyProbe(seen('checkout', { body: '<div class="wp-block-woocommerce-checkout"></div>' }), AT).detail).toBe('no payment step');
    expect(classifyProbe(seen('checkout', { body: '<html><p>Hello</p></html>' }), AT).detail).toBe('no checkout form');
    expect(classifyProbe(seen('cart', { body: '<html><p>Hello</p></html>' }), AT).detail).toBe('no cart');
    expect(classifyProbe(seen('store_api', { body: '<html>' }), AT).detail).toBe('not JSON');
    expect(classifyProbe(seen('store_api', { body: '{"code":"rest_no_route"}' }), AT).detail).toBe('not a list of products');
    expect(classifyProbe(seen('home', { body: '<html><p>There has been a critical error on this website.</p></html>' }), AT).detail).toBe("WordPress's critical error message");
    expect(classifyProbe(seen('home', { body: '' }), AT).detail).toBe('no HTML page');
  });
});

const result = (target: ProbeTarget, minute: number, o: Partial<ProbeResult> = {}): ProbeResult => ({
  target,
  url: `https://shop.example/${target}`,
  at: new Date(AT.getTime() + minute * 60_000),
  ok: true,
  failure: null,
  status: 200,
  ttfbMs: 100,
  detail: 'HTTP 200 in 100 ms',
  ...o,
});
const http500 = { ok: false, failure: 'http_status' as const, status: 500, detail: 'HTTP 500' };
const refused = { ok: false, failure: 'unreachable' as const, status: null, detail: 'connection refused, ECONNREFUSED' };
const run = (minute: number, failing: Partial<Record<ProbeTarget, Partial<ProbeResult>>> = {}): ProbeResult[] =>
  (['home', 'store_api', 'cart', 'checkout'] as const).map((t) => result(t, minute, failing[t] ?? {}));

describe('assessProbes and probeProblemPresent', () => {
  it('is not a problem after one failure, and is one after two in a row', () => {
    const once = assessProbes([...run(0), ...run(5, { checkout: http500 })], 2);
    expect(once.failing).toEqual([]);
    expect(once.allPassing).toBe(false);
    expect(probeProblemPresent(once, false)).toBe(false);

    const twice = assessProbes([...run(0), ...run(5, { checkout: http500 }), ...run(10, { checkout: http500 })], 2);
    expect(twice.failing).toHaveLength(1);
    expect(twice.failing[0]).toMatchObject({ target: 'checkout', message: 'checkout page returns 500', since: new Date(AT.getTime() + 5 * 60_000) });
    expect(twice.headline).toBe('checkout page returns 500');
    expect(probeProblemPresent(twice, false)).toBe(true);
  });

  it("keeps the date an open alert recorded for a page that failed in every run in view, and only then", () => {
    const earlier = [{ target: 'checkout' as const, failure: 'http_status' as const, status: 500, detail: 'HTTP 500', since: '2026-11-20T08:00:00.000Z' }];
    const stillFailing = assessProbes([...run(0, { checkout: http500 }), ...run(5, { checkout: http500 }), ...run(10, { checkout: http500 })], 2, earlier);
    expect(stillFailing.failing[0]?.since).toEqual(new Date('2026-11-20T08:00:00.000Z'));
    // It passed in between: a new streak, dated from its own first failure.
    const again = assessProbes([...run(0), ...run(5, { checkout: http500 }), ...run(10, { checkout: http500 })], 2, earlier);
    expect(again.failing[0]?.since).toEqual(new Date(AT.getTime() + 5 * 60_000));
  });

  it('does not count failures that are not in a row', () => {
    const flaky = assessProbes([...run(0, { cart: http500 }), ...run(5), ...run(10, { cart: http500 })], 2);
    expect(flaky.failing).toEqual([]);
  });

  it('calls every page without an answer "store unreachable"', () => {
    const all = { home: refused, store_api: refused, cart: refused, checkout: refused };
    const down = assessProbes([...run(0, all), ...run(5, all)], 2);
    expect(down.headline).toBe('store unreachable');
    expect(down.failing.map((p) => p.message)).toContain('home page is unreachable (connection refused, ECONNREFUSED)');
  });

  it('stays open until every page passes again, and then clears', () => {
    const failing = assessProbes([...run(0, { checkout: http500 }), ...run(5, { checkout: http500 }), ...run(10, { checkout: http500 })], 2);
    const recovering = assessProbes([...run(5, { checkout: http500 }), ...run(10), ...run(15, { cart: http500 })], 2);
    expect(probeProblemPresent(failing, true)).toBe(true);
    expect(probeProblemPresent(recovering, true)).toBe(true);
    const passed = assessProbes([...run(10, { checkout: http500 }), ...run(15)], 2);
    expect(probeProblemPresent(passed, true)).toBe(false);
  });

  it('names the payment form when the checkout lost it', () => {
    const lost = { ok: false, failure: 'missing_marker' as const, detail: 'no payment section' };
    const a = assessProbes([...run(0, { checkout: lost }), ...run(5, { checkout: lost })], 2);
    expect(a.headline).toBe('checkout page no longer shows the payment form');
  });
});

describe('probeCause', () => {
  it('keeps one key while a problem stays the same, and a new one when it changes', () => {
    expect(probeCause({ target: 'home', failure: 'unreachable', status: null, detail: 'connection refused, ECONNREFUSED' })).toBe('home:down');
    expect(probeCause({ target: 'home', failure: 'timeout', status: null, detail: 'no answer within 10 s' })).toBe('home:down');
    expect(probeCause({ target: 'checkout', failure: 'http_status', status: 500, detail: 'HTTP 500' })).toBe('checkout:status 500');
    expect(probeCause({ target: 'checkout', failure: 'missing_marker', status: 200, detail: 'no payment section' })).toBe('checkout:no payment section');
  });
});

describe('explainOrderDrop', () => {
  const problem = { target: 'checkout' as const, failure: 'http_status' as const, status: 500, detail: 'HTTP 500', since: '2026-11-24T09:12:00Z' };

  it('explains an order drop with what the probe sees, in the store time zone', () => {
    expect(explainOrderDrop(['order_flow'], [problem], 'Europe/Berlin')).toBe('the checkout page has returned 500 since 2026-11-24 10:12 GMT+1');
    expect(explainOrderDrop(['time_based'], [problem, { ...problem, target: 'cart', failure: 'timeout', status: null }], 'UTC')).toBe(
      'the checkout page has returned 500 since 2026-11-24 09:12 UTC, and the cart page has not answered since 2026-11-24 09:12 UTC',
    );
  });

  it('says "unreachable" when nothing answers, and says nothing for failing orders or without a problem', () => {
    const down = (['home', 'store_api', 'cart', 'checkout'] as const).map((target) => ({ ...problem, target, failure: 'unreachable' as const, status: null }));
    expect(explainOrderDrop(['order_flow'], down, 'UTC')).toBe('the store has been unreachable since 2026-11-24 09:12 UTC');
    expect(explainOrderDrop(['failure_rate'], [problem], 'UTC')).toBeNull();
    expect(explainOrderDrop(['order_flow'], [], 'UTC')).toBeNull();
  });
});

describe('uptime and URLs', () => {
  it('computes uptime as the share of probes that passed', () => {
    expect(uptimePct(288, 288)).toBe(100);
    expect(uptimePct(288, 287)).toBe(99.65);
    expect(uptimePct(0, 0)).toBeNull();
    expect(formatUptime(99.65)).toBe('99.65%');
    expect(formatUptime(null)).toBe('no probes yet');
  });

  it("uses the store's own page URLs and REST root, else WooCommerce's default slugs", () => {
    expect(probeUrls('https://shop.example/', {})).toEqual({
      home: 'https://shop.example/',
      store_api: 'https://shop.example/wp-json/wc/store/v1/products?per_page=1',
      cart: 'https://shop.example/cart/',
      checkout: 'https://shop.example/checkout/',
    });
    expect(probeUrls('http://127.0.0.1:8000', { cart: 'http://127.0.0.1:8000/?page_id=5', checkout: 'http://127.0.0.1:8000/?page_id=6', restUrl: 'http://127.0.0.1:8000/?rest_route=/' })).toEqual({
      home: 'http://127.0.0.1:8000/',
      store_api: 'http://127.0.0.1:8000/?rest_route=/wc/store/v1/products&per_page=1',
      cart: 'http://127.0.0.1:8000/?page_id=5',
      checkout: 'http://127.0.0.1:8000/?page_id=6',
    });
  });
});
