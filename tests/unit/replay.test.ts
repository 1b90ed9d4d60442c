import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BacktestInputError, formatBacktest, parseOrdersCsv, parseOrdersJsonLines, parseStatusMap, runBacktest } from '../../sidecar/src/cli/backtest';
import { replay, type ReplayOrder } from '../../sidecar/src/domain/replay';
import { defaultSettings, type Settings } from '../../sidecar/src/domain/settings';

const MIN = 60_000;
const start = Date.parse('2026-09-01T00:00:00Z');
const adaptive: Settings = { ...defaultSettings('UTC'), mode: 'adaptive' };

/** A steady store: an order every 2 minutes from 08:00 to 22:00 UTC, one every 20 minutes at night. */
function steadyStore(days: number, skip: (ms: number) => boolean = () => false, status: (ms: number, i: number) => string = () => 'processing'): ReplayOrder[] {
  const orders: ReplayOrder[] = [];
  let i = 0;
  for (let t = start; t < start + days * 86_400_000; ) {
    const hour = new Date(t).getUTCHours();
    const gap = hour >= 8 && hour < 22 ? 2 : 20;
    if (!skip(t)) orders.push({ orderId: ++i, status: status(t, i), createdAt: new Date(t), total: 20 + (i % 37), paymentMethod: i % 2 ? 'stripe' : 'paypal' });
    t += gap * MIN;
  }
  return orders;
}

const outageAt = start + 35 * 86_400_000 + 18 * 3_600_000; // day 35, 18:00 UTC

describe('replay: the live sidecar on a simulated clock', () => {
  it('a clean stream raises nothing; a stop at peak raises one order-flow alert within minutes and resolves', () => {
    const window = { from: new Date(outageAt - 3 * 3_600_000), to: new Date(outageAt + 4 * 3_600_000) };
    expect(replay(steadyStore(36), adaptive, window).alerts).toEqual([]);

    const stopped = steadyStore(36, (t) => t >= outageAt && t < outageAt + 150 * MIN);
    const result = replay(stopped, adaptive, window);
    // One problem: its alert, and once more when the silence became critical (news, README "Alert lifecycle"):
    // at 30 orders an hour, once about 50 orders are missing and the evidence is twice what opened it.
    expect(result.alerts.map((a) => [a.kind, a.severity, a.problemId])).toEqual([
      ['alert', 'warning', 1],
      ['alert', 'critical', 1],
    ]);
    const critical = result.alerts[1]!;
    // About 100 minutes at 30 an hour; the silence is judged by the baseline from before it (which has not
    // learnt the outage's own hours), so a minute or so either side.
    expect(critical.at.getTime() - outageAt).toBeGreaterThanOrEqual(95 * MIN);
    expect(critical.at.getTime() - outageAt).toBeLessThan(150 * MIN);
    const alert = result.alerts[0]!;
    expect(alert.detectors).toEqual(['order_flow']);
    // 30 orders an hour: about 12 expected orders (24 min) make the silence unlikely enough for the budget.
    expect(alert.at.getTime() - outageAt).toBeLessThanOrEqual(30 * MIN);
    expect(alert.summary).toMatch(/were expected, 0 came/);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.resolvedAt?.getTime()).toBeGreaterThanOrEqual(outageAt + 150 * MIN);
  });

  it('every payment failing is caught by the event-triggered failure test within a few orders', () => {
    const failing = steadyStore(36, () => false, (t) => (t >= outageAt && t < outageAt + 60 * MIN ? 'failed' : 'processing'));
    const result = replay(failing, adaptive, { from: new Date(outageAt - 60 * MIN), to: new Date(outageAt + 90 * MIN) });
    const alert = result.alerts[0]!;
    expect(alert.detectors).toContain('failure_rate');
    const failedBefore = failing.filter((o) => o.status === 'failed' && o.createdAt <= alert.at).length;
    expect(alert.numbers.failure_rate).toMatchObject({ failed: failedBefore, failedInARow: failedBefore });
    expect(failedBefore).toBeLessThanOrEqual(3);
    expect(alert.severity).toBe('warning');
  });

  it('never counts an admin order or a renewal as a checkout, in the fixed modes too', () => {
    // A store whose customers stopped at 12:00 while an admin keeps entering phone orders every 2 minutes.
    const noon = start + 86_400_000 + 12 * 3_600_000;
    const orders = steadyStore(2).map((o) => (o.createdAt.getTime() >= noon ? { ...o, createdVia: Number(o.orderId) % 2 ? 'admin' : 'subscription' } : o));
    const timeBased: Settings = { ...defaultSettings('UTC'), mode: 'time_based', threshold_peak: 3 };
    const result = replay(orders, timeBased, { from: new Date(noon - 3_600_000), to: new Date(noon + 3_600_000) });
    expect(result.alerts[0]).toMatchObject({ kind: 'alert', detectors: ['time_based'] });
    expect(result.alerts[0]!.at.getTime()).toBeLessThanOrEqual(noon + 30 * MIN);
    const customersOnly = replay(steadyStore(2), timeBased, { from: new Date(noon - 3_600_000), to: new Date(noon + 3_600_000) });
    expect(customersOnly.alerts).toEqual([]);
  });

  it('keeps the specification modes as they are: one alert per problem, reminders once per cooldown', () => {
    const hybrid: Settings = { ...defaultSettings('UTC'), mode: 'hybrid', threshold_peak: 100 }; // always too few
    const result = replay(steadyStore(2), hybrid, { from: new Date(start + 86_400_000), to: new Date(start + 86_400_000 + 5 * 3_600_000) });
    expect(result.problems).toHaveLength(1);
    expect(result.alerts.map((a) => a.kind)).toEqual(['alert', 'reminder', 'reminder']);
    expect(result.alerts.every((a) => a.detectors.includes('time_based'))).toBe(true);
  });
});

