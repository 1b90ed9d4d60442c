import { expectedBetween, type Baseline } from './baseline';
import { round1 } from './budget';

export interface Impact {
  startedAt: Date;
  expected: number;
  came: number;
  missedOrders: number;
  /** Missed orders at the store's average order value; null when no order carried a total. */
  missedRevenue: number | null;
}

/** What a problem cost: successful orders expected over its span against those that came. */
export function impactOf(baseline: Baseline, startedAt: Date, end: Date, came: number): Impact {
  const expected = expectedBetween(baseline, startedAt, end);
  const missedOrders = Math.max(0, Math.round(expected - came));
  return {
    startedAt,
    expected: round1(expected),
    came,
    missedOrders,
    missedRevenue: baseline.averageOrderValue === null ? null : Math.round(missedOrders * baseline.averageOrderValue * 100) / 100,
  };
}
