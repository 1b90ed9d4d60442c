import { describe, expect, it } from 'vitest';
import { buildBaseline, expectedBetween, probabilityOfNone, rateAt, silenceNeedsOwnBaseline, withoutOwnHoursFactor, type HourlyHistory } from '../../sidecar/src/domain/baseline';
import { detectorsToRun, isCustomerOrder } from '../../sidecar/src/domain/checks';
import { severityOf } from '../../sidecar/src/domain/detectors';
import { diagnose, type OrderDetail } from '../../sidecar/src/domain/diagnosis';
import { evaluateFailureRate, failureRunLimit, mergeRetries } from '../../sidecar/src/domain/failure-rate';
import { impactOf } from '../../sidecar/src/domain/impact';
import { evaluateOrderFlow } from '../../sidecar/src/domain/order-flow';
import { checkCadenceMinutes, defaultSettings, enabledDetectors, mergeSettings, type Settings } from '../../sidecar/src/domain/settings';
import { HOUR_MS, hourIndex, hourOfWeek, zonedToUtc } from '../../sidecar/src/domain/time';

const MIN = 60_000;
const settings: Settings = { ...defaultSettings('Europe/Berlin'), mode: 'adaptive' };
const now = new Date('2026-11-23T19:00:00Z'); // a Monday, 20:00 in Berlin

/** `perHour(localHour)` successful orders every hour for `days` days before now, spread evenly. */
function history(days: number, perHour: (localHourOfWeek: number) => number, failShare = 0): HourlyHistory {
  const asOf = hourIndex(now);
  const firstHour = asOf - days * 24;
  const success = new Float64Array(days * 24);
  const failure = new Float64Array(days * 24);
  for (let i = 0; i < days * 24; i++) {
    const n = perHour(hourOfWeek(firstHour + i, settings.timezone));
    success[i] = n;
    failure[i] = Math.round(n * failShare);
  }
  return { firstHour, success, failure, revenue: success.map((n) => n * 50), revenueOrders: success };
}

const busyDays = (slot: number) => (slot % 24 >= 8 && slot % 24 < 22 ? 120 : 6);

/** The last six hours of successful orders at the busyDays rate, oldest first, none after `last`. */
function recentTimes(at: Date, last: Date): Date[] {
  const times: Date[] = [];
  for (let m = 360; m >= 0; m--) {
    const t = at.getTime() - m * MIN;
    const perMinute = busyDays(hourOfWeek(hourIndex(t), settings.timezone)) / 60;
    // Deterministic spacing: an order whenever the running count passes a whole number.
    if (Math.floor((360 - m + 1) * perMinute) > Math.floor((360 - m) * perMinute) && t <= last.getTime()) times.push(new Date(t));
  }
  return times;
}
const flow = (at: Date, minutesSilent: number, sinceDays = 56) => {
  const last = new Date(at.getTime() - minutesSilent * MIN);
  return { since: since(sinceDays), lastSuccessAt: last, recentSuccessTimes: recentTimes(at, last) };
};
const since = (days: number) => new Date(now.getTime() - days * 86_400_000);

