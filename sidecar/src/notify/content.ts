import { DETECTOR_LABELS, severityOf, type DetectorResult, type Severity } from '../domain/detectors';
import type { Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import { MAIL_DETECTOR_LABELS, orderAdvice } from './advice';
import { formatWindow } from '../domain/rules';

/**
 * Everything a notification says, fixed when it is decided and stored with it, so a retry hours later
 * sends the same words and numbers.
 */
interface StoreFacts {
  id: string;
  name: string;
  url: string;
  timezone: string;
}

interface Links {
  orders: string;
  settings: string;
}

export interface DetectorFinding {
  detector: DetectorResult['detector'];
  label: string;
  summary: string;
  numbers: Record<string, string | number>;
  window: string | null;
  /** Adaptive failures: what the failed orders most likely mean (gateway, card testing, checkout broken). */
  diagnosis?: string | null;
}

/** A failed order as an alert lists it, with a link that opens it in wp-admin. */
export interface FailedOrderLine {
  id: number;
  at: string;
  status: string;
  total: string | null;
  /** The payment method's title where the bridge reports titles, else its id. */
  paymentMethod: string | null;
  url: string;
}

/** What the store looked like when an order alert was decided (services/alert-evidence). */
export interface AlertEvidence {
  diagnosis: { kind: 'gateway' | 'card_testing' | 'checkout_broken' | 'unclear'; paymentMethod: string | null; text: string } | null;
  /** Newest first, at most 10. */
  failedOrders: FailedOrderLine[];
  /** Failed orders since the problem began, listed or not. */
  failedCount: number;
  /** Payment methods of the recent successful orders. */
  workingMethods: string[];
  /** The store probe's last visit; null when it is off or has not run. */
  probe: { at: string; allPassed: boolean; unreachable: boolean; checkoutOk: boolean; failing: string[] } | null;
  /** The last check-in from WordPress. */
  wordpress: { lastContactAt: string; ago: string; silent: boolean } | null;
  /** When the problem began, in the store's time zone, and as an instant (ISO 8601). */
  since: string;
  sinceAt: string;
}

/** The resolved notice's estimate of what the problem cost, against the store's expected rate. */
export interface ImpactFacts {
  startedAt: Date;
  expected: number;
  came: number;
  missedOrders: number;
  missedRevenue: number | null;
}

/** An alert, a reminder of it, or its escalation: the problem as it stands. */
export interface AlertNoticeContent {
  kind: 'alert' | 'reminder' | 'escalation';
  store: StoreFacts;
  recipients: string[];
  alertId: number;
  severity: Severity;
  headline: string;
  findings: DetectorFinding[];
  checkedAt: string;
  openedAt: string;
  links: Links;
  /** A warning that became critical: told at once as news (domain/alert-policy). */
  upgradedFrom?: Severity;
  /** Escalation: nobody acknowledged it this long after the first notice to these recipients. */
  escalation?: { minutes: number; firstNotifiedAt: string; firstRecipients: string[] };
  /** An order drop while the store probe fails: what the probe sees (domain/probe explainOrderDrop). */
  probe?: string;
  /** What the store looked like at that moment; absent in notices decided before it was recorded. */
  evidence?: AlertEvidence;
  /** The first things to check for this problem, in the owner's words (notify/advice). */
  checks?: string[];
  /** What the evidence showed at that moment, one sentence each. */
  seen?: string[];
  /** Causes the evidence leaves open; empty when it points at one. */
  possibleCauses?: string[];
}

export type NotificationContent =
  | AlertNoticeContent
  | {
      kind: 'resolved';
      store: StoreFacts;
      recipients: string[];
      alertId: number;
      /** When the problem began (the detectors' start, else the alert's opening) and when it was alerted. */
      startedAt: string;
      openedAt: string;
      resolvedAt: string;
      duration: string;
      detector: string;
      /** The problem as the alert stated it. */
      problem?: string;
      /** Failed orders while it lasted. */
      failedCount?: number;
      /** Present when the store's history allows an estimate (any mode). */
      impact?: { startedAt: string; expected: number; came: number; missedOrders: number; missedRevenue: string | null } | null;
      links: Links;
    }
  | { kind: 'test'; store: StoreFacts; recipients: string[]; sentAt: string; links: Links };

export interface StoreIdentity {
  id: string;
  name: string;
  url: string;
}

export function storeFacts(store: StoreIdentity, settings: Settings): StoreFacts {
  return { id: store.id, name: store.name, url: store.url, timezone: settings.timezone };
}

/** wp-admin's order list (WooCommerce redirects it to the HPOS screen where that is on) and our tab. */
export function storeLinks(storeUrl: string): Links {
  return {
    orders: `${storeUrl}/wp-admin/edit.php?post_type=shop_order`,
    settings: `${storeUrl}/wp-admin/admin.php?page=wc-settings&tab=order-monitor`,
  };
}

/** Who a notification is about, who reads it, and where they can act: the same for every kind. */
export function audience(store: StoreIdentity, settings: Settings) {
  return { store: storeFacts(store, settings), recipients: [...settings.alert_emails], links: storeLinks(store.url) };
}

export function findingOf(result: DetectorResult, timezone: string): DetectorFinding {
  if (result.detector === 'time_based') {
    return {
      detector: result.detector,
      label: DETECTOR_LABELS.time_based,
      summary: result.summary,
      numbers: {
        'successful orders': result.successful,
        threshold: result.threshold,
        period: result.period === 'peak' ? 'peak hours' : 'off-peak hours',
      },
      window: `${formatLocal(result.windowStart, timezone)} to ${formatLocal(result.windowEnd, timezone)}`,
    };
  }
  if (result.detector === 'order_flow') {
    return {
      detector: result.detector,
      label: DETECTOR_LABELS.order_flow,
      summary: result.summary,
      numbers: {
        'successful orders expected': result.expected,
        'successful orders that came': result.came,
        'usual rate now': `${result.ratePerHour} an hour`,
        ...(result.startedAt ? { since: formatLocal(result.startedAt, timezone) } : {}),
      },
      window: result.startedAt ? `${formatLocal(result.startedAt, timezone)} to now` : null,
    };
  }
  if (result.detector === 'failure_rate') {
    return {
      detector: result.detector,
      label: DETECTOR_LABELS.failure_rate,
      summary: result.summary,
      numbers: {
        'failed orders': result.failed,
        'orders considered': result.considered,
        'failure share': `${result.sharePct}%`,
        'usual failure share': `${result.baselineSharePct}%`,
      },
      window: result.startedAt ? `${formatLocal(result.startedAt, timezone)} to now` : null,
      diagnosis: result.diagnosis?.text ?? null,
    };
  }
  if (result.detector === 'rule') {
    return {
      detector: result.detector,
      label: `${DETECTOR_LABELS.rule}: ${result.rule}`,
      summary: result.summary,
      numbers: { value: result.value ?? 'none', threshold: `${result.operator} ${result.threshold}`, window: formatWindow(result.windowMinutes) },
      window: `${formatLocal(result.windowStart, timezone)} to ${formatLocal(result.windowEnd, timezone)}`,
    };
  }
  if (result.detector === 'renewals') {
    return {
      detector: result.detector,
      label: DETECTOR_LABELS.renewals,
      summary: result.summary,
      numbers:
        result.kind === 'missing'
          ? { 'usual run expected': result.expectedAt ? formatLocal(result.expectedAt, timezone) : 'unknown' }
          : {
              'renewals in the run': result.runOrders,
              'failed renewals': result.runFailed,
              'usual failure share': `${result.usualSharePct}%`,
              ...Object.fromEntries(Object.entries(result.failedByMethod).map(([method, n]) => [`failed with ${method}`, n])),
            },
      window: result.runStartedAt ? `${formatLocal(result.runStartedAt, timezone)} to now` : null,
    };
  }
  return {
    detector: result.detector,
    label: DETECTOR_LABELS.rolling_average,
    summary: result.summary,
    numbers: {
      'failed orders': result.failed,
      'orders considered': result.considered,
      'failure share': `${result.failureSharePct}%`,
      threshold: `${result.thresholdPct}%`,
    },
    window: null,
  };
}

export function headlineOf(fired: readonly DetectorResult[], evidence: AlertEvidence | null = null): string {
  const timeBased = fired.find((r) => r.detector === 'time_based');
  const rad = fired.find((r) => r.detector === 'rolling_average');
  if (timeBased && rad) return 'Few orders and most of them failing';
  const gateway = evidence?.diagnosis?.kind === 'gateway' ? evidence.diagnosis.paymentMethod : null;
  if (rad && gateway) return `Payment method ${gateway} is failing: ${rad.failed} of the last ${rad.considered} orders failed`;
  if (rad) return `${rad.failed} of the last ${rad.considered} orders failed`;
  if (timeBased) return `Only ${timeBased.successful} successful ${timeBased.successful === 1 ? 'order' : 'orders'} in ${minutesOf(timeBased)} minutes`;
  const flow = fired.find((r) => r.detector === 'order_flow');
  const failures = fired.find((r) => r.detector === 'failure_rate');
  if (flow && failures) return 'Orders stopped and the last ones failed';
  if (failures?.diagnosis?.kind === 'gateway') return `Payment method ${evidence?.diagnosis?.paymentMethod ?? failures.diagnosis.paymentMethod} is failing`;
  if (failures?.diagnosis?.kind === 'card_testing') return 'Possible card testing: many small failed orders';
  if (failures) return `${failures.failed} of the last ${failures.considered} orders failed`;
  const rules = fired.filter((r) => r.detector === 'rule');
  const renewals = fired.find((r) => r.detector === 'renewals');
  if (!flow && !failures && rules.length === 0 && renewals) {
    return renewals.kind === 'missing' ? 'The usual subscription renewal run has not come' : `${renewals.runFailed} of ${renewals.runOrders} subscription renewals failed`;
  }
  if (!flow && !failures && rules.length > 0) return rules.length === 1 ? `Rule "${rules[0]!.rule}" fired` : `${rules.length} of your rules fired`;
  if (flow?.kind === 'stop') return `No orders where about ${Math.round(flow.expected)} were expected`;
  if (flow) return `Only ${flow.came} orders where about ${Math.round(flow.expected)} were expected`;
  return 'Order problem';
}

const minutesOf = (r: { windowStart: Date; windowEnd: Date }) =>
  Math.round((r.windowEnd.getTime() - r.windowStart.getTime()) / 60_000);

export function alertContent(
  kind: 'alert' | 'reminder' | 'escalation',
  store: StoreIdentity,
  settings: Settings,
  alert: { id: number; openedAt: Date },
  fired: readonly DetectorResult[],
  now: Date,
  evidence: AlertEvidence | null = null,
): AlertNoticeContent {
  const advice = orderAdvice(fired, evidence);
  return {
    kind,
    ...audience(store, settings),
    alertId: alert.id,
    severity: severityOf(fired),
    headline: headlineOf(fired, evidence),
    findings: fired.map((result) => ({ ...findingOf(result, settings.timezone), label: MAIL_DETECTOR_LABELS[result.detector] })),
    checkedAt: formatLocal(now, settings.timezone),
    openedAt: formatLocal(alert.openedAt, settings.timezone),
    ...(evidence ? { evidence } : {}),
    checks: advice.checks,
    seen: advice.seen,
    possibleCauses: advice.possibleCauses,
  };
}

/**
 * The escalation notice: the alert as it stands, for the second list (`escalation_emails`) only; the
 * first recipients keep their reminders, so they are not told twice.
 */
export function escalationContent(
  store: StoreIdentity,
  settings: Settings,
  alert: { id: number; openedAt: Date; firstNotifiedAt: Date },
  fired: readonly DetectorResult[],
  now: Date,
  evidence: AlertEvidence | null = null,
): NotificationContent {
  return {
    ...alertContent('escalation', store, settings, alert, fired, now, evidence),
    recipients: [...settings.escalation_emails],
    escalation: {
      minutes: settings.escalation_minutes,
      firstNotifiedAt: formatLocal(alert.firstNotifiedAt, settings.timezone),
      firstRecipients: [...settings.alert_emails],
    },
  };
}

export function resolvedContent(
  store: StoreIdentity,
  settings: Settings,
  alert: { id: number; openedAt: Date; detector: string; problem?: string | null; failedCount?: number | null },
  now: Date,
  impact: ImpactFacts | null = null,
): NotificationContent {
  return {
    kind: 'resolved',
    ...audience(store, settings),
    alertId: alert.id,
    ...(alert.problem ? { problem: alert.problem } : {}),
    ...(alert.failedCount ? { failedCount: alert.failedCount } : {}),
    // The problem began before the alert opened (a silence is only provable after a while): its length
    // is counted from the detectors' start where they know it.
    startedAt: formatLocal(impact?.startedAt ?? alert.openedAt, settings.timezone),
    openedAt: formatLocal(alert.openedAt, settings.timezone),
    resolvedAt: formatLocal(now, settings.timezone),
    duration: formatDuration(now.getTime() - (impact?.startedAt ?? alert.openedAt).getTime()),
    detector: alert.detector
      .split(',')
      .map((name) => (MAIL_DETECTOR_LABELS as Record<string, string>)[name] ?? name)
      .join(' and '),
    impact: impact
      ? {
          startedAt: formatLocal(impact.startedAt, settings.timezone),
          expected: impact.expected,
          came: impact.came,
          missedOrders: impact.missedOrders,
          missedRevenue: impact.missedRevenue === null ? null : impact.missedRevenue.toFixed(2),
        }
      : null,
  };
}

export function testContent(store: StoreIdentity, settings: Settings, now: Date): NotificationContent {
  return {
    kind: 'test',
    ...audience(store, settings),
    sentAt: formatLocal(now, settings.timezone),
  };
}

export function formatDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
