import { formatLocal } from './time';

/**
 * The store probe: what the sidecar sees when it visits the store as a customer with an empty cart would
 * (README: "Store probe"). Pure: the caller passes what the requests returned, the history and the time.
 */
export const PROBE_TARGETS = ['home', 'store_api', 'cart', 'checkout'] as const;
export type ProbeTarget = (typeof PROBE_TARGETS)[number];

export const TARGET_LABELS: Record<ProbeTarget, string> = {
  home: 'home page',
  store_api: 'Store API (products)',
  cart: 'cart page',
  checkout: 'checkout page',
};

/** What one GET returned, as services/probe-http.ts saw it. */
export interface ProbeObservation {
  target: ProbeTarget;
  url: string;
  /** The last answer's HTTP status after following redirects; null when none came. */
  status: number | null;
  /** No answer at all: the connection failed, or nothing came within the time limit. */
  error: 'unreachable' | 'timeout' | null;
  errorMessage?: string | null;
  /** Time to the first byte of the last answer (after redirects). */
  ttfbMs: number | null;
  /** The body, cut at the reader's cap. */
  body: string;
  /** The URL of the last answer (differs from `url` after redirects). */
  finalUrl: string;
  redirected: boolean;
  /**
   * A redirect to a URL the same run requested already (the checkout's to the cart page), not followed
   * so that no URL is requested twice in a run: `status` is the redirect's, the page is judged by that
   * URL's own result.
   */
  notFollowed?: string | null;
}

export type ProbeFailure = 'unreachable' | 'timeout' | 'http_status' | 'missing_marker';

/** What WOOM keeps of one request (a row of store_probes). */
export interface ProbeResult {
  target: ProbeTarget;
  url: string;
  at: Date;
  ok: boolean;
  failure: ProbeFailure | null;
  status: number | null;
  ttfbMs: number | null;
  /** What came back, in words: "HTTP 500", "no payment method offered", "200 in 180 ms". */
  detail: string;
}

// WordPress's fatal-error handler (5.2+) answers this page; it is a 500, or a 200 when output had begun.
const CRITICAL_ERROR = /There has been a critical error on (this|your) website/i;
// Classic shortcode cart (templates cart/cart.php, cart/cart-empty.php) and the Cart block.
const CART_MARKER = /woocommerce-cart-form|wc-empty-cart-message|class="[^"]*\bcart-empty\b|wp-block-woocommerce-cart\b/i;
// Classic checkout form (`<form name="checkout" class="checkout woocommerce-checkout">`) and the Checkout block.
const CLASSIC_CHECKOUT = /<form[^>]*\bclass="[^"]*\bwoocommerce-checkout\b/i;
const BLOCK_CHECKOUT = /wp-block-woocommerce-checkout\b/i;
// checkout/payment.php's section (`<div id="payment" class="woocommerce-checkout-payment">`), and the
// Checkout block's payment step. The list of methods inside is only filled for a cart that needs payment.
const CLASSIC_PAYMENT = /\bid="payment"|woocommerce-checkout-payment\b/i;
const BLOCK_PAYMENT = /wp-block-woocommerce-checkout-payment-block/i;
const HTML_DOCUMENT = /<html[\s>]|<!doctype html/i;

export const PROBE_TIMEOUT_MS = 10_000;

/**
 * Classifies one request. A probe never fills a cart, so it meets the checkout as a new visitor does:
 * WooCommerce sends a visitor with an empty cart from the checkout page to the cart page, and that
 * redirect, landing on a working cart, is a working checkout. A checkout page that renders (a Checkout
 * block, or a store that turned the redirect off with `woocommerce_checkout_redirect_empty_cart`) must
 * show its payment form: the classic form's payment section, or the block's payment step. Which payment
 * methods are offered cannot be seen with an empty cart (WooCommerce lists them only for a cart that
 * needs payment): the bridge's health snapshot reports that. `cart`: this run's result for the cart
 * page, which judges a checkout whose redirect to it was not followed (`notFollowed`).
 */
