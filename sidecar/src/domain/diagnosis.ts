/**
 * What a burst of failed orders most likely means, from the orders themselves: one gateway failing while
 * others work, card testing (many small failed orders fast), or checkout broken for everyone.
 */

export interface OrderDetail {
  orderId: number | string;
  status: string;
  createdAt: Date;
  total?: number | null;
  paymentMethod?: string | null;
}

export type DiagnosisKind = 'gateway' | 'card_testing' | 'checkout_broken' | 'unclear';

export interface Diagnosis {
  kind: DiagnosisKind;
  text: string;
  /** The failing payment method, when one stands out. */
  paymentMethod: string | null;
}

const CARD_TESTING_MIN_FAILURES = 5;
const CARD_TESTING_WINDOW_MS = 10 * 60_000;
/** A card tester's orders are cheap: at most this share of the store's usual order value. */
const CARD_TESTING_VALUE_SHARE = 0.3;

const methodOf = (o: OrderDetail): string => (o.paymentMethod && o.paymentMethod.trim() ? o.paymentMethod : 'unknown');

/** `episode`: the orders of the failing stretch, oldest first; `failed(o)` says whether one failed. */
export function diagnose(episode: readonly OrderDetail[], failed: (o: OrderDetail) => boolean, averageOrderValue: number | null): Diagnosis {
  const failures = episode.filter(failed);
  const successes = episode.filter((o) => !failed(o));

  const cardTesting = cardTestingBurst(failures, averageOrderValue);
  if (cardTesting) return cardTesting;

  const failingMethods = new Map<string, number>();
  for (const o of failures) failingMethods.set(methodOf(o), (failingMethods.get(methodOf(o)) ?? 0) + 1);
  const succeedingMethods = new Set(successes.map(methodOf));
  const [topMethod, topCount] = [...failingMethods.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['unknown', 0];

  const othersWork = [...succeedingMethods].some((m) => m !== topMethod);
  if (topMethod !== 'unknown' && topCount >= 0.9 * failures.length && othersWork && !succeedingMethods.has(topMethod)) {
    return {
      kind: 'gateway',
      paymentMethod: topMethod,
      text: `payment method "${topMethod}" is failing (${topCount} failed, none succeeded) while orders paid otherwise go through: likely a gateway problem`,
    };
  }
  if (successes.length === 0 && failingMethods.size >= 2) {
    return {
      kind: 'checkout_broken',
      paymentMethod: null,
      text: `orders fail with every payment method (${[...failingMethods.keys()].join(', ')}) and none succeeds: the checkout itself looks broken`,
    };
  }
  if (successes.length === 0) {
    return {
      kind: 'checkout_broken',
      paymentMethod: topMethod === 'unknown' ? null : topMethod,
      text: `every recent order failed${topMethod === 'unknown' ? '' : ` (all paid with "${topMethod}")`}: the checkout or its only gateway looks broken`,
    };
  }
  return { kind: 'unclear', paymentMethod: null, text: 'failures across payment methods while some orders succeed: no single cause stands out' };
}

function cardTestingBurst(failures: readonly OrderDetail[], averageOrderValue: number | null): Diagnosis | null {
  if (failures.length < CARD_TESTING_MIN_FAILURES) return null;
  const totals = failures.map((o) => o.total).filter((t): t is number => typeof t === 'number' && Number.isFinite(t));
  if (totals.length < CARD_TESTING_MIN_FAILURES) return null;
  const median = [...totals].sort((a, b) => a - b)[Math.floor(totals.length / 2)] ?? 0;
  const small = averageOrderValue !== null ? median <= CARD_TESTING_VALUE_SHARE * averageOrderValue : median <= 5;
  if (!small) return null;
  // The densest 10 minutes of failures: card testers fire many attempts in a short time.
  const times = failures.map((o) => o.createdAt.getTime()).sort((a, b) => a - b);
  let densest = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] ?? 0) - (times[i] ?? 0) > CARD_TESTING_WINDOW_MS) i++;
    densest = Math.max(densest, j - i + 1);
  }
  if (densest < CARD_TESTING_MIN_FAILURES) return null;
  return {
    kind: 'card_testing',
    paymentMethod: null,
    text: `${densest} failed orders within 10 minutes, typically ${median.toFixed(2)} each${averageOrderValue !== null ? ` against a usual ${averageOrderValue.toFixed(2)}` : ''}: looks like card testing`,
  };
}
