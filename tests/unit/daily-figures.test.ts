import { describe, expect, it } from 'vitest';
import { changedPastDays, dailyFiguresOf, daysDue, localDayBounds, weekdayOf, type DayOrder } from '../../sidecar/src/domain/daily-figures';

const statuses = { success_statuses: ['processing', 'completed'], failure_statuses: ['failed', 'cancelled'] };
const order = (iso: string, status: string, total: number | null = 10, createdVia: string | null = 'checkout'): DayOrder => ({
  createdAt: new Date(iso),
  status,
  total,
  currency: 'EUR',
  createdVia,
});

describe('daily figures', () => {
  it('counts a local day by status and channel, with revenue and average order value of the successful orders', () => {
    const orders = [
      order('2026-11-22T23:30:00Z', 'completed', 40), // 00:30 in Berlin: the 23rd
      order('2026-11-23T10:00:00Z', 'processing', 20),
      order('2026-11-23T11:00:00Z', 'failed', 99),
      order('2026-11-23T12:00:00Z', 'cancelled', 99),
      order('2026-11-23T13:00:00Z', 'refunded', 99),
      order('2026-11-23T14:00:00Z', 'completed', 15, 'admin'),
      order('2026-11-23T15:00:00Z', 'completed', 25, 'subscription'),
      order('2026-11-23T23:30:00Z', 'completed', 1000), // 00:30 on the 24th in Berlin
    ];
    const f = dailyFiguresOf('2026-11-23', 'Europe/Berlin', orders, statuses);
    expect(f).toMatchObject({ orders: 7, successful: 4, failed: 1, cancelled: 1, refunded: 1, revenue: 100, averageOrderValue: 25 });
    expect(f).toMatchObject({ customerOrders: 5, adminOrders: 1, renewalOrders: 1, currency: 'EUR' });
  });

  it('has no average order value on a day without a successful order', () => {
    expect(dailyFiguresOf('2026-11-23', 'UTC', [order('2026-11-23T10:00:00Z', 'failed')], statuses)).toMatchObject({ orders: 1, revenue: 0, averageOrderValue: null });
  });

  it('spans 23 hours on the spring daylight-saving day and 25 on the autumn one', () => {
    const spring = localDayBounds('2026-03-29', 'Europe/Berlin');
    const autumn = localDayBounds('2026-10-25', 'Europe/Berlin');
    expect((spring.end.getTime() - spring.start.getTime()) / 3_600_000).toBe(23);
    expect((autumn.end.getTime() - autumn.start.getTime()) / 3_600_000).toBe(25);
    // 23:30 UTC on the 25th October is 00:30 CET on the 26th; 22:30 UTC is still the 25th's 23:30.
    const f = dailyFiguresOf('2026-10-25', 'Europe/Berlin', [order('2026-10-25T22:30:00Z', 'completed'), order('2026-10-25T23:30:00Z', 'completed')], statuses);
    expect(f.successful).toBe(1);
  });

  it('counts days in a far time zone on its own calendar', () => {
    // Auckland is UTC+13 in November: 11:30 UTC on the 22nd is 00:30 on the 23rd there.
    const f = dailyFiguresOf('2026-11-23', 'Pacific/Auckland', [order('2026-11-22T11:30:00Z', 'completed'), order('2026-11-22T10:30:00Z', 'completed')], statuses);
    expect(f.successful).toBe(1);
    expect(weekdayOf('2026-11-23')).toBe(1);
  });

  it('rolls up each ended day once, never today, and at most the kept days', () => {
    const now = new Date('2026-11-23T08:00:00Z');
    expect(daysDue(now, 'Europe/Berlin', '2026-11-20', '2026-11-01', 400)).toEqual(['2026-11-21', '2026-11-22']);
    expect(daysDue(now, 'Europe/Berlin', '2026-11-22', '2026-11-01', 400)).toEqual([]);
    expect(daysDue(now, 'Europe/Berlin', null, '2026-11-21', 400)).toEqual(['2026-11-21', '2026-11-22']);
    expect(daysDue(now, 'Europe/Berlin', null, '2020-01-01', 3)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    // 12:00 UTC is already 01:00 on the 24th in Auckland.
    expect(daysDue(new Date('2026-11-23T12:00:00Z'), 'Pacific/Auckland', '2026-11-22', '2026-11-01', 400)).toEqual(['2026-11-23']);
  });

  it('computes again the past days whose orders changed, not today', () => {
    const now = new Date('2026-11-23T08:00:00Z');
    const changed = [new Date('2026-11-20T10:00:00Z'), new Date('2026-11-20T11:00:00Z'), new Date('2026-11-23T07:00:00Z'), new Date('2020-01-01T00:00:00Z')];
    expect(changedPastDays(changed, now, 'UTC', '2025-10-19')).toEqual(['2026-11-20']);
  });
});
