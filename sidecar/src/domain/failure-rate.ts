import type { Baseline } from './baseline';
import { BUDGET_SHARE, learningNote, learningOf, round1 } from './budget';
import type { Severity } from './detectors';
import { diagnose, type Diagnosis, type OrderDetail } from './diagnosis';
import { HOLD_SHARE } from './order-flow';
import type { Settings } from './settings';

export interface FailureRateResult {
  detector: 'failure_rate';
  breached: boolean;
  learning: boolean;
  learningDaysLeft: number;
  /** The failing stretch: from its first failure to now. */
  startedAt: Date | null;
  failed: number;
  considered: number;
  sharePct: number;
  baselineSharePct: number;
  statistic: number;
  limit: number;
  /** Failed carts in a row at the newest end, and how many in a row the run test alerts at. */
  failedInARow: number;
  runLimit: number;
  severity: Severity;
  diagnosis: Diagnosis | null;
  summary: string;
}

/** The test reads at most this many of the newest classified orders: a bounded loop at every check. */
export const FAILURE_LOOKBACK_ORDERS = 300;
/** A failed order followed this soon by one with the same total and payment method is the same cart retried. */
const RETRY_WINDOW_MS = 10 * 60_000;
/** A customer gives up after a few tries; more "retries" than this are other customers. */
const MAX_ATTEMPTS = 3;

/** Merged carts, oldest first: each its last attempt, with every attempt beside it (for the diagnosis). */
interface Carts {
  carts: OrderDetail[];
  attempts: OrderDetail[][];
}

/**
 * A declined customer often tries again two or three times: counted separately, one ordinary decline
 * would look like a burst. Each retried cart counts once, with the outcome of its last attempt.
 */
export function mergeRetries(chronological: readonly OrderDetail[], isFailure: (o: OrderDetail) => boolean): OrderDetail[] {
  return mergeCarts(chronological, isFailure).carts;
}

// The orders themselves are kept (no copies): this runs at every check over up to 300 orders.
function mergeCarts(chronological: readonly OrderDetail[], isFailure: (o: OrderDetail) => boolean): Carts {
  const carts: OrderDetail[] = [];
  const attempts: OrderDetail[][] = [];
  for (const order of chronological) {
    let merged = false;
    for (let i = carts.length - 1; i >= 0 && i >= carts.length - 50; i--) {
      const cart = carts[i]!;
      const tries = attempts[i]!;
      if (order.createdAt.getTime() - cart.createdAt.getTime() > RETRY_WINDOW_MS) break;
      // A shop selling one product at one price would otherwise fold a whole failing hour into one cart.
      if (tries.length >= MAX_ATTEMPTS || order.createdAt.getTime() - tries[0]!.createdAt.getTime() > RETRY_WINDOW_MS) continue;
      if (isFailure(cart) && sameCart(cart, order)) {
        carts[i] = order;
        tries.push(order);
        merged = true;
        break;
      }
    }
    if (!merged) {
      carts.push(order);
      attempts.push([order]);
    }
  }
  return { carts, attempts };
}

/**
 * For the baseline's usual failure share: which failures of a chronological run of customer orders
 * (every status: a retry left pending is a retry all the same) were tried again: a later order of the
 * same cart, at most the retry window after it. The sidecar's hourly roll-ups count them with this
 * function (store/rollups), ordered by creation time and then order id.
 */
export function retriedFailures(chronological: readonly OrderDetail[], isFailure: (o: OrderDetail) => boolean): boolean[] {
  return chronological.map((order, i) => {
    if (!isFailure(order)) return false;
    for (let j = i + 1; j < chronological.length; j++) {
      const later = chronological[j]!;
      if (later.createdAt.getTime() - order.createdAt.getTime() > RETRY_WINDOW_MS) return false;
      if (sameCart(order, later)) return true;
    }
    return false;
  });
}

export const RETRY_WINDOW_MINUTES = RETRY_WINDOW_MS / 60_000;

const sameCart = (a: OrderDetail, b: OrderDetail): boolean =>
  typeof a.total === 'number' && a.total > 0 && a.total === b.total && (a.paymentMethod ?? '') === (b.paymentMethod ?? '');

/** Failure shares the two CUSUMs are tuned to: half failing (a flaky gateway), nearly all (checkout broken). */
const PARTIAL_SHARE = 0.5;
const TOTAL_SHARE = 0.97;
/** One or two declined cards in a row happen to every store: the run test never alerts on fewer than this. */
const MIN_FAILURE_RUN = 3;
const MAX_FAILURE_RUN = 50;

/**
 * The run test: how many failed carts in a row, with no success between, the store's usual failure share
 * makes rare enough for the budget. A run of k or more starts at a given cart with chance (1 - p) p^k (a
 * success, then k failures), so a store of N carts a month sees N (1 - p) p^k such runs by chance: exact
 * for independent carts, where the CUSUMs' Wald bound is loose. `p` must be the share of attempts that
 * fail, not of carts: the newest carts of a run are read before their customers have tried again, and
 * counted with the cart share the run test alerted at 3 on the benchmark's busy store 1.3 times a month.
 */