describe('adaptive baseline', () => {
  it('learns the store rhythm by local hour of week', () => {
    const baseline = buildBaseline(history(56, busyDays), since(56), now, settings.timezone);
    expect(rateAt(baseline, now)).toBeCloseTo(120, 0); // 20:00 Berlin
    expect(rateAt(baseline, new Date('2026-11-23T02:00:00Z'))).toBeCloseTo(6, 0); // 03:00 Berlin
    expect(baseline.historyDays).toBe(56);
    expect(baseline.averageOrderValue).toBe(50);
    expect(expectedBetween(baseline, now.getTime() - 30 * MIN, now)).toBeCloseTo(60, 0);
  });

  it('weighs recent weeks more: a store that doubled four weeks ago expects more than the 8-week average', () => {
    const asOf = hourIndex(now);
    const base = history(56, (slot) => (slot % 24 >= 8 && slot % 24 < 22 ? 10 : 0));
    const success = Float64Array.from(base.success, (n, i) => (base.firstHour + i >= asOf - 28 * 24 ? 2 * n : n));
    const grown: HourlyHistory = { ...base, success, revenueOrders: success };
    const baseline = buildBaseline(grown, since(56), now, settings.timezone);
    // Unweighted the 8 weeks average 15 an hour; each older week weighing 0.8 of the next pulls it towards 20.
    expect(rateAt(baseline, now)).toBeGreaterThan(16.5);
    expect(rateAt(baseline, now)).toBeLessThan(20);
  });

  it("reads the hours in the store's own time zone", () => {
    // Orders only 09:00-10:00 Tokyo time, which is 00:00-01:00 UTC: the expectation follows Tokyo's clock.
    const tokyo = 'Asia/Tokyo';
    const asOf = hourIndex(now);
    const firstHour = asOf - 56 * 24;
    const success = new Float64Array(56 * 24);
    for (let i = 0; i < success.length; i++) success[i] = hourOfWeek(firstHour + i, tokyo) % 24 === 9 ? 30 : 0;
    const baseline = buildBaseline({ firstHour, success, failure: new Float64Array(success.length), revenue: success, revenueOrders: success }, since(56), now, tokyo);
    expect(rateAt(baseline, new Date('2026-11-24T00:30:00Z'))).toBeCloseTo(30, 0); // 09:30 in Tokyo
    expect(rateAt(baseline, new Date('2026-11-24T09:30:00Z'))).toBeCloseTo(0, 0); // 18:30 in Tokyo, 09:30 UTC
  });

  it('knows the failure share of carts and of attempts apart: a retried decline is one failed cart, two failed attempts', () => {
    const base = history(56, busyDays, 0.03);
    const retriedFailure = Float64Array.from(base.failure, (n) => n / 3);
    const baseline = buildBaseline({ ...base, retriedFailure }, since(56), now, settings.timezone);
    expect(baseline.failureShare).toBeGreaterThan(0.018);
    expect(baseline.failureShare).toBeLessThan(0.025);
    expect(baseline.freshFailureShare).toBeGreaterThan(0.028);
    expect(baseline.freshFailureShare).toBeLessThan(0.035);
    // The run test reads the newest carts before their customers retry: with this store's 3% of failing
    // attempts, three failed carts in a row would come by chance more than once a month.
    expect(failureRunLimit(baseline.freshFailureShare, baseline.classifiedPerMonth, 0.45).length).toBe(4);
  });

  it('lets a sparse hour borrow from its day profile instead of calling it dead', () => {
    // Orders only every other day at 14:00: the hour is not zero on the days in between.
    const sparse = history(28, (slot) => (slot % 24 === 14 && Math.floor(slot / 24) % 2 === 0 ? 2 : 0));
    const baseline = buildBaseline(sparse, since(28), now, settings.timezone);
    const tuesday14 = baseline.ratePerHour[1 * 24 + 14] ?? 0;
    expect(tuesday14).toBeGreaterThan(0);
    expect(tuesday14).toBeLessThan(2);
  });

  it('is zero where the store never sells, so a quiet night is never an outage', () => {
    const baseline = buildBaseline(history(56, (slot) => (slot % 24 >= 9 && slot % 24 < 18 ? 10 : 0)), since(56), now, settings.timezone);
    expect(expectedBetween(baseline, new Date('2026-11-23T21:00:00Z'), new Date('2026-11-24T05:00:00Z'))).toBe(0);
  });
});

