import { describe, expect, it } from 'vitest';
import { expectedBetween, silenceLimit } from '../../sidecar/src/domain/baseline';
import { BUDGET_SHARE } from '../../sidecar/src/domain/budget';
import { CALIBRATION_DAYS, calibrateSilence, silenceChance } from '../../sidecar/src/domain/calibration';
import { evaluateOrderFlow } from '../../sidecar/src/domain/order-flow';
import { replay, ReplayStream, type ReplayOrder } from '../../sidecar/src/domain/replay';
import { formatBacktest } from '../../sidecar/src/cli/backtest';
import { defaultSettings, type Settings } from '../../sidecar/src/domain/settings';

const MIN = 60_000;
const DAY = 86_400_000;
const settings: Settings = { ...defaultSettings('UTC'), mode: 'adaptive' };
const start = Date.parse('2026-03-02T00:00:00Z');
const RATE_PER_MIN = 1;

/** A steady Poisson store of RATE_PER_MIN orders a minute (seeded), with the orders of `skip` left out. */
function poissonStore(days: number, skip: (ms: number) => boolean = () => false, seed = 17): ReplayOrder[] {
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const orders: ReplayOrder[] = [];
  for (let t = start, i = 0; t < start + days * DAY; t += (-Math.log(1 - rand()) / RATE_PER_MIN) * MIN) {
    if (!skip(t)) orders.push({ orderId: ++i, status: 'processing', createdAt: new Date(Math.round(t)) });
  }
  return orders;
}

const now = new Date(start + CALIBRATION_DAYS * DAY + 30 * MIN);

/** The calibration a replay computes at `now`, with scheduled checks every `every` minutes, in expected orders. */
function calibratedAt(orders: ReplayOrder[], every: number, budget = 1) {
  const s = { ...settings, false_alarms_per_month: budget };
  const stream = new ReplayStream(orders, s, new Date(start), new Date(start), every);
  const calibration = stream.silenceCalibration(now);
  const k = stream.baseline(now).silenceDispersion;
  return { calibration, k, stream, limit: silenceLimit(Math.exp(-calibration.limitLogOdds), k), model: silenceLimit(Math.exp(-calibration.modelLogOdds), k) };
}

/**
 * For a Poisson store the answer is known: a gap exceeds L expected orders with chance e^-L, and then
 * overshoots it by an exponential time of mean 1/rate, in which a check every c minutes falls with chance
 * E[min(1, X/c)] = (1 - e^-rc) / rc. The limit that spends the silence's share over N gaps solves
 * N e^-L (1 - e^-rc) / rc = share x budget x days / 30.
 */
function exactLimit(gaps: number, every: number, budget = 1): number {
  const seen = (1 - Math.exp(-RATE_PER_MIN * every)) / (RATE_PER_MIN * every);
  return Math.log((gaps * seen) / ((budget * BUDGET_SHARE.silence * CALIBRATION_DAYS) / 30));
}

