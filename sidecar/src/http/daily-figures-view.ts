import { shiftDay, weekdayOf, type DailyFigures } from '../domain/daily-figures';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const money = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const count = new Intl.NumberFormat('en');

/** How many whole days the status page shows: a week, so each weekday is there once. */
export const STATUS_PAGE_DAYS = 7;

const plural = (n: number, one: string, many: string) => `${count.format(n)} ${n === 1 ? one : many}`;
const amount = (value: number, currency: string | null) => `${money.format(value)}${currency ? ` ${currency}` : ''}`;

/** "Monday 23 November": a local calendar date, named as a person says it. */
export function dayName(day: string): string {
  const [, m, d] = day.split('-').map(Number);
  return `${WEEKDAYS[weekdayOf(day) - 1]} ${d} ${MONTHS[(m ?? 1) - 1]}`;
}

/**
 * One day's figures as a sentence ("42 orders: 38 successful, 4 failed; revenue 1,240.00 EUR, average order
 * 32.63 EUR"): sentences wrap on a phone, where a table of six numbers would need sideways scrolling.
 */
export function dayInWords(f: DailyFigures): string {
  if (f.orders === 0) return 'no orders';
  const parts = [`${count.format(f.successful)} successful`, `${count.format(f.failed)} failed`];
  if (f.cancelled > 0) parts.push(`${count.format(f.cancelled)} cancelled`);
  if (f.refunded > 0) parts.push(`${count.format(f.refunded)} refunded`);
  const revenue = `revenue ${amount(f.revenue, f.currency)}`;
  const average = f.averageOrderValue === null ? 'no average order value' : `average order ${amount(f.averageOrderValue, f.currency)}`;
  return `${plural(f.orders, 'order', 'orders')}: ${parts.join(', ')}; ${revenue}, ${average}`;
}

/** The status page's last whole days, newest first; days not rolled up yet are left out. */
export function recentDaysView(days: readonly DailyFigures[], today: string) {
  const from = shiftDay(today, -STATUS_PAGE_DAYS);
  return days
    .filter((f) => f.day >= from && f.day < today)
    .sort((a, b) => (a.day < b.day ? 1 : -1))
    .map((f) => ({ day: f.day, name: dayName(f.day), words: dayInWords(f), quiet: f.orders === 0 }));
}
