import type { Severity } from './detectors';
import { formatLocal, localDate, localTime, zonedToUtc } from './time';

/**
 * Subscription renewals, judged on their own. They stay out of the checkout baseline (a renewal says
 * nothing about the checkout), but a store's nightly renewal run is a flow of its own: each run's failure
 * share is compared with the store's usual, and a usual run that does not come at all is told.
 */

export interface RenewalOrder {
  status: string;
  createdAt: Date;
  paymentMethod: string | null;
}

export interface RenewalResult {
  detector: 'renewals';
  breached: boolean;
  /** Fewer past runs than needed to know the usual. */
  learning: boolean;
  kind: 'ok' | 'failing' | 'missing';
  severity: Severity;
  runStartedAt: Date | null;
  runOrders: number;
  runFailed: number;
  /** The usual failure share of a run, in percent, and as "about 1 in N". */
  usualSharePct: number;
  usualOneIn: number | null;
  /** When the usual run was expected (the missing-run test). */
  expectedAt: Date | null;
  /** Failed renewals of the run per payment method. */
  failedByMethod: Record<string, number>;
  startedAt: Date | null;
  summary: string;
}

/** Renewals this close together belong to one run (a scheduler works through its queue in minutes). */
export const RUN_GAP_MINUTES = 30;
/** A run is judged this long after its last renewal; then the next run is awaited. */
export const RUN_JUDGED_HOURS = 6;
/** Past runs needed before the usual share (and the usual time) is trusted. */
export const MIN_PAST_RUNS = 3;
/** Classified renewals a run needs before its share is judged. */
export const MIN_RUN_ORDERS = 5;
/** How unlikely the run's failures must be at the usual share before it alerts (a one-sided binomial tail). */
const TAIL_LIMIT = 1e-4;
/** Whatever the usual, a run failing less than this is never alarming. */
const MIN_ALARMING_SHARE = 0.3;
/** A usual run is missing this long after its usual time. */
export const MISSING_GRACE_MINUTES = 120;
/** ...and stays missing for this long (the next day's run is awaited afresh). */
const MISSING_FOR_HOURS = 12;
/** How far back renewals are read: the usual share and the usual time come from here. */
export const RENEWAL_LOOKBACK_DAYS = 28;

interface Run {
  orders: RenewalOrder[];
  start: Date;
  end: Date;
}

function runsOf(chronological: readonly RenewalOrder[]): Run[] {
  const runs: Run[] = [];
  for (const order of chronological) {
    const last = runs[runs.length - 1];
    if (last && order.createdAt.getTime() - last.end.getTime() <= RUN_GAP_MINUTES * 60_000) {
      last.orders.push(order);
      last.end = order.createdAt;
    } else runs.push({ orders: [order], start: order.createdAt, end: order.createdAt });
  }
  return runs;
}

/** P(X >= k) for X ~ Binomial(n, p): how surprising k failures of n are at the usual share p. */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let term = Math.pow(1 - p, n); // P(X = 0)
  let cdf = 0;
  for (let i = 0; i < k; i++) {
    cdf += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.max(0, 1 - cdf);
}

export interface RenewalStatuses {
  success_statuses: readonly string[];
  failure_statuses: readonly string[];
  timezone: string;
}

/**
 * The renewal verdict at `now` from the store's renewals of the last RENEWAL_LOOKBACK_DAYS, oldest first
 * (only those created by `now`).
 */
