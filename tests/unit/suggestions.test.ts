import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { suggestThresholds } from '../../sidecar/src/domain/suggestions';
import { tradeOff } from '../../sidecar/src/services/threshold-suggestions';

const settings = { ...defaultSettings('UTC'), peak_start: '09:00', peak_end: '18:00' };
const from = new Date('2026-11-02T00:00:00Z'); // a Monday
const to = new Date('2026-11-30T00:00:00Z'); // four weeks later

/** `perWindow(hour)` successful orders in every 15-minute window of that UTC hour, every day. */
function history(perWindow: (hour: number) => number): Date[] {
  const times: Date[] = [];
  for (let t = from.getTime(); t < to.getTime(); t += 15 * 60_000) {
    const n = perWindow(new Date(t).getUTCHours());
    for (let i = 0; i < n; i += 1) times.push(new Date(t + i * 1000));
  }
  return times;
}

describe('suggested thresholds', () => {
  it('proposes per period the highest threshold that at most N past windows fell under', () => {
    const orders = history((h) => (h >= 9 && h < 18 ? 8 : 2));
    // Four quiet peak windows (a normal lull) and one very quiet one.
    const lull = new Date('2026-11-10T12:00:00Z').getTime();
    const quieter = orders.filter((t) => t.getTime() < lull || t.getTime() >= lull + 5 * 15 * 60_000);
    for (let w = 0; w < 4; w += 1) quieter.push(new Date(lull + w * 15 * 60_000), new Date(lull + w * 15 * 60_000 + 1000));
    const s = suggestThresholds(quieter, settings, { from, to }, 4);
    expect(s.peak).toMatchObject({ threshold: 2, windows: 28 * 36, medianOrders: 8 });
    expect(s.peak.below).toBeLessThanOrEqual(4);
    expect(s.offPeak).toMatchObject({ threshold: 2, windows: 28 * 60, below: 0, medianOrders: 2 });
  });

  it('never suggests 0, which would switch the time-based check off: a store too quiet for a safe threshold gets 1, marked too quiet', () => {
    const orders = history((h) => (h === 12 ? 1 : 0));
    const s = suggestThresholds(orders, settings, { from, to });
    expect(s.peak).toMatchObject({ threshold: 1, tooQuiet: true, windows: 28 * 36, emptyWindows: 28 * 32, below: 28 * 32 });
    expect(s.offPeak).toMatchObject({ threshold: 1, tooQuiet: true, emptyWindows: 28 * 60 });
  });

  it('explains each suggestion\'s trade-off in one sentence, in the owner\'s words', () => {
    // The windows that end at 09:00 hold the 2 orders of 08:45-09:00 and count as peak: the suggestion is 2.
    const busy = suggestThresholds(history((h) => (h >= 9 && h < 18 ? 8 : 2)), settings, { from, to });
    const peak = tradeOff(busy.peak, 'peak hours', 15);
    expect(peak).toBe(
      'Alerts when fewer than 2 paid orders arrive in 15 minutes of peak hours, which happened 0 times in 1008 such periods of the last 28 days: ' +
        'a higher number notices a slowdown sooner but alerts on more ordinary quiet spells, a lower one alerts less but only once orders nearly stop.',
    );
    const quiet = suggestThresholds(history((h) => (h === 12 ? 1 : 0)), settings, { from, to });
    const offPeak = tradeOff(quiet.offPeak, 'off-peak hours', 15);
    expect(offPeak).toContain('In off-peak hours your store often goes 15 minutes without a paid order (1680 of 1680 times in the last 28 days)');
    expect(offPeak).toContain('even 1, the lowest number that still watches');
    for (const sentence of [peak, offPeak]) expect(sentence.split(/[.:;] [A-Z]/).length).toBe(1);
  });

  it('judges each window by its end in the store time zone', () => {
    const berlin = { ...settings, timezone: 'Europe/Berlin' };
    // 09:00-18:00 Berlin is 08:00-17:00 UTC in winter; the window that ends at 09:00 Berlin is judged
    // as peak, as the live check at 09:00 judges it, so it needs the traffic of 07:45-08:00 UTC too.
    const orders = history((h) => (h >= 7 && h < 17 ? 6 : 0));
    const s = suggestThresholds(orders, berlin, { from, to });
    expect(s.peak.threshold).toBe(6);
    expect(s.offPeak).toMatchObject({ threshold: 1, tooQuiet: true });
    const utc = suggestThresholds(orders, settings, { from, to });
    expect(utc.peak).toMatchObject({ threshold: 1, tooQuiet: true });
  });
});