export function failureRunLimit(failureShare: number, cartsPerMonth: number, budget: number): { length: number; perMonth: number } {
  const p0 = failureShare;
  const carts = Math.max(100, cartsPerMonth);
  for (let k = MIN_FAILURE_RUN; k < MAX_FAILURE_RUN; k++) {
    const perMonth = carts * (1 - p0) * p0 ** k;
    if (perMonth <= budget) return { length: k, perMonth };
  }
  return { length: MAX_FAILURE_RUN, perMonth: carts * (1 - p0) * p0 ** MAX_FAILURE_RUN };
}

/**
 * Bernoulli CUSUMs of the failure share against the store's own share of failures, one tuned to half of
 * the orders failing, one to all of them, beside the run test above. The CUSUMs' threshold spends their
 * share of the budget over the month's orders (Wald's bound, on the safe side), so a store with few
 * declines hears after two or three failed orders in a row and a store with many ordinary declines is not
 * woken by them. `watchingSince`: when the monitor began checking; older orders are not tested.
 */
export function evaluateFailureRate(
  settings: Settings,
  baseline: Baseline,
  newestFirst: readonly OrderDetail[],
  alertOpen = false,
  watchingSince: Date | null = null,
): FailureRateResult {
  const learning = learningOf(baseline);
  const isFailure = (o: OrderDetail) => settings.failure_statuses.includes(o.status);
  // Orders from before the monitor began are the baseline's, not news: a store's first check must not
  // alert on failures days old (and then remind of them until enough new orders push them out).
  const attempts = newestFirst
    .filter((o) => (isFailure(o) || settings.success_statuses.includes(o.status)) && !(watchingSince && o.createdAt < watchingSince))
    .slice(0, FAILURE_LOOKBACK_ORDERS)
    .reverse();
  const { carts: classified, attempts: cartAttempts } = mergeCarts(attempts, isFailure);
  const p0 = baseline.failureShare;
  const coverage2 = learning.coverage ** 2;
  const budget = settings.false_alarms_per_month * BUDGET_SHARE.failures * coverage2;
  const limit = Math.log(Math.max(1, baseline.classifiedPerMonth, 100) / budget);
  const runLimit = failureRunLimit(
    baseline.freshFailureShare,
    baseline.classifiedPerMonth,
    settings.false_alarms_per_month * BUDGET_SHARE.failureRun * coverage2,
  );

  let worst = { statistic: 0, start: -1 };
  for (const p1 of [Math.max(PARTIAL_SHARE, Math.min(0.9, 3 * p0)), TOTAL_SHARE]) {
    const up = Math.log(p1 / p0);
    const down = Math.log((1 - p1) / (1 - p0));
    let statistic = 0;
    let start = -1;
    classified.forEach((o, i) => {
      statistic = Math.max(0, statistic + (isFailure(o) ? up : down));
      if (statistic === 0) start = -1;
      else if (start < 0) start = i;
    });
    if (statistic > worst.statistic) worst = { statistic, start };
  }
  let run = 0;
  while (run < classified.length && isFailure(classified[classified.length - 1 - run]!)) run++;

  const byCusum = worst.statistic >= (alertOpen ? HOLD_SHARE : 1) * limit;
  const byRun = run >= runLimit.length;
  const episodeStart = byCusum ? worst.start : byRun ? classified.length - run : -1;
  const episode = episodeStart >= 0 ? classified.slice(episodeStart) : [];
  const failed = episode.filter(isFailure).length;
  const considered = episode.length;
  const sharePct = considered ? Math.round((failed / considered) * 1000) / 10 : 0;
  const baselineSharePct = round1(p0 * 100);
  const breached = (byCusum || byRun) && failed > 0;
  const base = {
    detector: 'failure_rate' as const,
    learning: learning.learning,
    learningDaysLeft: learning.daysLeft,
    failed,
    considered,
    sharePct,
    baselineSharePct,
    statistic: round1(worst.statistic),
    limit: round1(limit),
    failedInARow: run,
    runLimit: runLimit.length,
  };
  if (!breached) {
    const recent = classified.slice(-20);
    const recentFailed = recent.filter(isFailure).length;
    return {
      ...base,
      breached: false,
      startedAt: null,
      severity: 'warning',
      diagnosis: null,
      summary: `${recentFailed} of the last ${recent.length} orders failed; usual share ${baselineSharePct}%, normal${learningNote(learning)}`,
    };
  }
  // The spec's reference: 3-5 payment failures are a warning, 10 or more critical.
  const critical = failed >= CRITICAL_FAILURES && sharePct >= 50;
  // Card testers and retrying customers look alike once merged into carts: the diagnosis reads every attempt.
  const episodeAttempts = cartAttempts.slice(episodeStart).flat();
  const firstAttemptAt = episodeAttempts[0]?.createdAt ?? null;
  const inARow = byRun && !byCusum ? `${run} orders in a row failed` : `${failed} of the last ${considered} orders failed (${sharePct}%)`;
  return {
    ...base,
    breached: true,
    startedAt: firstAttemptAt,
    severity: critical ? 'critical' : 'warning',
    diagnosis: diagnose(episodeAttempts, isFailure, baseline.averageOrderValue),
    summary: `${inARow} where about ${baselineSharePct}% usually fail${learningNote(learning)}`,
  };
}

/** Failed orders from which a failing checkout is critical (with at least half of its orders failing). */
export const CRITICAL_FAILURES = 10;