export function evaluateRenewals(now: Date, settings: RenewalStatuses, chronological: readonly RenewalOrder[]): RenewalResult {
  const isFailure = (o: RenewalOrder) => settings.failure_statuses.includes(o.status);
  const classified = (o: RenewalOrder) => isFailure(o) || settings.success_statuses.includes(o.status);
  const known = chronological.filter((o) => o.createdAt <= now && classified(o));
  const runs = runsOf(known);
  const last = runs[runs.length - 1];
  const current = last && now.getTime() - last.end.getTime() <= RUN_JUDGED_HOURS * 3_600_000 ? last : null;
  const past = current ? runs.slice(0, -1) : runs;
  const pastOrders = past.flatMap((r) => r.orders);
  const pastFailed = pastOrders.filter(isFailure).length;
  // One failure in twenty assumed before any is seen, so a store with no failures yet still has a usual.
  const usual = (pastFailed + 1) / (pastOrders.length + 20);
  const usualSharePct = Math.round(usual * 1000) / 10;
  const usualOneIn = usual > 0 ? Math.max(1, Math.round(1 / usual)) : null;
  const base: RenewalResult = {
    detector: 'renewals',
    breached: false,
    learning: past.length < MIN_PAST_RUNS,
    kind: 'ok',
    severity: 'warning',
    runStartedAt: current?.start ?? null,
    runOrders: current?.orders.length ?? 0,
    runFailed: current ? current.orders.filter(isFailure).length : 0,
    usualSharePct,
    usualOneIn,
    expectedAt: null,
    failedByMethod: {},
    startedAt: null,
    summary: runs.length === 0 ? 'no subscription renewals seen' : `renewals usually fail about 1 in ${usualOneIn}`,
  };
  if (base.learning) {
    return { ...base, summary: runs.length === 0 ? base.summary : `${past.length} of the ${MIN_PAST_RUNS} renewal runs needed to know the usual` };
  }

  if (current) {
    const failedOrders = current.orders.filter(isFailure);
    const n = current.orders.length;
    const k = failedOrders.length;
    const share = n === 0 ? 0 : k / n;
    const at = formatLocal(current.start, settings.timezone).slice(11);
    const byMethod: Record<string, number> = {};
    for (const o of failedOrders) byMethod[o.paymentMethod ?? 'unknown'] = (byMethod[o.paymentMethod ?? 'unknown'] ?? 0) + 1;
    const alarming = n >= MIN_RUN_ORDERS && share >= Math.max(MIN_ALARMING_SHARE, 2 * usual) && binomialTail(n, k, usual) < TAIL_LIMIT;
    const methods = Object.entries(byMethod)
      .sort((a, b) => b[1] - a[1])
      .map(([m, c]) => `${m}: ${c}`)
      .join(', ');
    const summary = `${k} of ${n} renewals failed in the run at ${at}; usually about 1 in ${usualOneIn}${methods ? ` (failed by payment method: ${methods})` : ''}`;
    const firstFailure = failedOrders[0]?.createdAt ?? null;
    return {
      ...base,
      breached: alarming,
      kind: alarming ? 'failing' : 'ok',
      severity: alarming && share >= 0.5 ? 'critical' : 'warning',
      failedByMethod: byMethod,
      startedAt: alarming ? firstFailure : null,
      summary,
    };
  }

  const expected = expectedRunAt(now, settings.timezone, past);
  if (expected) {
    const since = new Date(expected.getTime() - 3 * 3_600_000);
    const cameSince = known.some((o) => o.createdAt >= since);
    if (!cameSince) {
      return {
        ...base,
        breached: true,
        kind: 'missing',
        severity: 'warning',
        expectedAt: expected,
        startedAt: expected,
        summary: `the renewal run usually comes at about ${formatLocal(expected, settings.timezone).slice(11)}; none has come since ${formatLocal(since, settings.timezone)}`,
      };
    }
  }
  return base;
}

/** A scheduled run works through its queue within this long; a longer chain is renewals spread over the day. */
const SCHEDULED_RUN_MAX_HOURS = 2;
/** A scheduled run starts within this many minutes of its usual time. */
const SCHEDULED_START_SPREAD_MINUTES = 60;

/**
 * When the day's usual run was due, if it is overdue now: the store runs renewals on most days (5 of the
 * last 7) at about one time of day (the median start), and that time was more than the grace ago but
 * less than MISSING_FOR_HOURS. Null otherwise. Only scheduled runs count: at least MIN_RUN_ORDERS
 * renewals within SCHEDULED_RUN_MAX_HOURS, starting within SCHEDULED_START_SPREAD_MINUTES of the usual
 * time. A store whose renewals come one by one with the traffic (each at its subscription's own hour) has
 * no run to miss, and its quiet nights are not one (seen on a busy store: a "missing run" a few times a
 * month, at whatever hour its night's first renewals happened to cluster).
 */
function expectedRunAt(now: Date, timeZone: string, past: readonly Run[]): Date | null {
  const today = localDate(now, timeZone);
  const weekAgo = localDate(new Date(now.getTime() - 7.5 * 86_400_000), timeZone);
  const firstPerDay = new Map<string, number>();
  for (const run of past) {
    const day = localDate(run.start, timeZone);
    if (day >= today || day < weekAgo || firstPerDay.has(day)) continue;
    const scheduled = run.orders.length >= MIN_RUN_ORDERS && run.end.getTime() - run.start.getTime() <= SCHEDULED_RUN_MAX_HOURS * 3_600_000;
    if (scheduled) firstPerDay.set(day, localTime(run.start, timeZone).minuteOfDay);
  }
  if (firstPerDay.size < 5) return null;
  // Times near midnight are read around the first one, so 23:55 and 00:05 average to midnight, not noon.
  const starts = [...firstPerDay.values()];
  const pivot = starts[0]!;
  const around = starts.map((m) => ((m - pivot + 720 + 1440) % 1440) - 720).sort((a, b) => a - b);
  const middle = around[Math.floor(around.length / 2)]!;
  if (around.filter((m) => Math.abs(m - middle) <= SCHEDULED_START_SPREAD_MINUTES).length < 5) return null;
  const median = (pivot + middle + 1440) % 1440;
  const clock = `${String(Math.floor(median / 60)).padStart(2, '0')}:${String(median % 60).padStart(2, '0')}`;
  for (const day of [today, localDate(new Date(now.getTime() - 86_400_000), timeZone)]) {
    const at = zonedToUtc(`${day}T${clock}:00`, timeZone);
    if (!at) continue;
    const overdue = now.getTime() - at.getTime();
    if (overdue >= MISSING_GRACE_MINUTES * 60_000 && overdue < MISSING_FOR_HOURS * 3_600_000) return at;
  }
  return null;
}
