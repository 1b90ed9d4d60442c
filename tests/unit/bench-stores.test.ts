import { describe, expect, it } from 'vitest';
import { evaluateRenewals } from '../../sidecar/src/domain/renewals';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { localDate, localTime } from '../../sidecar/src/domain/time';
import { BUSY, MID, synthesize } from '../bench/detection';

const TZ = 'Europe/Berlin';
const HOUR = 3_600_000;

/**
 * The detection benchmark's synthetic mid store stands for a real store, so its nightly renewal run must
 * behave as a real scheduler does. It used to skip the run on the night summer time begins (02:00 does not
 * exist), and the renewals detector, rightly, told a missing run: a false alarm of the generator's making.
 */
describe('the benchmark\'s mid store runs its renewals like a scheduler', () => {
  const renewals = synthesize(MID).filter((o) => o.createdVia === 'subscription');

  it('runs once every local day, at 03:00 on the night 02:00 does not exist', () => {
    const runsPerDay = new Map<string, number[]>();
    for (const o of renewals) {
      const day = localDate(o.createdAt, TZ);
      runsPerDay.set(day, [...(runsPerDay.get(day) ?? []), localTime(o.createdAt, TZ).minuteOfDay]);
    }
    const days = [...runsPerDay.keys()].sort();
    // Every local day from the first to the last has its run of 25, none twice.
    const first = Date.parse(`${days[0]}T12:00:00Z`);
    const last = Date.parse(`${days[days.length - 1]}T12:00:00Z`);
    expect(days.length).toBe(Math.round((last - first) / (24 * HOUR)) + 1);
    for (const minutes of runsPerDay.values()) expect(minutes.length).toBe(MID.renewalRun!.orders);
    const springForward = runsPerDay.get('2025-03-30')!;
    expect(Math.min(...springForward)).toBeGreaterThanOrEqual(3 * 60);
    expect(Math.max(...springForward)).toBeLessThan(3 * 60 + 15);
  });

  it('gives the renewals detector nothing to tell around the change of clock', () => {
    const settings = { ...defaultSettings(TZ), timezone: TZ };
    const from = Date.parse('2025-03-25T00:00:00Z');
    for (let t = from; t < from + 10 * 24 * HOUR; t += 15 * 60_000) {
      const now = new Date(t);
      const recent = renewals
        .filter((o) => o.createdAt <= now && o.createdAt.getTime() > t - 28 * 24 * HOUR)
        .map((o) => ({ status: o.status, createdAt: o.createdAt, paymentMethod: o.paymentMethod ?? null }));
      const verdict = evaluateRenewals(now, settings, recent);
      expect(verdict.breached, `${now.toISOString()}: ${verdict.summary}`).toBe(false);
    }
  });
});

/**
 * The busy store's renewals come one by one with the traffic. They used to be "retried" like a customer's
 * checkout, as new orders minutes apart, so one declined card read as three failed renewals in a row and
 * the renewals detector told a failing run: a real subscription retries the same order hours later.
 */
describe('the benchmark\'s busy store renews like a subscription plugin', () => {
  it('never follows a declined renewal with another of the same amount and method within minutes', () => {
    const renewals = synthesize(BUSY).filter((o) => o.createdVia === 'subscription');
    expect(renewals.length).toBeGreaterThan(1000);
    expect(renewals.some((o) => o.status === 'failed')).toBe(true);
    const seen = new Map<string, number>();
    let repeats = 0;
    for (const o of renewals) {
      const key = `${o.total}|${o.paymentMethod}`;
      const previous = seen.get(key);
      if (previous !== undefined && o.createdAt.getTime() - previous < 10 * 60_000) repeats++;
      if (o.status === 'failed') seen.set(key, o.createdAt.getTime());
    }
    expect(repeats).toBe(0);
  });
});
