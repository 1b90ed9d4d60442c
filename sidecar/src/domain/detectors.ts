import type { FailureRateResult } from './failure-rate';
import type { OrderFlowResult } from './order-flow';
import type { RenewalResult } from './renewals';
import type { RuleResult } from './rules';
import type { AnyDetectorName, Settings } from './settings';
import { isPeakTime } from './time';

/** What the detectors need to know of one order: its latest known status and when it was created. */
export interface OrderFact {
  orderId: number;
  status: string;
  createdAt: Date;
}

export interface TimeBasedResult {
  detector: 'time_based';
  breached: boolean;
  /** The window began before WordPress first reported: orders may exist that WOOM could not see. */
  learning: boolean;
  period: 'peak' | 'off_peak';
  successful: number;
  threshold: number;
  windowStart: Date;
  windowEnd: Date;
  summary: string;
}

export interface RollingAverageResult {
  detector: 'rolling_average';
  breached: boolean;
  /** Fewer classified orders than rad_min_orders are known: no verdict yet. */
  learning: boolean;
  considered: number;
  failed: number;
  failureSharePct: number;
  thresholdPct: number;
  windowSize: number;
  minOrders: number;
  summary: string;
}

export type DetectorResult = TimeBasedResult | RollingAverageResult | OrderFlowResult | FailureRateResult | RuleResult | RenewalResult;

export const DETECTOR_LABELS: Record<AnyDetectorName | 'rule' | 'renewals', string> = {
  rule: 'Custom rule',
  renewals: 'Subscription renewals',
  time_based: 'Time-based',
  rolling_average: 'Rolling average (RAD)',
  order_flow: 'Order flow (adaptive)',
  failure_rate: 'Failure rate (adaptive)',
};

/** The store's own problems, each an alert of its own beside the order alert. */
export const STORE_PROBLEM_LABELS: Record<string, string> = {
  reporting: 'WordPress stopped reporting',
  health: 'Checkout cannot work',
  probe: 'Store probe failing',
};

/** "Time-based + Rolling average (RAD)" for an alert's detector column (comma-separated detectors). */
export const alertLabel = (detector: string): string =>
  detector
    .split(',')
    .map((d) => (DETECTOR_LABELS as Record<string, string>)[d] ?? STORE_PROBLEM_LABELS[d] ?? d)
    .join(' + ');

/** The window the time-based detector counts in: the last check interval, ending now. */
export function timeBasedWindow(now: Date, settings: Settings): { start: Date; end: Date } {
  return { start: new Date(now.getTime() - settings.check_interval_minutes * 60_000), end: now };
}

/**
 * Successful orders created in the window, against the peak or off-peak threshold of the moment the
 * window ends. A threshold of 0 never fires, and nothing fires until a whole window has passed since
 * WordPress first reported (`monitoringSince`).
 */
export function evaluateTimeBased(
  now: Date,
  settings: Settings,
  orders: readonly OrderFact[],
  monitoringSince: Date | null,
): TimeBasedResult {
  const { start, end } = timeBasedWindow(now, settings);
  const peak = isPeakTime(now, settings.timezone, {
    start: settings.peak_start,
    end: settings.peak_end,
    weekdays: settings.peak_weekdays,
  });
  const threshold = peak ? settings.threshold_peak : settings.threshold_off_peak;
  const successful = orders.filter(
    (order) => order.createdAt >= start && order.createdAt < end && settings.success_statuses.includes(order.status),
  ).length;
  const label = peak ? 'peak hours' : 'off-peak hours';
  const learning = monitoringSince === null || monitoringSince > start;
  const counted =
    `${successful} successful ${successful === 1 ? 'order' : 'orders'} in the last ` +
    `${settings.check_interval_minutes} min (${label}), threshold ${threshold}`;
  return {
    detector: 'time_based',
    breached: !learning && successful < threshold,
    learning,
    period: peak ? 'peak' : 'off_peak',
    successful,
    threshold,
    windowStart: start,
    windowEnd: end,
    summary: learning
      ? monitoringSince === null
        ? 'waiting for the first event from WordPress'
        : `${counted}; no verdict until a full window has passed since WordPress first reported`
      : counted,
  };
}

/**
 * Of the last rad_window_size orders whose status is a success or a failure (newest first), the share
 * that failed. Pending or on-hold orders have no verdict yet and are skipped, not counted as healthy.
 * Orders created before `watchingSince` (when the monitor began checking) are old news and skipped too.
 */
export function evaluateRollingAverage(settings: Settings, newestFirst: readonly OrderFact[], watchingSince: Date | null = null): RollingAverageResult {
  const classified = newestFirst
    .filter((o) => settings.success_statuses.includes(o.status) || settings.failure_statuses.includes(o.status))
    .filter((o) => !(watchingSince && o.createdAt < watchingSince))
    .slice(0, settings.rad_window_size);
  const failed = classified.filter((o) => settings.failure_statuses.includes(o.status)).length;
  const considered = classified.length;
  const failureSharePct = considered === 0 ? 0 : Math.round((failed / considered) * 1000) / 10;
  const learning = considered < settings.rad_min_orders;
  const summary = learning
    ? `${considered} of the ${settings.rad_min_orders} orders needed are known; no verdict yet`
    : `${failed} of the last ${considered} orders failed (${failureSharePct}%), threshold ${settings.rad_failure_threshold_pct}%`;
  return {
    detector: 'rolling_average',
    breached: !learning && failureSharePct >= settings.rad_failure_threshold_pct,
    learning,
    considered,
    failed,
    failureSharePct,
    thresholdPct: settings.rad_failure_threshold_pct,
    windowSize: settings.rad_window_size,
    minOrders: settings.rad_min_orders,
    summary,
  };
}

export type Severity = 'warning' | 'critical';

/**
 * The specification's detectors: critical when nothing gets through at all, anything short of that is a
 * warning. Adaptive detectors grade themselves by how far below expectation and for how long.
 */
export function severityOf(fired: readonly DetectorResult[]): Severity {
  const critical = fired.some((r) => {
    if (r.detector === 'time_based') return r.successful === 0 && r.period === 'peak';
    if (r.detector === 'rolling_average') return r.failed === r.considered;
    return r.severity === 'critical';
  });
  return critical ? 'critical' : 'warning';
}