describe('silence calibration on the store\'s own eight weeks', () => {
  const clean = poissonStore(CALIBRATION_DAYS + 1);

  it('finds the limit that spends the budget on a Poisson store, with the checks it really has', () => {
    for (const every of [1, 5]) {
      const { calibration, limit } = calibratedAt(clean, every);
      expect(calibration.calibrated).toBe(true);
      expect(Math.abs(limit - exactLimit(calibration.gaps, every))).toBeLessThan(0.5);
    }
    // Checked every 5 minutes, most short overshoots go unseen: the model's limit would spend a fifth of the budget.
    const five = calibratedAt(clean, 5);
    expect(five.limit).toBeLessThan(five.model - 1);
    expect(five.limit).toBeLessThan(calibratedAt(clean, 1).limit);
  });

  it('follows the setting: ten times the budget is a shorter silence', () => {
    const one = calibratedAt(clean, 1);
    const ten = calibratedAt(clean, 1, 10);
    expect(Math.abs(ten.limit - exactLimit(ten.calibration.gaps, 1, 10))).toBeLessThan(0.5);
    expect(ten.limit).toBeLessThan(one.limit - 1.5);
  });

  it('spends between half the setting and the setting, whichever eight weeks a steady store had', () => {
    // The replayed limit misses the share by the noise of the 10-40 alarms it is fitted on: on three
    // samples of one Poisson store it spends 66-126% of it. The silence's share must keep all of them in
    // the band the setting promises (0.5-1), leaving room for the run test and the renewals; at a share of
    // 0.9 two of these samples spent more than the setting. (0.4: a sample at the low end, to which the
    // other tests add their part; the share is 0.65 so that a real store's slow weeks, which no model
    // foresees, keep it under the setting: olist spent 1.01 a month at 0.75.)
    for (const seed of [17, 18, 19]) {
      const orders = poissonStore(CALIBRATION_DAYS + 1, () => false, seed);
      for (const every of [1, 5, 15]) {
        for (const budget of [1, 10]) {
          const { calibration, limit } = calibratedAt(orders, every, budget);
          const seen = (1 - Math.exp(-RATE_PER_MIN * every)) / (RATE_PER_MIN * every);
          const perMonth = (calibration.gaps / CALIBRATION_DAYS) * 30 * Math.exp(-limit) * seen;
          expect(perMonth / budget, `seed ${seed}, every ${every} min, setting ${budget}`).toBeGreaterThan(0.4);
          expect(perMonth / budget, `seed ${seed}, every ${every} min, setting ${budget}`).toBeLessThan(1);
        }
      }
    }
  });

  it('an outage in the eight weeks is not taken for the store\'s rhythm', () => {
    // The baseline's own variation takes a long outage for a store that varies: its limit grows. The
    // replayed limit counts the outage as one gap among the tens it is fitted on, and hardly moves.
    const without = calibratedAt(clean, 1);
    const outage = start + 20 * DAY + 9 * 3_600_000;
    for (const [hours, tolerance] of [[24, 0.3], [48, 0.55]] as const) {
      const withOutage = calibratedAt(poissonStore(CALIBRATION_DAYS + 1, (t) => t >= outage && t < outage + hours * 3_600_000), 1);
      expect(withOutage.calibration.calibrated).toBe(true);
      expect(withOutage.model - without.model).toBeGreaterThan(0.5);
      expect(Math.abs(withOutage.limit - without.limit)).toBeLessThan(tolerance);
      expect(Math.abs(withOutage.limit - without.limit)).toBeLessThan(0.35 * (withOutage.model - without.model));
    }
  });

  it('a backtest says which silence limit it ran with, replayed or the model\'s', () => {
    const result = replay(clean, settings, { from: new Date(now.getTime() - 3 * 3_600_000), to: now, monitoringSince: new Date(start), watchingSince: new Date(start) });
    expect(result.silenceCalibration).toMatchObject({ calibrated: true, checkEveryMinutes: 1 });
    const text = formatBacktest({ settings, from: new Date(now.getTime() - 3 * 3_600_000), to: now, orders: clean.length, result }, false);
    expect(text).toMatch(/silence limit on the last day, replayed on the \d+ gaps between orders before it \(checks every 1 min\): alert below 1 in [\d,.]+( million)? \(the model alone: 1 in [\d,.]+( million)?\)/);
  });

  it('keeps the model\'s limit with too little history', () => {
    const young = calibrateSilence([start, start + MIN], calibratedAt(clean, 1).stream.baseline(now), settings, { from: start, to: start + 10 * DAY, checkEveryMinutes: 1 });
    expect(young.calibrated).toBe(false);
    expect(young.limitLogOdds).toBe(young.modelLogOdds);
    expect(young.note).toMatch(/less than 14 days/);
  });

  it('the order-flow test alerts at the calibrated limit, live and in the replay alike', () => {
    const { calibration, stream, limit, model } = calibratedAt(clean, 5);
    const baseline = stream.baseline(now);
    expect(calibration.modelLogOdds).toBeCloseTo(-Math.log(silenceChance(settings, baseline)), 10);
    // A silence between the calibrated limit and the model's: told only by the calibrated test.
    let silent = 0;
    while (expectedBetween(baseline, now.getTime() - silent, now) < (limit + model) / 2) silent += 6_000;
    const last = new Date(now.getTime() - silent);
    const recentSuccessTimes = [...clean.map((o) => o.createdAt).filter((t) => t.getTime() >= now.getTime() - 360 * MIN && t < last), last];
    const facts = { since: new Date(start), lastSuccessAt: last, recentSuccessTimes, watchingSince: new Date(start) };
    const calibrated = evaluateOrderFlow(now, settings, baseline, { ...facts, silenceCalibration: calibration });
    const modelOnly = evaluateOrderFlow(now, settings, baseline, facts);
    expect(calibrated).toMatchObject({ breached: true, kind: 'stop' });
    expect(modelOnly.breached).toBe(false);
    expect(calibrated.limit).toBeCloseTo(Math.exp(-calibration.limitLogOdds), 12);
  });
});
