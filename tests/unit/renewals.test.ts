import { describe, expect, it } from 'vitest';
import { binomialTail, evaluateRenewals, type RenewalOrder } from '../../sidecar/src/domain/renewals';
import { replay, type ReplayOrder } from '../../sidecar/src/domain/replay';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { zonedToUtc } from '../../sidecar/src/domain/time';

const TZ = 'Europe/Berlin';
const settings = { ...defaultSettings(TZ), timezone: TZ };

/** A deterministic generator, so a "clean" history is the same at every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** 20 renewals a night from 22:05 local, one a minute, each failing with `failShare` (a gateway's usual declines). */
function nights(firstDay: string, days: number, failShare: (day: number) => number, seed = 7): ReplayOrder[] {
  const rnd = random(seed);
  const out: ReplayOrder[] = [];
  let id = 1;
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.parse(`${firstDay}T12:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
    const start = zonedToUtc(`${day}T22:05:00`, TZ)!;
    for (let i = 0; i < 20; i++) {
      out.push({
        orderId: id++,
        status: rnd() < failShare(d) ? 'failed' : 'processing',
        createdAt: new Date(start.getTime() + i * 60_000 + Math.floor(rnd() * 20_000)),
        total: 19,
        paymentMethod: 'stripe',
        createdVia: 'subscription',
      });
    }
  }
  return out;
}

const asRenewals = (orders: readonly ReplayOrder[]): RenewalOrder[] => orders.map((o) => ({ status: o.status, createdAt: o.createdAt, paymentMethod: o.paymentMethod ?? null }));

describe('renewal runs', () => {
  it('computes the binomial tail', () => {
    expect(binomialTail(20, 0, 0.05)).toBe(1);
    expect(binomialTail(5, 5, 0.05)).toBeCloseTo(0.05 ** 5, 12);
    expect(binomialTail(20, 18, 0.05)).toBeLessThan(1e-15);
  });

  it('raises no false alarm in 90 clean days of nightly runs (checked every 10 minutes)', () => {
    // 2026-09-01 .. 2026-11-29 crosses the end of summer time on 25 October.
    const orders = nights('2026-09-01', 90, () => 0.05);
    const renewals = asRenewals(orders);
    const fired: string[] = [];
    const from = Date.parse('2026-09-01T00:00:00Z');
    const to = Date.parse('2026-11-30T00:00:00Z');
    for (let t = from; t < to; t += 10 * 60_000) {
      const now = new Date(t);
      const known = renewals.filter((o) => o.createdAt <= now && o.createdAt.getTime() > t - 28 * 86_400_000);
      const result = evaluateRenewals(now, settings, known);
      if (result.breached) fired.push(`${now.toISOString()} ${result.summary}`);
    }
    expect(fired).toEqual([]);
  });

  it('raises no false alarm in 60 days of renewals spread over the day with the traffic (no nightly run)', () => {
    // A busy store whose subscription plugin renews each subscription at its own sign-up time: about 40 a
    // day, few at night, 5% failing. There is no run to miss, and a chain of renewals is not a run.
    const rnd = random(3);
    const orders: ReplayOrder[] = [];
    const from = Date.parse('2026-09-01T00:00:00Z');
    const to = Date.parse('2026-10-31T00:00:00Z');
    let id = 1;
    for (let t = from; t < to; t += 60_000) {
      const hour = new Date(t).getUTCHours();
      const perHour = hour >= 8 && hour < 22 ? 2.4 : 0.4;
      if (rnd() < perHour / 60) {
        orders.push({ orderId: id++, status: rnd() < 0.05 ? 'failed' : 'processing', createdAt: new Date(t), total: 19, paymentMethod: 'stripe', createdVia: 'subscription' });
      }
    }
    const renewals = asRenewals(orders);
    const fired = new Set<string>();
    for (let t = from + 28 * 86_400_000; t < to; t += 15 * 60_000) {
      const now = new Date(t);
      const known = renewals.filter((o) => o.createdAt <= now && o.createdAt.getTime() > t - 28 * 86_400_000);
      const result = evaluateRenewals(now, settings, known);
      if (result.breached) fired.add(`${result.kind} ${(result.startedAt ?? now).toISOString().slice(0, 13)} ${result.summary}`);
    }
    expect([...fired]).toEqual([]);
  });

  it('alerts on a run with 90% failed renewals before the run ends, naming the payment method', () => {
    const history = nights('2026-11-01', 21, () => 0.05);
    const bad = nights('2026-11-22', 1, () => 0.9, 11).map((o, i) => ({ ...o, orderId: 10_000 + i }));
    const runEnd = bad[bad.length - 1]!.createdAt;
    const result = replay([...history, ...bad], { ...settings, mode: 'adaptive' }, { from: new Date('2026-11-22T18:00:00Z'), to: new Date('2026-11-23T06:00:00Z'), eventChecks: false });
    const alert = result.alerts.find((a) => a.detectors.includes('renewals'));
    expect(alert).toBeDefined();
    expect(alert!.at.getTime()).toBeLessThan(runEnd.getTime());
    expect(alert!.summary).toMatch(/of \d+ renewals failed in the run at 22:0\d \S+; usually about 1 in \d+ \(failed by payment method: stripe: \d+\)/);
    expect(bad.filter((o) => o.status === 'failed').length).toBeGreaterThanOrEqual(16);
  });

  it('warns when the usual nightly run does not come, and not before its grace has passed', () => {
    const history = asRenewals(nights('2026-11-10', 12, () => 0.05)); // last run the night of the 21st
    const beforeGrace = evaluateRenewals(new Date('2026-11-22T22:30:00Z'), settings, history); // 23:30 CET
    expect(beforeGrace.breached).toBe(false);
    const late = evaluateRenewals(new Date('2026-11-23T00:30:00Z'), settings, history); // 01:30 CET, 3 h 25 min late
    expect(late).toMatchObject({ breached: true, kind: 'missing', severity: 'warning' });
    expect(late.summary).toMatch(/usually comes at about 22:0\d \S+/);
  });

  it('keeps learning until three runs are known', () => {
    const result = evaluateRenewals(new Date('2026-11-12T22:20:00Z'), settings, asRenewals(nights('2026-11-10', 3, (d) => (d === 2 ? 1 : 0))));
    expect(result).toMatchObject({ breached: false, learning: true });
  });
});