describe('a long replay', () => {
  // Over 5,000,000 checks at one a minute (9.6 years): a former cap ended such replays silently while the
  // summary still reported the whole period.
  it('runs to the end of any period: the alerts of its last hour are there', { timeout: 300_000 }, () => {
    const from = new Date('2010-01-01T00:00:00Z');
    const to = new Date(from.getTime() + Math.round(9.6 * 365.25) * 86_400_000);
    const end = to.getTime() - 3_600_000;
    const orders: ReplayOrder[] = [
      { orderId: 1, status: 'completed', createdAt: from },
      ...Array.from({ length: 10 }, (_, i) => ({ orderId: 2 + i, status: 'failed', createdAt: new Date(end + i * MIN) })),
    ];
    const result = replay(orders, { ...defaultSettings('UTC'), mode: 'rolling_average' }, { from, to, stepMinutes: 1, eventChecks: false });
    expect(result.checks).toBeGreaterThan(5_000_000);
    expect(result.alerts[0]?.at.getTime()).toBeGreaterThanOrEqual(end);
  });
});

describe('old news is not news', () => {
  // A small store: an order every 2 hours for 36 days; its last 8 orders failed, then it sold nothing for 4
  // days before the monitor started, and sells as usual from then on.
  const HOUR = 3_600_000;
  const failingFrom = start + 36 * 86_400_000;
  const watchStart = failingFrom + 4 * 86_400_000;
  function smallStore(failuresAfterStart = 0): ReplayOrder[] {
    const orders: ReplayOrder[] = [];
    let i = 0;
    for (let t = start; t < failingFrom; t += 2 * HOUR) orders.push({ orderId: ++i, status: 'processing', createdAt: new Date(t), total: 30 + (i % 7), paymentMethod: 'stripe' });
    for (let k = 0; k < 8; k++) orders.push({ orderId: ++i, status: 'failed', createdAt: new Date(failingFrom + k * 20 * MIN), total: 40 + k, paymentMethod: 'stripe' });
    for (let t = watchStart + 30 * MIN, k = 0; t < watchStart + 2 * 86_400_000; t += 2 * HOUR, k++) {
      orders.push({ orderId: ++i, status: k < failuresAfterStart ? 'failed' : 'processing', createdAt: new Date(t), total: 50 + (k % 9), paymentMethod: 'stripe' });
    }
    return orders;
  }
  const window = { from: new Date(watchStart), to: new Date(watchStart + 2 * 86_400_000) };
  const rad: Settings = { ...defaultSettings('UTC'), mode: 'rolling_average' };

  it('the first check alerts only on what happens from then on, in adaptive mode and RAD', () => {
    expect(replay(smallStore(), adaptive, window).alerts).toEqual([]);
    expect(replay(smallStore(), rad, window).alerts).toEqual([]);
  });

  it('the same failures and silence alert at once for a monitor that was already watching, and new failures alert', () => {
    const running = { ...window, watchingSince: new Date(start) };
    const adaptiveAlert = replay(smallStore(), adaptive, running).alerts[0];
    expect(adaptiveAlert?.at.getTime()).toBe(watchStart);
    expect(adaptiveAlert?.detectors).toEqual(expect.arrayContaining(['failure_rate']));
    expect(replay(smallStore(), rad, running).alerts[0]?.at.getTime()).toBe(watchStart);
    // Failures after the monitor began are news: the 3rd new failed order in a row alerts.
    const fresh = replay(smallStore(5), adaptive, window).alerts[0];
    expect(fresh?.detectors).toEqual(['failure_rate']);
    expect(fresh?.numbers.failure_rate?.failed).toBeLessThanOrEqual(4);
  });
});

