import { LEARNING_DAYS, type Baseline } from './baseline';

/**
 * The admin's one number, false alarms a month, shared between adaptive mode's tests: a silence too long,
 * a slow stretch, failures too many, and failed carts in a row. Each test's share is spent over its chances
 * to go wrong in a month. Issue 17: halving each share "for safety" left the budget hardly spent (0-0.3
 * false alarms a month at a setting of 1) and stops found late, so no share is halved now. The run of
 * failures keeps 0.45, counted exactly, so a store with 2% declines hears of a dead checkout at the third
 * failed order. The drop and failure CUSUMs have 0.1 each by Wald's bound, which is loose on the safe side:
 * measured, they spend almost none of it (docs/calibration.md, per detector). The silence, the test that
 * finds stops and spends what it is given, has 0.65: its limit is replayed on the store's own eight weeks
 * (domain/calibration), which spends 66-126% of the share on samples of a steady store (0.43-0.82 of the
 * setting), leaving room in the band the setting promises (0.5-1) for a real store's slow weeks, which no
 * model foresees, and for what the run test and the renewals spend. At 0.9 the busy benchmark store spent
 * 1.33 a month; at 0.75, once a silence was judged by the store from before it, olist spent 1.01.
 */
export const BUDGET_SHARE = { silence: 0.65, drop: 0.1, failures: 0.1, failureRun: 0.45 } as const;

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