export function classifyProbe(observation: ProbeObservation, at: Date, cart?: ProbeResult): ProbeResult {
  const base = { target: observation.target, url: observation.url, at, status: observation.status, ttfbMs: observation.ttfbMs };
  const fail = (failure: ProbeFailure, detail: string): ProbeResult => ({ ...base, ok: false, failure, detail });
  if (observation.error === 'timeout') return fail('timeout', `no answer within ${Math.round(PROBE_TIMEOUT_MS / 1000)} s`);
  if (observation.error || observation.status === null) return fail('unreachable', observation.errorMessage || 'no answer');
  // The checkout sent this visitor to the cart page the run has just requested: the checkout works as
  // the cart it leads to does, and fails as it does (what following the redirect would have seen).
  if (observation.target === 'checkout' && observation.notFollowed && cart) {
    if (!cart.ok) return { ...base, ok: false, failure: cart.failure, status: cart.status, detail: cart.detail };
    return { ...base, ok: true, failure: null, detail: `HTTP ${observation.status} in ${observation.ttfbMs ?? '?'} ms (sent to the cart: the cart is empty)` };
  }
  if (observation.status < 200 || observation.status >= 300) return fail('http_status', `HTTP ${observation.status}`);
  const missing = missingMarker(observation);
  if (missing) return fail('missing_marker', missing);
  const redirect = observation.redirected && observation.target === 'checkout' ? ' (sent to the cart: the cart is empty)' : '';
  return { ...base, ok: true, failure: null, detail: `HTTP ${observation.status} in ${observation.ttfbMs ?? '?'} ms${redirect}` };
}

/** Why a 2xx page is not what a working one is; null when it is. */
function missingMarker(o: ProbeObservation): string | null {
  if (o.target === 'store_api') {
    try {
      return Array.isArray(JSON.parse(o.body)) ? null : 'not a list of products';
    } catch {
      return 'not JSON';
    }
  }
  if (CRITICAL_ERROR.test(o.body)) return "WordPress's critical error message";
  if (o.target === 'home') return HTML_DOCUMENT.test(o.body) ? null : 'no HTML page';
  if (o.target === 'cart') return CART_MARKER.test(o.body) ? null : 'no cart';
  // checkout
  if (CLASSIC_CHECKOUT.test(o.body)) return CLASSIC_PAYMENT.test(o.body) ? null : 'no payment section';
  if (BLOCK_CHECKOUT.test(o.body)) return BLOCK_PAYMENT.test(o.body) ? null : 'no payment step';
  if (o.redirected && CART_MARKER.test(o.body)) return null;
  return 'no checkout form';
}

/** One target failing the probe `failuresToAlert` times in a row (or more). */
export interface ProbeProblem {
  target: ProbeTarget;
  failure: ProbeFailure;
  status: number | null;
  detail: string;
  url: string;
  /** The first failure of the current run of failures. */
  since: Date;
  /** In store terms: "checkout page returns 500". */
  message: string;
}

export interface ProbeAssessment {
  /** Targets failing `failuresToAlert` times in a row. */
  failing: ProbeProblem[];
  /** Every probed target's latest result passed. */
  allPassing: boolean;
  /** One line for the subject: "store unreachable", or the first failing target's message. */
  headline: string | null;
}

/** The message a store admin reads for one failing target. */
export function problemMessage(target: ProbeTarget, failure: ProbeFailure, status: number | null, detail: string): string {
  const label = TARGET_LABELS[target];
  if (failure === 'http_status') return `${label} returns ${status}`;
  if (failure === 'timeout') return `${label} does not answer within ${Math.round(PROBE_TIMEOUT_MS / 1000)} s`;
  if (failure === 'unreachable') return `${label} is unreachable (${detail})`;
  if (target === 'checkout' && (detail === 'no payment section' || detail === 'no payment step')) return 'checkout page no longer shows the payment form';
  if (detail === "WordPress's critical error message") return `${label} shows WordPress's critical error message`;
  const what: Record<ProbeTarget, string> = { home: 'a page', store_api: 'products', cart: 'the cart', checkout: 'the checkout form' };
  return `${label} no longer shows ${what[target]} (${detail})`;
}

const isOutage = (f: ProbeFailure) => f === 'unreachable' || f === 'timeout';

/**
 * Reads the recent results (any order, several targets) and says which targets fail `failuresToAlert`
 * times in a row. One blip is not a problem; every target without an answer is "store unreachable".
 * `earlier`: the failing pages an open alert recorded. A page that failed in every recent result has
 * failed since before them, so it keeps the date its alert recorded: the caller reads only a few runs,
 * however long the store has been down.
 */
export function assessProbes(results: readonly ProbeResult[], failuresToAlert: number, earlier: readonly StoredProbeProblem[] = []): ProbeAssessment {
  const failing: ProbeProblem[] = [];
  let allPassing = true;
  let probed = 0;
  for (const target of PROBE_TARGETS) {
    const newestFirst = results.filter((r) => r.target === target).sort((a, b) => b.at.getTime() - a.at.getTime());
    if (newestFirst.length === 0) continue;
    probed += 1;
    if (!newestFirst[0]!.ok) allPassing = false;
    const run = newestFirst.findIndex((r) => r.ok);
    const failures = run === -1 ? newestFirst.length : run;
    if (failures < failuresToAlert) continue;
    const latest = newestFirst[0]!;
    const oldestInView = newestFirst[failures - 1]!.at;
    const recorded = run === -1 ? earlier.find((p) => p.target === target) : undefined;
    const recordedSince = recorded ? new Date(recorded.since) : null;
    failing.push({
      target,
      failure: latest.failure!,
      status: latest.status,
      detail: latest.detail,
      url: latest.url,
      since: recordedSince && recordedSince < oldestInView ? recordedSince : oldestInView,
      message: problemMessage(target, latest.failure!, latest.status, latest.detail),
    });
  }
  const unreachable = failing.length > 0 && failing.length === probed && failing.every((p) => isOutage(p.failure));
  return { failing, allPassing, headline: unreachable ? 'store unreachable' : (byPriority(failing)[0]?.message ?? null) };
}