describe('backtest input', () => {
  it('reads the olist format, wall-clock times in the given zone', () => {
    const orders = parseOrdersCsv(
      'order_id,created_at,status,source_status,total,payment_method\nabc,2017-03-05T14:20:00,completed,delivered,12.50,boleto\ndef,2017-03-05T15:00:00Z,failed,x,,\n',
      'America/Sao_Paulo',
    );
    expect(orders).toMatchObject([
      { orderId: 'abc', status: 'completed', createdAt: new Date('2017-03-05T17:20:00Z'), total: 12.5, paymentMethod: 'boleto' },
      { orderId: 'def', status: 'failed', createdAt: new Date('2017-03-05T15:00:00Z'), total: null, paymentMethod: null },
    ]);
  });

  it('names the bad line', () => {
    const bad = (text: string) => () => parseOrdersCsv(text, 'UTC');
    expect(bad('created_at,status\n2017-03-05T14:20:00,completed\nyesterday,completed\n')).toThrow(/^line 3: created_at "yesterday"/);
    expect(bad('created_at,status,total\n2017-03-05T14:20:00,completed,abc\n')).toThrow(/^line 2: total "abc"/);
    expect(bad('created,status\n2017-03-05T14:20:00,completed\n')).toThrow(/^line 1: the header has no "created_at"/);
    expect(bad('created_at,status\n2017-03-05T14:20:00,Not A Status\n')).toThrow(BacktestInputError);
    expect(() => parseOrdersJsonLines('{"created_at":"2017-03-05T14:20:00Z","status":"completed"}\n{oops\n', 'UTC')).toThrow(/^line 2: not valid JSON/);
  });

  it('stops at an impossible date, zoned or with an offset, instead of rolling it over', () => {
    const csv = (value: string) => () => parseOrdersCsv(`created_at,status\n2017-03-05T14:20:00,completed\n${value},completed\n`, 'America/Sao_Paulo');
    expect(csv('2017-02-30T10:00:00')).toThrow(/^line 3: created_at "2017-02-30T10:00:00" is not a real date and time: day 30 \(February 2017 has 28 days\)/);
    expect(csv('2017-02-30T10:00:00Z')).toThrow(/^line 3: .*day 30 \(February 2017 has 28 days\)/);
    expect(csv('2017-13-01T10:00:00-03:00')).toThrow(/^line 3: .*month 13/);
    expect(csv('2017-03-01T25:00:00')).toThrow(/^line 3: .*hour 25/);
    expect(csv('2017-03-01 24:00:00+0000')).toThrow(/^line 3: .*hour 24/);
    expect(csv('2016-02-29T10:00:00Z')()).toHaveLength(2); // a leap day exists
    const json = (value: string) => () => parseOrdersJsonLines(`{"created_at":"2017-03-05T14:20:00Z","status":"completed"}\n{"created_at":"${value}","status":"completed"}\n`, 'UTC');
    expect(json('2017-04-31T10:00:00')).toThrow(/^line 2: created_at .*day 31 \(April 2017 has 30 days\)/);
    expect(json('2017-04-31T10:00:00+02:00')).toThrow(/^line 2: created_at .*day 31/);
    const event = JSON.stringify({ id: crypto.randomUUID(), type: 'order.status_changed', order_id: 7, from: 'pending', to: 'failed', created_at: '2026-02-30T10:00:00Z', occurred_at: '2026-03-01T10:05:00Z' });
    expect(() => parseOrdersJsonLines(event, 'UTC')).toThrow(/^line 1: created_at is not a real date/);
  });

  it('names the line where an unclosed quote opened, not the end of the file', () => {
    const text = 'created_at,status,payment_method\n2017-03-05T14:20:00,completed,"card"\n2017-03-05T15:20:00,completed,"multi\nline"\n2017-03-05T16:20:00,completed,"oops\n2017-03-05T17:20:00,completed,x\n2017-03-05T18:20:00,completed,x\n';
    expect(() => parseOrdersCsv(text, 'UTC')).toThrow(/^line 5: a quote opens here and is never closed/);
  });

  it('says so when no order has a success or failure status, and --status-map maps them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'woom-backtest-'));
    const csv = join(dir, 'paid.csv');
    writeFileSync(csv, 'created_at,status\n' + steadyStore(2).map((o, i) => `${o.createdAt.toISOString()},${i % 50 === 7 ? 'voided' : 'paid'}`).join('\n'));
    expect(() => runBacktest({ orders: csv, mode: 'adaptive' })).toThrow(
      /no order has a success status \(processing, completed\) or a failure status \(failed, cancelled\); the file's statuses are paid \(\d+\), voided \(\d+\)\. Map them .* --status-map paid=completed,voided=cancelled/,
    );
    const mapped = runBacktest({ orders: csv, mode: 'rolling_average', statusMap: 'paid=completed, voided=cancelled' });
    expect(mapped.result.checks).toBeGreaterThan(0);
    expect(() => parseStatusMap('paid')).toThrow(/--status-map: "paid" is not FROM=TO/);
    expect(() => parseStatusMap('paid=Completed Now')).toThrow(BacktestInputError);
  });

  it('reads JSON lines of bridge events, the newest status of an order winning', () => {
    const event = (to: string, occurred: string) =>
      JSON.stringify({ id: crypto.randomUUID(), type: 'order.status_changed', order_id: 7, from: 'pending', to, created_at: '2026-11-23T10:00:00Z', occurred_at: occurred });
    const orders = parseOrdersJsonLines([event('failed', '2026-11-23T10:05:00Z'), event('processing', '2026-11-23T10:01:00Z')].join('\n'), 'UTC');
    expect(orders).toMatchObject([{ orderId: 7, status: 'failed' }]);
    // A plain order may carry WooCommerce's stored form of the status.
    expect(parseOrdersJsonLines('{"created_at":"2026-11-23T10:00:00Z","status":"wc-completed"}', 'UTC')).toMatchObject([{ status: 'completed' }]);
  });

  it('reads a file of 300,000 orders (more than a spread argument list holds)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'woom-backtest-'));
    const csv = join(dir, 'big.csv');
    const first = Date.parse('2026-01-01T00:00:00Z');
    const lines = Array.from({ length: 300_000 }, (_, i) => `${new Date(first + i * 30_000).toISOString()},processing`);
    writeFileSync(csv, 'created_at,status\n' + lines.join('\n'));
    const report = runBacktest({ orders: csv, mode: 'rolling_average', from: '2026-02-01', to: '2026-02-01T06:00:00Z' });
    expect(report.orders).toBe(300_000);
    expect(report.result.alerts).toEqual([]);
  });

  it('runs end to end from files and prints a summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'woom-backtest-'));
    const csv = join(dir, 'orders.csv');
    writeFileSync(csv, 'created_at,status\n' + steadyStore(3).map((o) => `${o.createdAt.toISOString()},${o.status}`).join('\n'));
    const settingsFile = join(dir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ mode: 'time_based', threshold_peak: 8 }));
    const report = runBacktest({ orders: csv, settings: settingsFile });
    expect(report.settings).toMatchObject({ mode: 'time_based', threshold_peak: 8, timezone: 'UTC' });
    expect(formatBacktest(report, false)).toMatch(/checks; \d+ alerts and reminders sent/);
    expect(JSON.parse(formatBacktest(report, true)).summary.mode).toBe('time_based');
    expect(formatBacktest(report, false)).toMatch(/problems told per 30 days by detector: (none|time_based [\d.]+)/);
    // Adaptive mode shows each detector's realised rate next to the budget it should spend.
    writeFileSync(csv, 'created_at,status\n' + steadyStore(36, (t) => t >= outageAt && t < outageAt + 3_600_000).map((o) => `${o.createdAt.toISOString()},${o.status}`).join('\n'));
    writeFileSync(settingsFile, JSON.stringify({ mode: 'adaptive', false_alarms_per_month: 2 }));
    const adaptiveReport = runBacktest({ orders: csv, settings: settingsFile, from: new Date(outageAt - 86_400_000).toISOString() });
    const text = formatBacktest(adaptiveReport, false);
    expect(text).toMatch(/problems told per 30 days by detector: order_flow [\d.]+ \(together [\d.]+\); setting false_alarms_per_month 2 /);
    expect(JSON.parse(formatBacktest(adaptiveReport, true)).summary).toMatchObject({ false_alarms_per_month: 2, problems_per_30_days_by_detector: { order_flow: expect.any(Number) } });
    // And the silence limit it ran with: this store's orders come like clockwork, nothing to replay a tail from.
    expect(text).toMatch(/silence limit on the last day: the model's, alert below 1 in [\d,]+ \(not replayed: the gaps between orders are too regular to extend their tail\)/);
    expect(JSON.parse(formatBacktest(adaptiveReport, true)).summary.silence_calibration).toMatchObject({ calibrated: false, gaps: expect.any(Number) });
    expect(JSON.parse(formatBacktest(report, true)).summary.silence_calibration).toBeUndefined();
    writeFileSync(settingsFile, JSON.stringify({ mode: 'time_based', threshold_peak: 8 }));
    writeFileSync(settingsFile, JSON.stringify({ threshold_peak: -1 }));
    expect(() => runBacktest({ orders: csv, settings: settingsFile })).toThrow(/threshold_peak/);
  });
});
