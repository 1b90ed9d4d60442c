import type { AlertDecision } from '../domain/alert-policy';
import type { DetectorResult } from '../domain/detectors';

/**
 * "Run check now" in the owner's words (issue 13 item 5): one sentence per check and what came of it.
 * The raw numbers stay in the answer's `detectors` for a "Details" disclosure.
 */
export function checkMessage(evaluations: readonly DetectorResult[], decision: AlertDecision): string {
  const lines = evaluations.map(sentenceOf);
  return [...lines, outcomeOf(decision)].filter((s) => s !== '').join(' ');
}

function sentenceOf(r: DetectorResult): string {
  if (r.detector === 'time_based') {
    const minutes = Math.round((r.windowEnd.getTime() - r.windowStart.getTime()) / 60_000);
    const period = r.period === 'peak' ? 'peak hours' : 'off-peak hours';
    if (r.learning) return `Paid orders per ${minutes} minutes: no verdict yet, the first comes once WordPress has reported for ${minutes} minutes.`;
    const orders = `${r.successful} paid ${r.successful === 1 ? 'order' : 'orders'} in the last ${minutes} minutes (${period})`;
    if (r.threshold === 0) return `${orders}; this check is off in ${period}.`;
    return r.breached ? `Only ${orders}, fewer than the ${r.threshold} you set.` : `${orders}, at least the ${r.threshold} you set.`;
  }
  if (r.detector === 'rolling_average') {
    if (r.learning) return `Failed orders: no verdict yet, ${r.considered} of the ${r.minOrders} orders needed are known.`;
    const share = `${r.failed} of the last ${r.considered} orders failed (${r.failureSharePct}%)`;
    return r.breached ? `${share}, at or above the ${r.thresholdPct}% you set.` : `${share}, below the ${r.thresholdPct}% you set.`;
  }
  const name = r.detector === 'order_flow' ? 'Order pace' : r.detector === 'failure_rate' ? 'Failed orders' : r.detector === 'renewals' ? 'Subscription renewals' : 'Your rule';
  if (r.learning && 'learningDaysLeft' in r) return `${name}: still learning your store's rhythm (${r.learningDaysLeft} days left); ${r.summary}.`;
  return `${name}: ${r.summary}.`;
}

function outcomeOf(decision: AlertDecision): string {
  switch (decision.action) {
    case 'none':
      return decision.reason === 'disabled' ? 'Monitoring is switched off for this store.' : 'All good: no alert.';
    case 'open':
      return decision.notify ? 'An alert was opened and sent.' : 'An alert was opened; it will be sent when the quiet time ends.';
    case 'notify':
      return 'The open alert was sent.';
    case 'remind':
      return 'The problem goes on: a reminder was sent.';
    case 'hold':
      return 'The problem goes on; the open alert was already sent.';
    case 'resolve':
      return 'The problem is over: the alert is resolved.';
  }
}
