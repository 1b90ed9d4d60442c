import { describe, expect, it } from 'vitest';
import { dailyFiguresOf, shiftDay, type DailyFigures, type DayOrder } from '../../sidecar/src/domain/daily-figures';
import { allStoresLines, digestContent, digestDue, usualRange, weeklyDigestContent, zeroDays } from '../../sidecar/src/domain/digest';

const statuses = { success_statuses: ['processing', 'completed'], failure_statuses: ['failed', 'cancelled'] };
const day = (d: string, orders: number, revenue: number, extra: Partial<DailyFigures> = {}): DailyFigures => ({
  day: d, orders, successful: orders, failed: 0, cancelled: 0, refunded: 0, revenue, averageOrderValue: orders ? revenue / orders : null,
  customerOrders: orders, adminOrders: 0, renewalOrders: 0, currency: 'EUR', ...extra,
});

describe('store digest content', () => {
  // Tuesdays before 2026-11-24 with revenue 1,000 .. 1,600.
  const tuesdays = [1000, 1100, 1300, 1500, 1600].map((rev, i) => day(shiftDay('2026-11-24', -7 * (i + 1)), 40, rev));

  it('puts yesterday next to the usual for that weekday, in words', () => {
    const c = digestContent({ day: '2026-11-24', figures: day('2026-11-24', 42, 1240), history: tuesdays, alertsOpened: 0, alertsResolved: 0, probeUptimePct: null });
    expect(c.weekday).toBe('Tuesday');
    expect(c.lines).toContain('revenue 1,240 EUR; usual for a Tuesday 1,100-1,500 EUR');
    expect(c.allGood).toBe(true);
    expect(c.allGoodLine).toBe('All good on Tuesday 2026-11-24: 42 orders, revenue 1,240 EUR, as usual.');
  });

  it('tells zero-order and zero-revenue days of the last five, one day a warning, two or more critical', () => {
    const history = [day('2026-11-20', 0, 0), day('2026-11-21', 3, 0, { successful: 0, failed: 3 }), day('2026-11-22', 10, 200), day('2026-11-23', 0, 0), day('2026-11-18', 0, 0)];
    expect(zeroDays('2026-11-24', [...history, day('2026-11-24', 5, 100)])).toEqual([
      { day: '2026-11-20', kind: 'no orders', severity: 'critical' },
      { day: '2026-11-21', kind: 'no revenue', severity: 'warning' },
      { day: '2026-11-23', kind: 'no orders', severity: 'critical' },
    ]);
    const c = digestContent({ day: '2026-11-24', figures: day('2026-11-24', 5, 100), history, alertsOpened: 1, alertsResolved: 1, probeUptimePct: 97.2 });
    expect(c.allGood).toBe(false);
    expect(c.alertsLine).toBe('alerts: 1 opened, 1 resolved');
    expect(c.probeLine).toBe('store pages answered 97.2% of the checks');
  });

  it('says nothing about the usual with fewer than three same weekdays', () => {
    expect(usualRange([1, 2])).toBeNull();
    const c = digestContent({ day: '2026-11-24', figures: day('2026-11-24', 45, 1240), history: tuesdays.slice(0, 2), alertsOpened: 0, alertsResolved: 0, probeUptimePct: null });
    expect(c.lines).toContain('revenue 1,240 EUR');
  });

  it('counts the autumn daylight-saving day as its 25 hours and tells it once', () => {
    // 2026-10-25 in Berlin: 00:00 CEST (22:00 UTC on the 24th) to 00:00 CET (23:00 UTC on the 25th).
    const orders: DayOrder[] = [
      { createdAt: new Date('2026-10-24T22:10:00Z'), status: 'completed', total: 10, currency: 'EUR' },
      { createdAt: new Date('2026-10-25T00:30:00Z'), status: 'completed', total: 10, currency: 'EUR' }, // 02:30 CEST
      { createdAt: new Date('2026-10-25T01:30:00Z'), status: 'completed', total: 10, currency: 'EUR' }, // 02:30 CET, the repeated hour
      { createdAt: new Date('2026-10-25T22:50:00Z'), status: 'completed', total: 10, currency: 'EUR' }, // 23:50 CET
    ];
    expect(dailyFiguresOf('2026-10-25', 'Europe/Berlin', orders, statuses)).toMatchObject({ orders: 4, revenue: 40 });
    // The digest hour 02:30 happens twice that night: both times are the same claim key, so one digest.
    expect(digestDue(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin', '02:30')).toEqual({ sendDay: '2026-10-25', day: '2026-10-24' });
    expect(digestDue(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin', '02:30')).toEqual({ sendDay: '2026-10-25', day: '2026-10-24' });
    // Spring: 02:30 does not exist on 2026-03-29; the first check after the gap sends.
    expect(digestDue(new Date('2026-03-29T00:59:00Z'), 'Europe/Berlin', '02:30')).toBeNull();
    expect(digestDue(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin', '02:30')).toEqual({ sendDay: '2026-03-29', day: '2026-03-28' });
  });

  it('tells a far time zone its own yesterday', () => {
    // 19:30 UTC on 23 Nov is 08:30 on 24 Nov in Auckland: the digest tells the 23rd there.
    expect(digestDue(new Date('2026-11-23T19:30:00Z'), 'Pacific/Auckland', '08:00')).toEqual({ sendDay: '2026-11-24', day: '2026-11-23' });
    expect(digestDue(new Date('2026-11-23T18:30:00Z'), 'Pacific/Auckland', '08:00')).toBeNull();
  });
});

describe('all good without a usual', () => {
  it('says all good but not "as usual" while no same weekday is known', () => {
    const c = digestContent({ day: '2026-11-24', figures: day('2026-11-24', 3, 90), history: [], alertsOpened: 0, alertsResolved: 0, probeUptimePct: null });
    expect(c.allGoodLine).toBe('All good on Tuesday 2026-11-24: 3 orders, revenue 90 EUR.');
  });
});

describe('weekly digest content', () => {
  const week = (from: string, orders: number, revenue: number) => Array.from({ length: 7 }, (_, i) => day(shiftDay(from, i), orders, revenue));

  it('puts the week, Monday to Sunday, next to the week before, day by day', () => {
    const c = weeklyDigestContent({ weekStart: '2026-11-23', days: [...week('2026-11-16', 10, 200), ...week('2026-11-23', 12, 220)], alertsOpened: 0, alertsResolved: 0 });
    expect([c.from, c.to]).toEqual(['2026-11-23', '2026-11-29']);
    expect(c.lines).toEqual(['orders 84; up 20% on the week before (70)', 'revenue 1,540 EUR; up 10% on the week before (1,400 EUR)', 'average order value 18.33 EUR; the week before 20 EUR']);
    expect(c.days[6]).toEqual({ day: '2026-11-29', weekday: 'Sunday', text: '12 orders, revenue 220 EUR' });
    expect(c.allGood).toBe(true);
  });

  it('tells the zero days of the whole week and the days not watched', () => {
    const days = week('2026-11-23', 5, 100).filter((d) => d.day !== '2026-11-27').map((d) => (d.day >= '2026-11-28' ? day(d.day, 0, 0) : d));
    const c = weeklyDigestContent({ weekStart: '2026-11-23', days, alertsOpened: 2, alertsResolved: 1 });
    expect(c.zeroDays.map((z) => [z.day, z.severity])).toEqual([
      ['2026-11-28', 'critical'],
      ['2026-11-29', 'critical'],
    ]);
    expect(c.days[4]!.text).toBe('not watched');
    expect(c.alertsLine).toBe('alerts: 2 opened, 1 resolved');
    expect(c.lines[0]).toBe('orders 20; none the week before (0)');
    expect(c.allGood).toBe(false);
  });
});

describe('all-stores digest lines', () => {
  const tuesdays = [40, 41, 42, 43].map((n, i) => day(shiftDay('2026-11-24', -7 * (i + 1)), n, n * 30));
  const contentOf = (figures: DailyFigures | null, history: DailyFigures[] = tuesdays, alertsOpened = 0) =>
    digestContent({ day: '2026-11-24', figures, history, alertsOpened, alertsResolved: 0, probeUptimePct: null });

  it('puts the stores with problems first, the most serious first, then the rest by name', () => {
    const fine = day('2026-11-24', 42, 1260);
    const lines = allStoresLines([
      { name: 'Zeta', content: contentOf(fine), figures: fine, openAlerts: 0 },
      { name: 'Alpha', content: contentOf(fine), figures: fine, openAlerts: 0 },
      { name: 'Quiet', content: contentOf(null), figures: null, openAlerts: 0 },
      { name: 'Burning', content: contentOf(fine, tuesdays, 1), figures: fine, openAlerts: 2 },
    ]);
    expect(lines.map((l) => [l.name, l.problem])).toEqual([
      ['Burning', true],
      ['Quiet', true],
      ['Alpha', false],
      ['Zeta', false],
    ]);
    expect(lines[0]!.line).toBe('Burning: 2 open alerts; alerts: 1 opened, 0 resolved. Tuesday: 42 orders, revenue 1,260 EUR.');
    expect(lines[1]!.line).toBe('Quiet: not watched all day. Tuesday: no figures.');
    expect(lines[2]!.line).toBe('Alpha: no problems. Tuesday: 42 orders, revenue 1,260 EUR, as usual.');
  });
});
