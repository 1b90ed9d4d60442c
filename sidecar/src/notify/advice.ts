import type { DetectorResult } from '../domain/detectors';
import type { AlertEvidence } from './content';

/**
 * What an order alert tells the owner to do, from what the evidence showed when it was decided (issue 13
 * item 6): the first things to check for the likely cause, what was seen, and only the possible causes
 * the evidence leaves open. Pure: words from facts, so every diagnosis can be read in a test.
 */
export interface Advice {
  checks: string[];
  seen: string[];
  possibleCauses: string[];
}

/** The detectors' names as an owner reads them (the mail's Details). */
export const MAIL_DETECTOR_LABELS: Record<DetectorResult['detector'], string> = {
  time_based: 'Paid orders in the last check period',
  rolling_average: 'Share of the latest orders that failed',
  order_flow: 'Paid orders against your usual pace',
  failure_rate: 'Failed orders against your usual share',
  renewals: 'Subscription renewals against their usual share of failures',
  rule: 'A rule you set',
};

const LOGS = 'WooCommerce → Status → Logs';
const PAYMENTS = 'WooCommerce → Settings → Payments';

export function orderAdvice(fired: readonly DetectorResult[], evidence: AlertEvidence | null): Advice {
  const seen = evidence ? seenLines(evidence) : [];
  const failing = fired.some((r) => r.detector === 'rolling_average' || r.detector === 'failure_rate');
  const probe = evidence?.probe ?? null;
  const since = evidence?.since ?? 'the problem began';

  if (probe && !probe.allPassed) return { checks: storeDownChecks(probe.unreachable, since), seen, possibleCauses: [] };

  const diagnosis = failing ? (evidence?.diagnosis ?? null) : null;
  if (diagnosis?.kind === 'gateway' && diagnosis.paymentMethod) {
    const method = diagnosis.paymentMethod;
    return {
      checks: [
        `Open your ${method} account's dashboard and look at the payments declined since ${since}: it usually says why.`,
        `In ${PAYMENTS} → ${method}, check the account details and keys (live keys, not test ones) and that the account is still active.`,
        `Look at ${method}'s status page for an outage on their side.`,
      ],
      seen,
      possibleCauses: [],
    };
  }
  if (diagnosis?.kind === 'card_testing') {
    return {
      checks: [
        'Look at the failed orders below: many small orders within minutes, often with different names and cards, are someone trying stolen card numbers on your checkout.',
        "Turn on your payment provider's fraud or bot protection (a CAPTCHA or a limit on attempts at checkout).",
        'Ship and refund nothing for these orders: they were not paid. Delete them once the attempts stop.',
      ],
      seen,
      possibleCauses: [],
    };
  }
  if (diagnosis?.kind === 'checkout_broken') {
    const method = diagnosis.paymentMethod;
    return {
      checks: [
        'Open your checkout in a private browser window and try to pay as a customer would: the error you get is the quickest clue.',
        `Look in ${LOGS} for errors since ${since}, and undo any plugin, theme or setting change made around then.`,
        method
          ? `Every failed order was paid with ${method}: check its dashboard and its keys in ${PAYMENTS}.`
          : `Check each payment method's dashboard and its keys in ${PAYMENTS}.`,
      ],
      seen,
      possibleCauses: [],
    };
  }
  if (failing) {
    return {
      checks: [
        'Open a few of the failed orders below and read their order notes: the payment method usually writes why the payment failed.',
        'Look for what they share: the payment method, the country, a product or a coupon.',
        'Place a test order from a private browser window, as a customer would.',
      ],
      seen,
      possibleCauses: [],
    };
  }

  // Orders stopped or slowed down: what the evidence has not ruled out stays a possible cause.
  const possibleCauses: string[] = [];
  if (!probe) possibleCauses.push('the store is down or very slow');
  if (!probe?.checkoutOk) possibleCauses.push('the cart or checkout is broken');
  possibleCauses.push('a payment method declines every payment', 'fewer visitors than usual (a campaign ended, a search ranking or an ad stopped)');
  return {
    checks: [
      'Place a test order from a private browser window, as a customer would: if it fails, the message you get is the best clue.',
      `Look at your payment provider's dashboard for payments declined since ${since}.`,
      `Think of what changed around ${since}: a plugin or theme update, prices, shipping, stock, or an advertising campaign.`,
    ],
    seen,
    possibleCauses,
  };
}

/** What to check when the store's own pages fail: for the order alert and the probe's own notice. */
export function storeDownChecks(unreachable: boolean, since: string): string[] {
  if (unreachable) {
    return [
      'Open your store in a browser: if it does not load, contact your hosting company, it is probably down for everyone.',
      'Check that your domain name and its security certificate have not expired.',
      `Once it is back, look in ${LOGS} and your hosting's error log for what happened around ${since}.`,
    ];
  }
  return [
    'Open the failing pages in a private browser window: what a customer sees there is the quickest clue.',
    `Look in ${LOGS} for errors since ${since}, and undo any plugin, theme or setting change made around then.`,
    'If a page shows an error only for customers, ask your hosting company for its error log of that time.',
  ];
}

function seenLines(e: AlertEvidence): string[] {
  const lines: string[] = [];
  if (e.probe) {
    if (e.probe.allPassed) lines.push(`Every page of your store answered normally when we visited it at ${e.probe.at}, and the checkout showed its payment form: the store is up.`);
    else if (e.probe.unreachable) lines.push(`Your store did not answer when we visited it at ${e.probe.at}.`);
    else lines.push(`When we visited your store at ${e.probe.at}, ${e.probe.failing.join('; ')}.`);
  }
  if (e.wordpress) {
    lines.push(
      e.wordpress.silent
        ? `WordPress last checked in at ${e.wordpress.lastContactAt} (${e.wordpress.ago} ago): orders made since may not have reached us yet.`
        : `WordPress checked in at ${e.wordpress.lastContactAt}: its orders reach us.`,
    );
  }
  const d = e.diagnosis;
  if (d?.kind === 'gateway' && d.paymentMethod) {
    const others = e.workingMethods.filter((m) => m !== d.paymentMethod);
    lines.push(
      `All the failed orders were paid with ${d.paymentMethod}${others.length ? `, while orders paid with ${others.join(', ')} went through` : ''}: the rest of your checkout works.`,
    );
  }
  if (e.failedCount > e.failedOrders.length) lines.push(`${e.failedCount} orders failed since ${e.since}; the newest ${e.failedOrders.length} are listed.`);
  return lines;
}