describe('order-flow test', () => {
  const baseline = buildBaseline(history(56, busyDays), since(56), now, settings.timezone);

  it('alerts within minutes when a busy store stops, saying what was expected and what came', () => {
    const quiet = evaluateOrderFlow(now, settings, baseline, flow(now, 2));
    expect(quiet.breached).toBe(false);
    const stopped = evaluateOrderFlow(now, settings, baseline, flow(now, 12));
    expect(stopped).toMatchObject({ breached: true, kind: 'stop', came: 0, learning: false });
    expect(stopped.expected).toBeGreaterThan(20);
    expect(stopped.summary).toMatch(/no successful order for 12 min: about [\d.]+ were expected, 0 came/);
    expect(stopped.startedAt).toEqual(new Date(now.getTime() - 12 * MIN));
  });

  it('does not wake a quiet store at night', () => {
    const night = new Date('2026-11-24T03:00:00Z');
    const nightBaseline = buildBaseline(history(56, busyDays), since(56), night, settings.timezone);
    const result = evaluateOrderFlow(night, settings, nightBaseline, flow(night, 60));
    expect(result.breached).toBe(false);
  });

  it('spends the admin budget: a larger budget alerts sooner', () => {
    const facts = flow(now, 6);
    const strict = evaluateOrderFlow(now, { ...settings, false_alarms_per_month: 0.1 }, baseline, facts);
    const loose = evaluateOrderFlow(now, { ...settings, false_alarms_per_month: 100 }, baseline, facts);
    expect(loose.limit).toBeGreaterThan(strict.limit);
    // 6 silent minutes at 120 an hour (12 expected orders): enough for 100 false alarms a month, not for 0.1.
    expect(loose.breached).toBe(true);
    expect(strict.breached).toBe(false);
  });

  it('judges a long silence by the baseline from before it, not by one that has learnt the silence itself', () => {
    // A small store (2 an hour all day) whose orders stopped 8 whole hours ago: the hourly baseline of
    // now counts those 8 hours as hours of no orders (the latest week weighs most), the one of the
    // silence's start does not.
    const silentFor = 8 * 60;
    const start = new Date(now.getTime() - silentFor * MIN);
    const asOf = hourIndex(now);
    const steady = history(56, () => 2);
    const withOutage: HourlyHistory = { ...steady, success: Float64Array.from(steady.success, (n, i) => (steady.firstHour + i >= hourIndex(start) && steady.firstHour + i < asOf ? 0 : n)) };
    const current = buildBaseline(withOutage, since(56), now, settings.timezone);
    const before = buildBaseline(withOutage, since(56), start, settings.timezone);
    expect(silenceNeedsOwnBaseline(start, now)).toBe(true);
    expect(silenceNeedsOwnBaseline(new Date(now.getTime() - 50 * MIN), now)).toBe(false);
    const facts = { since: since(56), lastSuccessAt: start, recentSuccessTimes: [] };
    const learnt = evaluateOrderFlow(now, settings, current, facts);
    const judged = evaluateOrderFlow(now, settings, current, { ...facts, silenceBaseline: before });
    expect(judged.expected).toBeCloseTo(16, 0);
    // The silence's own hours took a sixth or more off what was expected in them.
    expect(learnt.expected).toBeLessThan(judged.expected * 0.85);
    expect(judged.probability).toBeLessThan(learnt.probability);
    // Today's baseline, told to take those hours out again (as the silence calibration replays past
    // silences), expects about what the one from before does: within 5% (the day profile it shrinks
    // towards learnt the hours too).
    const corrected = expectedBetween(current, start, now) * withoutOwnHoursFactor(current, start.getTime(), now.getTime());
    expect(corrected / judged.expected).toBeGreaterThan(0.985);
    expect(corrected / judged.expected).toBeLessThan(1.015);
    // A baseline from before the store had a week of history cannot judge: the current one does.
    const young = buildBaseline(withOutage, since(7), start, settings.timezone);
    expect(young.historyDays).toBeLessThan(7);
    expect(evaluateOrderFlow(now, settings, current, { ...facts, since: since(7), silenceBaseline: young }).expected).toBeCloseTo(expectedBetween(current, start, now), 1);
  });

  it('catches a partial drop with the CUSUM', () => {
    // 3 orders in the last two hours where about 240 were expected, but the last one a minute ago.
    const times = [110, 60, 1].map((m) => new Date(now.getTime() - m * MIN));
    const result = evaluateOrderFlow(now, settings, baseline, { since: since(56), lastSuccessAt: times[2]!, recentSuccessTimes: times });
    expect(result).toMatchObject({ breached: true, kind: 'drop' });
  });

  it('a new store busy in its first hour is said to be learning from whole hours, not to have no orders', () => {
    // Monitoring began 40 minutes ago; 300 paid orders since, all in the hour now running.
    const start = new Date(now.getTime() - 40 * MIN);
    const baseline = buildBaseline(history(1, () => 0), start, now, settings.timezone);
    const result = evaluateOrderFlow(now, settings, baseline, { since: start, lastSuccessAt: new Date(now.getTime() - MIN), recentSuccessTimes: [] });
    expect(result).toMatchObject({ breached: false, learning: true });
    expect(result.summary).not.toMatch(/0 days of history/);
    expect(result.summary).toMatch(/^still learning the store's rhythm: 0 successful orders in the 0 whole hours watched so far \(the current hour counts once it ends\)/);
  });

  it('gives no verdict on the order flow before day 7; from then on, a wider margin as wide as the history is short', () => {
    const facts = flow(now, 12, 6);
    const sixDays = evaluateOrderFlow(now, settings, buildBaseline(history(6, busyDays), since(6), now, settings.timezone), facts);
    expect(sixDays).toMatchObject({ breached: false, learning: true });
    expect(sixDays.summary).toMatch(/no verdict until 7 days/);
    const young = buildBaseline(history(7, busyDays), since(7), now, settings.timezone);
    const result = evaluateOrderFlow(now, settings, young, flow(now, 12, 7));
    expect(result).toMatchObject({ learning: true, breached: true });
    expect(result.summary).toMatch(/learning, about 21 days left/);
    // The margin is the learnt rate's own uncertainty: the same silence is less surprising after a week.
    const grown = evaluateOrderFlow(now, settings, baseline, { ...facts, since: since(56) });
    expect(young.silenceDispersion).toBeLessThan(baseline.silenceDispersion);
    expect(result.probability).toBeGreaterThan(grown.probability);
  });

  it('scores a silence at its own time scale: a small steady store\'s empty day is far rarer than day-to-day variation says', () => {
    // 12 orders a day, 09:00-21:00 Berlin, steady: a day without an order is extremely unlikely.
    const small = buildBaseline(history(56, (slot) => (slot % 24 >= 9 && slot % 24 < 21 ? 1 : 0)), since(56), now, settings.timezone);
    const p = probabilityOfNone(11.5, small.silenceDispersion);
    expect(p).toBeLessThan(1e-4);
    expect(probabilityOfNone(11.5, 3)).toBeGreaterThan(1 / 200); // what a day-level shape of 3 said: 1 in 114
  });

  it('holds an open alert until the evidence is half gone, so an hourly rebuild does not flap it', () => {
    const facts = flow(now, 12);
    const fresh = evaluateOrderFlow(now, settings, baseline, facts);
    const bar = fresh.limit;
    // Find a silence just short of the opening bar: it does not open, but it holds an open alert.
    const chance = (m: number) => probabilityOfNone(expectedBetween(baseline, now.getTime() - m * MIN, now), baseline.silenceDispersion);
    const minutes = Array.from({ length: 12 }, (_, i) => i + 1).find((m) => chance(m) < Math.sqrt(bar) && chance(m) >= bar);
    expect(minutes).toBeDefined();
    const short = flow(now, minutes!);
    expect(evaluateOrderFlow(now, settings, baseline, short).breached).toBe(false);
    expect(evaluateOrderFlow(now, settings, baseline, { ...short, alertOpen: true }).breached).toBe(true);
  });

  it('while learning, calls no silence or slow stretch an outage that the history already lived through', () => {
    // Ten days of a store that sells 20 an hour in the daytime, but once went quiet for a whole afternoon.
    const days = 10;
    const quietDay = Math.floor(hourIndex(now) / 24) - 3;
    const daily = history(days, (slot) => (slot % 24 >= 8 && slot % 24 < 22 ? 20 : 0));
    const success = Float64Array.from(daily.success, (n, i) => {
      const h = daily.firstHour + i;
      return Math.floor(h / 24) === quietDay && h % 24 >= 12 && h % 24 < 18 ? 0 : n;
    });
    const young: HourlyHistory = { ...daily, success, revenueOrders: success };
    const baseline = buildBaseline(young, since(days), now, settings.timezone);
    expect(baseline.longestQuietExpected).toBeGreaterThan(35); // more than 90 minutes at 20 an hour
    // 90 silent minutes at 20 an hour: alarming for a store that never paused, normal for this one.
    expect(evaluateOrderFlow(now, settings, baseline, flow(now, 90, days)).breached).toBe(false);
    // An order every 3 minutes until 90 minutes ago, then 3 in 90 minutes: a slow stretch, not a silence.
    const slow = [...Array.from({ length: 90 }, (_, i) => 360 - 3 * i), 80, 40, 1].map((m) => new Date(now.getTime() - m * MIN));
    const slowFacts = { since: since(days), lastSuccessAt: slow[slow.length - 1]!, recentSuccessTimes: slow };
    expect(evaluateOrderFlow(now, settings, baseline, slowFacts).breached).toBe(false);
    const steady = buildBaseline(history(days, (slot) => (slot % 24 >= 8 && slot % 24 < 22 ? 20 : 0)), since(days), now, settings.timezone);
    expect(evaluateOrderFlow(now, settings, steady, flow(now, 90, days)).breached).toBe(true);
    expect(evaluateOrderFlow(now, settings, steady, slowFacts)).toMatchObject({ breached: true, kind: 'drop' });
  });

  it("is a warning for a small store's silent day and critical for two", () => {
    // 15 orders a day, 09:00-18:00 Berlin.
    const small = buildBaseline(history(56, (slot) => (slot % 24 >= 9 && slot % 24 < 18 ? 15 / 9 : 0)), since(56), now, settings.timezone);
    const silent = (hours: number) =>
      evaluateOrderFlow(now, settings, small, { since: since(56), lastSuccessAt: new Date(now.getTime() - hours * HOUR_MS), recentSuccessTimes: [] });
    expect(silent(26)).toMatchObject({ breached: true, severity: 'warning' });
    expect(silent(50)).toMatchObject({ breached: true, severity: 'critical' });
  });
});

describe('failure-rate test and diagnosis', () => {
  const baseline = buildBaseline(history(56, busyDays, 0.01), since(56), now, settings.timezone);
  let id = 0;
  const order = (status: string, minutesAgo: number, extra: Partial<OrderDetail> = {}): OrderDetail => ({
    orderId: ++id,
    status,
    createdAt: new Date(now.getTime() - minutesAgo * MIN),
    total: 40 + (id % 17),
    paymentMethod: id % 2 ? 'stripe' : 'paypal',
    ...extra,
  });
  const newestFirst = (orders: OrderDetail[]) => [...orders].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const healthy = () => Array.from({ length: 100 }, (_, i) => order(i % 40 === 0 ? 'failed' : 'processing', 200 - i));

  it('ordinary declines do not alert', () => {
    const result = evaluateFailureRate(settings, baseline, newestFirst(healthy()));
    expect(result.breached).toBe(false);
    expect(result.summary).toMatch(/usual share/);
  });

  it('a checkout where every payment fails alerts within a few orders, as critical once it goes on', () => {
    const failures: OrderDetail[] = [];
    let breachedAfter = 0;
    for (let n = 1; n <= 10 && breachedAfter === 0; n++) {
      failures.push(order('failed', 10 - n, { paymentMethod: n % 2 ? 'stripe' : 'paypal' }));
      if (evaluateFailureRate(settings, baseline, newestFirst([...healthy(), ...failures])).breached) breachedAfter = n;
    }
    expect(breachedAfter).toBeGreaterThan(0);
    expect(breachedAfter).toBeLessThanOrEqual(3);
    const many = Array.from({ length: 10 }, (_, i) => order('failed', 10 - i, { paymentMethod: i % 2 ? 'stripe' : 'paypal' }));
    const result = evaluateFailureRate(settings, baseline, newestFirst([...healthy(), ...many]));
    expect(result).toMatchObject({ breached: true, severity: 'critical' });
    expect(result.diagnosis?.kind).toBe('checkout_broken');
    expect(severityOf([result])).toBe('critical');
  });

  it('needs the third failed order in a row on a busy store with ordinary declines, and more where declines are common', () => {
    // The synthetic benchmark store: about 2% of 54,500 carts a month fail.
    expect(failureRunLimit(0.0195, 54_500, 0.45)).toMatchObject({ length: 3 });
    expect(failureRunLimit(0.0195, 54_500, 0.45).perMonth).toBeCloseTo(54_500 * 0.9805 * 0.0195 ** 3, 6);
    // Where a tenth of carts fail, three in a row happen 50 times a month: the run must be longer.
    expect(failureRunLimit(0.1, 54_500, 0.45).length).toBe(6);
    // A store that almost never fails still needs three: one or two declined cards say nothing.
    expect(failureRunLimit(0.005, 450, 0.45).length).toBe(3);
    // Less budget, a longer run.
    expect(failureRunLimit(0.0195, 54_500, 0.045).length).toBe(4);
  });

  it('three failed carts in a row alert on a store with 2% declines, saying so', () => {
    const declining = buildBaseline(history(56, busyDays, 0.02), since(56), now, settings.timezone);
    const failures = [3, 2, 1].map((m, i) => order('failed', m, { paymentMethod: i % 2 ? 'stripe' : 'paypal' }));
    const two = evaluateFailureRate(settings, declining, newestFirst([...healthy(), ...failures.slice(0, 2)]));
    expect(two.breached).toBe(false);
    const three = evaluateFailureRate(settings, declining, newestFirst([...healthy(), ...failures]));
    expect(three).toMatchObject({ breached: true, failedInARow: 3, runLimit: 3, severity: 'warning' });
    expect(three.summary).toMatch(/3 orders in a row failed where about [\d.]+% usually fail/);
    // One success after them ends the run; the CUSUM alone then decides (and holds an open alert).
    const after = evaluateFailureRate(settings, declining, newestFirst([...healthy(), ...failures, order('processing', 0)]), true);
    expect(after.failedInARow).toBe(0);
  });

  it('recognises card testing although its attempts look like retried carts', () => {
    // Nine $1 attempts with one gateway in four minutes: merged as retries they are three carts.
    const testing = Array.from({ length: 9 }, (_, i) => order('failed', 4 - i * 0.4, { total: 1, paymentMethod: 'stripe' }));
    const result = evaluateFailureRate(settings, baseline, newestFirst([...healthy(), ...testing]));
    expect(result.breached).toBe(true);
    expect(result.diagnosis?.kind).toBe('card_testing');
    expect(result.startedAt).toEqual(testing[0]!.createdAt);
  });

  it('follows the reference severities: 5 failures in a row a warning, 10 critical', () => {
    const run = (n: number) => Array.from({ length: n }, (_, i) => order('failed', n - i, { paymentMethod: i % 2 ? 'stripe' : 'paypal' }));
    expect(evaluateFailureRate(settings, baseline, newestFirst([...healthy(), ...run(5)]))).toMatchObject({ breached: true, severity: 'warning' });
    expect(evaluateFailureRate(settings, baseline, newestFirst([...healthy(), ...run(10)]))).toMatchObject({ breached: true, severity: 'critical' });
  });

  it('half the orders failing alerts within about ten orders', () => {
    const wave = Array.from({ length: 20 }, (_, i) => order(i % 2 ? 'failed' : 'processing', 20 - i));
    let at = 0;
    for (let n = 1; n <= wave.length && at === 0; n++) {
      if (evaluateFailureRate(settings, baseline, newestFirst([...healthy(), ...wave.slice(0, n)])).breached) at = n;
    }
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThanOrEqual(12);
  });

  it('a customer retrying one declined cart counts once', () => {
    const isFailure = (o: OrderDetail) => o.status === 'failed';
    const cart = { total: 99.5, paymentMethod: 'stripe' };
    const merged = mergeRetries([order('failed', 5, cart), order('failed', 4, cart), order('processing', 3, cart)], isFailure);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.status).toBe('processing');
    // A shop with one product at one price: a failing checkout is not folded into one endless "cart".
    const oneProduct = Array.from({ length: 9 }, (_, i) => order('failed', 9 - i, cart));
    expect(mergeRetries(oneProduct, isFailure)).toHaveLength(3);
  });

  it('diagnoses a failing gateway, card testing and a broken checkout', () => {
    const isFailure = (o: OrderDetail) => o.status === 'failed';
    const gateway = [order('failed', 5, { paymentMethod: 'stripe' }), order('processing', 4, { paymentMethod: 'paypal' }), order('failed', 3, { paymentMethod: 'stripe' }), order('failed', 2, { paymentMethod: 'stripe' })];
    expect(diagnose(gateway, isFailure, 50)).toMatchObject({ kind: 'gateway', paymentMethod: 'stripe' });
    const testing = Array.from({ length: 8 }, (_, i) => order('failed', 8 - i, { total: 1 + (i % 2) }));
    expect(diagnose([...testing, order('processing', 0)], isFailure, 50).kind).toBe('card_testing');
    const broken = [order('failed', 3, { paymentMethod: 'stripe' }), order('failed', 2, { paymentMethod: 'paypal' })];
    expect(diagnose(broken, isFailure, 50).kind).toBe('checkout_broken');
  });
});