// The subject names what costs orders most directly.
const priority = (t: ProbeTarget) => ['checkout', 'cart', 'store_api', 'home'].indexOf(t);

/**
 * Whether the probe alert should be open: it opens on `failuresToAlert` failures in a row and, once
 * open, stays until every target's latest probe passes (a target that fails again once keeps it).
 */
export function probeProblemPresent(assessment: ProbeAssessment, alertOpen: boolean): boolean {
  return alertOpen ? !assessment.allPassing : assessment.failing.length > 0;
}

/**
 * What a failing page's problem is, in a key that stays the same while the problem does: an outage
 * (refused or timed out alike), a status, or what the page lacks. A new key while the alert is open is
 * a new cause, told once.
 */
export function probeCause(p: Pick<ProbeProblem, 'target' | 'failure' | 'status' | 'detail'>): string {
  if (isOutage(p.failure)) return `${p.target}:down`;
  if (p.failure === 'http_status') return `${p.target}:status ${p.status}`;
  return `${p.target}:${p.detail}`;
}

/** The problems in the order the subject names them: what costs orders most directly first. */
export const byPriority = <T extends { target: ProbeTarget }>(problems: readonly T[]): T[] => [...problems].sort((a, b) => priority(a.target) - priority(b.target));

/** The failing part of an open probe alert, as stored in its details and read back. */
export interface StoredProbeProblem {
  target: ProbeTarget;
  failure: ProbeFailure;
  status: number | null;
  detail: string;
  since: string;
}

/**
 * The clause an order alert adds while a probe problem is open, so "no orders" comes with its likely
 * cause: "the checkout page has returned 500 since 2026-11-24 10:12 GMT+1". Only order drops (time-based,
 * orders stopped or dropped) are explained; failing orders have causes of their own.
 */
export function explainOrderDrop(firedDetectors: readonly string[], problems: readonly StoredProbeProblem[], timezone: string): string | null {
  if (!firedDetectors.some((d) => d === 'time_based' || d === 'order_flow') || problems.length === 0) return null;
  const since = (p: StoredProbeProblem) => formatLocal(new Date(p.since), timezone);
  if (problems.length === PROBE_TARGETS.length && problems.every((p) => isOutage(p.failure))) {
    const first = problems.reduce((a, b) => (a.since <= b.since ? a : b));
    return `the store has been unreachable since ${since(first)}`;
  }
  return [...problems]
    .sort((a, b) => priority(a.target) - priority(b.target))
    .map((p) => `the ${TARGET_LABELS[p.target]} ${clause(p)} since ${since(p)}`)
    .join(', and ');
}

function clause(p: StoredProbeProblem): string {
  if (p.failure === 'http_status') return `has returned ${p.status}`;
  if (isOutage(p.failure)) return 'has not answered';
  if (p.target === 'checkout' && p.detail !== 'no checkout form') return 'has not shown the payment form';
  return `has shown ${p.detail}`;
}

/** Probes that passed, out of all, as a percentage; null when there were none. */
export function uptimePct(total: number, passed: number): number | null {
  if (total <= 0) return null;
  return Math.floor((passed / total) * 10_000) / 100;
}

export const formatUptime = (pct: number | null): string => (pct === null ? 'no probes yet' : `${pct.toFixed(2)}%`);

/**
 * The URLs a probe requests. Cart and checkout come from the store's own report (its permalinks) when
 * it sent one; before the first heartbeat WooCommerce's default page slugs are assumed.
 */
export function probeUrls(storeUrl: string, reported: { cart?: string | null; checkout?: string | null; restUrl?: string | null }): Record<ProbeTarget, string> {
  const home = storeUrl.replace(/\/+$/, '');
  const rest = reported.restUrl || `${home}/wp-json/`;
  const products = `${rest.replace(/\/+$/, '')}/wc/store/v1/products`;
  return {
    home: `${home}/`,
    store_api: `${products}${products.includes('?') ? '&' : '?'}per_page=1`,
    cart: reported.cart || `${home}/cart/`,
    checkout: reported.checkout || `${home}/checkout/`,
  };
}
