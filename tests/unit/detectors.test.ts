import { describe, expect, it } from 'vitest';
import { evaluateRollingAverage, evaluateTimeBased, severityOf, type OrderFact } from '../../sidecar/src/domain/detectors';
import { defaultSettings, type Settings } from '../../sidecar/src/domain/settings';

const settings = (change: Partial<Settings> = {}): Settings => ({ ...defaultSettings('UTC'), ...change });
const order = (id: number, status: string, createdAt: string): OrderFact => ({ orderId: id, status, createdAt: new Date(createdAt) });
const longAgo = new Date('2026-01-01T00:00:00Z');

describe('time-based detector', () => {
  const peakNow = new Date('2026-11-23T12:00:00Z'); // Monday noon UTC: peak by default
  const offPeakNow = new Date('2026-11-23T03:00:00Z');

  it('counts successful orders created in the last interval against the peak threshold', () => {
    const orders = [
      order(1, 'processing', '2026-11-23T11:50:00Z'),
      order(2, 'completed', '2026-11-23T11:45:00Z'), // exactly at window start: inside
      order(3, 'failed', '2026-11-23T11:55:00Z'), // not successful
      order(4, 'processing', '2026-11-23T11:44:59Z'), // before the window
      order(5, 'processing', '2026-11-23T12:00:00Z'), // window end is exclusive
    ];
    const result = evaluateTimeBased(peakNow, settings(), orders, longAgo);
    expect(result).toMatchObject({ successful: 2, threshold: 10, period: 'peak', breached: true, learning: false });
    expect(result.summary).toBe('2 successful orders in the last 15 min (peak hours), threshold 10');
  });

  it('uses the off-peak threshold outside peak hours and does not fire at or above it', () => {
    const orders = [order(1, 'processing', '2026-11-23T02:50:00Z'), order(2, 'completed', '2026-11-23T02:55:00Z')];
    const result = evaluateTimeBased(offPeakNow, settings(), orders, longAgo);
    expect(result).toMatchObject({ successful: 2, threshold: 2, period: 'off_peak', breached: false });
    expect(evaluateTimeBased(offPeakNow, settings(), orders.slice(1), longAgo).breached).toBe(true);
  });

  it('never fires with a threshold of 0', () => {
    expect(evaluateTimeBased(offPeakNow, settings({ threshold_off_peak: 0 }), [], longAgo).breached).toBe(false);
  });

  it('uses the check interval as the window and the configured success statuses', () => {
    const orders = [order(1, 'on-hold', '2026-11-23T11:31:00Z')];
    const result = evaluateTimeBased(peakNow, settings({ check_interval_minutes: 30, success_statuses: ['on-hold'], threshold_peak: 1 }), orders, longAgo);
    expect(result).toMatchObject({ successful: 1, breached: false });
    expect(result.windowStart.toISOString()).toBe('2026-11-23T11:30:00.000Z');
  });

  it('gives no verdict until a whole window has passed since WordPress first reported', () => {
    expect(evaluateTimeBased(peakNow, settings(), [], null)).toMatchObject({ breached: false, learning: true });
    expect(evaluateTimeBased(peakNow, settings(), [], new Date('2026-11-23T11:50:00Z'))).toMatchObject({ breached: false, learning: true });
    expect(evaluateTimeBased(peakNow, settings(), [], new Date('2026-11-23T11:45:00Z'))).toMatchObject({ breached: true, learning: false });
  });
});

describe('rolling average detector (RAD)', () => {
  const newestFirst = (statuses: string[]) =>
    statuses.map((status, i) => order(i + 1, status, new Date(Date.UTC(2026, 10, 23, 12, 0) - i * 60_000).toISOString()));

  it('fires at or above the failure share of the last N orders', () => {
    const seven = newestFirst(['failed', 'failed', 'cancelled', 'failed', 'failed', 'failed', 'failed', 'completed', 'processing', 'completed']);
    const result = evaluateRollingAverage(settings(), seven);
    expect(result).toMatchObject({ considered: 10, failed: 7, failureSharePct: 70, breached: true });
    expect(result.summary).toBe('7 of the last 10 orders failed (70%), threshold 70%');
    const six = newestFirst(['failed', 'failed', 'cancelled', 'failed', 'failed', 'failed', 'completed', 'completed', 'processing', 'completed']);
    expect(evaluateRollingAverage(settings(), six).breached).toBe(false);
  });

  it('looks only at the newest rad_window_size orders', () => {
    const result = evaluateRollingAverage(settings({ rad_window_size: 3, rad_min_orders: 3 }), newestFirst(['completed', 'completed', 'completed', 'failed', 'failed', 'failed']));
    expect(result).toMatchObject({ considered: 3, failed: 0, breached: false });
  });

  it('stays quiet until rad_min_orders are known', () => {
    const two = evaluateRollingAverage(settings(), newestFirst(['failed', 'failed']));
    expect(two).toMatchObject({ considered: 2, failed: 2, learning: true, breached: false });
    expect(evaluateRollingAverage(settings(), newestFirst(['failed', 'failed', 'failed']))).toMatchObject({ learning: false, breached: true });
  });

  it('skips orders without a verdict (pending, on-hold) instead of counting them as healthy', () => {
    const result = evaluateRollingAverage(settings(), newestFirst(['pending', 'failed', 'on-hold', 'failed', 'failed']));
    expect(result).toMatchObject({ considered: 3, failed: 3, breached: true });
  });

  it('counts cancelled as a failure only when the setting says so', () => {
    const orders = newestFirst(['cancelled', 'cancelled', 'cancelled', 'completed']);
    expect(evaluateRollingAverage(settings(), orders).breached).toBe(true);
    const failedOnly = evaluateRollingAverage(settings({ failure_statuses: ['failed'] }), orders);
    expect(failedOnly).toMatchObject({ considered: 1, learning: true, breached: false });
  });
});

describe('severity', () => {
  it('is critical when nothing gets through, a warning otherwise', () => {
    const s = settings();
    const none = evaluateTimeBased(new Date('2026-11-23T12:00:00Z'), s, [], longAgo);
    const some = evaluateTimeBased(new Date('2026-11-23T12:00:00Z'), s, [order(1, 'processing', '2026-11-23T11:59:00Z')], longAgo);
    expect(severityOf([none])).toBe('critical');
    expect(severityOf([some])).toBe('warning');
  });
});