describe('adaptive mode wiring', () => {
  it('has its own detectors, a setting for the budget and a one-minute cadence', () => {
    expect(enabledDetectors('adaptive')).toEqual(['order_flow', 'failure_rate']);
    expect(detectorsToRun('adaptive', 'event')).toEqual(['failure_rate']);
    expect(detectorsToRun('hybrid', 'schedule')).toEqual(['time_based', 'rolling_average']);
    expect(defaultSettings('UTC').false_alarms_per_month).toBe(1);
    expect(checkCadenceMinutes(settings)).toBe(1);
    expect(defaultSettings('UTC').mode).toBe('adaptive');
    expect(checkCadenceMinutes(defaultSettings('UTC'))).toBe(1);
    expect(checkCadenceMinutes({ ...defaultSettings('UTC'), mode: 'hybrid' })).toBe(15);
    const bad = mergeSettings(defaultSettings('UTC'), { false_alarms_per_month: 0 });
    expect(!bad.ok && bad.errors.map((e) => e.field)).toEqual(['false_alarms_per_month']);
  });

  it('never counts an admin order or a subscription renewal as a customer checkout', () => {
    expect(isCustomerOrder({ createdVia: 'admin' })).toBe(false);
    expect(isCustomerOrder({ createdVia: 'subscription' })).toBe(false);
    expect(isCustomerOrder({ createdVia: 'checkout' })).toBe(true);
    expect(isCustomerOrder({ createdVia: null })).toBe(true);
  });

  it('estimates what a problem cost', () => {
    const baseline = buildBaseline(history(56, busyDays), since(56), now, settings.timezone);
    const impact = impactOf(baseline, new Date(now.getTime() - 30 * MIN), now, 0);
    expect(impact.missedOrders).toBe(60);
    expect(impact.missedRevenue).toBe(3000);
  });

  it('reads wall-clock times in the store zone, across daylight saving', () => {
    expect(zonedToUtc('2017-03-05T14:20:00', 'America/Sao_Paulo')?.toISOString()).toBe('2017-03-05T17:20:00.000Z');
    expect(zonedToUtc('2026-07-01T12:00', 'Europe/Berlin')?.toISOString()).toBe('2026-07-01T10:00:00.000Z');
    expect(zonedToUtc('2026-01-01 12:00:00', 'Europe/Berlin')?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
    expect(zonedToUtc('not a date', 'UTC')).toBeNull();
    expect(hourIndex(new Date(5 * HOUR_MS + 1))).toBe(5);
  });
});
