import { LEARNING_DAYS, type Baseline } from './baseline';

/**
 * The admin's one number, false alarms a month, shared between adaptive mode's tests: a silence too long,
 * a slow stretch, failures too many, and failed carts in a row. Each test's share is spent over its chances
 * to go wrong in a month. Together they spend 0.9 of the budget: 0.25 + 0.1 + 0.1 after the safety halving
 * below, and 0.45 for the run of failures, whose chance is counted exactly rather than bounded.
 */
export const BUDGET_SHARE = { silence: 0.5, drop: 0.2, failures: 0.2, failureRun: 0.45 } as const;

/**
 * Only this share of the budget is spent by the sequential tests' own reckoning: real stores cluster more
 * than a Poisson process does (campaigns, bots, a slow gateway), and Wald's bound is loose on the safe side
 * anyway. The run of failures is not halved: its false alarms are counted exactly (see failure-rate.ts).
 */
export const BUDGET_SAFETY = 0.5;

export interface Learning {
  learning: boolean;
  daysLeft: number;
  /** 1 with full history; smaller while learning, shrinking each test's per-chance error budget. */
  coverage: number;
}

export function learningOf(baseline: Baseline): Learning {
  const daysLeft = Math.max(0, Math.ceil(LEARNING_DAYS - baseline.historyDays));
  return {
    learning: daysLeft > 0,
    daysLeft,
    coverage: Math.min(1, Math.max(1 / LEARNING_DAYS, baseline.historyDays / LEARNING_DAYS)),
  };
}

/** "learning, about 12 days left", or nothing once the history is long enough. */
export const learningNote = (l: Learning): string =>
  l.learning ? `; learning, about ${l.daysLeft} ${l.daysLeft === 1 ? 'day' : 'days'} left` : '';

/** "1 in 25,000" for a probability, so an alert reads as odds rather than as an exponent. */
export function odds(p: number): string {
  if (!(p > 0)) return 'practically none';
  if (p >= 0.5) return 'better than even';
  const n = 1 / p;
  if (n >= 1e9) return 'less than 1 in a billion';
  const rounded = n >= 1e6 ? `${(n / 1e6).toPrecision(2)} million` : Math.round(n).toLocaleString('en-US');
  return `1 in ${rounded}`;
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
