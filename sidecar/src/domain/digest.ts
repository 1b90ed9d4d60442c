import { shiftDay, weekdayOf, type DailyFigures } from './daily-figures';
import { localDate, localTime, parseClock } from './time';

/**
 * The store digest's content: yesterday's figures next to the usual for that weekday, the zero-order and
 * zero-revenue days of the last five, the alerts, the probe. Pure: the service hands over the rows.
 */

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
/** Same-weekday days needed before "the usual" is given; fewer say nothing rather than guess. */
const MIN_USUAL_DAYS = 3;
/** How many days back the zero days are told, yesterday included. */
export const ZERO_DAY_SPAN = 5;

export interface DigestInput {
  /** The day told: the store's yesterday. */
  day: string;
  figures: DailyFigures | null;
  /** Earlier days (the last eight weeks or so): the usual comes from the same weekdays among them. */
  history: readonly DailyFigures[];
  alertsOpened: number;
  alertsResolved: number;
  /** The store probe's share of good runs yesterday, in percent; null when the probe is off. */
  probeUptimePct: number | null;
}

export interface ZeroDay {
  day: string;
  kind: 'no orders' | 'no revenue';
  severity: 'warning' | 'critical';
}

export interface DigestContent {
  day: string;
  weekday: string;
  /** One sentence per figure: "revenue 1,240 EUR; usual for a Tuesday 1,100-1,500". */
  lines: string[];
  zeroDays: ZeroDay[];
  alertsLine: string | null;
  probeLine: string | null;
  /** Nothing to tell: the digest is one "all good" line. */
  allGood: boolean;
  allGoodLine: string | null;
}

const amount = (value: number, currency: string | null) =>
  `${value.toLocaleString('en', { maximumFractionDigits: value >= 100 ? 0 : 2 })}${currency ? ` ${currency}` : ''}`;

/** The middle half of the same weekday's values: what "usual" means to a person reading the digest. */
export function usualRange(values: readonly number[]): { low: number; high: number } | null {
  if (values.length < MIN_USUAL_DAYS) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
  return { low: at(0.25), high: at(0.75) };
}

/**
 * The zero days among the last five (ending `day`; `span` days for the weekly digest): a day without any order, or with orders but no
 * revenue. One such day is a warning, two or more of a kind are critical.
 */
export function zeroDays(day: string, days: readonly DailyFigures[], span = ZERO_DAY_SPAN): ZeroDay[] {
  const from = shiftDay(day, -(span - 1));
  const inSpan = days.filter((d) => d.day >= from && d.day <= day);
  const noOrders = inSpan.filter((d) => d.orders === 0).map((d) => d.day);
  const noRevenue = inSpan.filter((d) => d.orders > 0 && d.revenue === 0).map((d) => d.day);
  const tag = (list: string[], kind: ZeroDay['kind']): ZeroDay[] => list.map((d) => ({ day: d, kind, severity: list.length >= 2 ? 'critical' : 'warning' }));
  return [...tag(noOrders, 'no orders'), ...tag(noRevenue, 'no revenue')].sort((a, b) => a.day.localeCompare(b.day));
}

export function digestContent(input: DigestInput): DigestContent {
  const weekday = WEEKDAY_NAMES[weekdayOf(input.day) - 1]!;
  const f = input.figures;
  const currency = f?.currency ?? input.history.find((d) => d.currency)?.currency ?? null;
  const sameWeekday = input.history.filter((d) => d.day < input.day && weekdayOf(d.day) === weekdayOf(input.day));
  let unusual = false;
  let compared = false;
  const line = (label: string, value: number | null, pick: (d: DailyFigures) => number | null, format: (v: number) => string): string => {
    const range = usualRange(sameWeekday.map(pick).filter((v): v is number => v !== null));
    const shown = value === null ? 'none' : format(value);
    if (!range) return `${label} ${shown}`;
    compared = true;
    // A tenth either side of the middle half is still "as usual" for the all-good line.
    if (value !== null && (value < range.low * 0.9 || value > range.high * 1.1)) unusual = true;
    // "1,100-1,500 EUR": the unit once, after the range.
    const usual = range.low === range.high ? format(range.low) : `${format(range.low).replace(/ [A-Z]{3}$/, '').replace(/%$/, '')}-${format(range.high)}`;
    return `${label} ${shown}; usual for a ${weekday} ${usual}`;
  };
  const share = (d: DailyFigures) => (d.successful + d.failed + d.cancelled === 0 ? null : Math.round(((d.failed + d.cancelled) / (d.successful + d.failed + d.cancelled)) * 100));
  const lines = f
    ? [
        line('orders', f.orders, (d) => d.orders, String),
        line('revenue', f.revenue, (d) => d.revenue, (v) => amount(v, currency)),
        line('average order value', f.averageOrderValue, (d) => d.averageOrderValue, (v) => amount(v, currency)),
        line('failed or cancelled', share(f), share, (v) => `${v}%`),
      ]
    : ['no figures for the day: WOOM did not watch the store all day'];
  const zeros = zeroDays(input.day, [...input.history, ...(f ? [f] : [])]);
  const alertsLine =
    input.alertsOpened + input.alertsResolved === 0
      ? null
      : `alerts: ${input.alertsOpened} opened, ${input.alertsResolved} resolved`;
  const probeLine = input.probeUptimePct === null ? null : `store pages answered ${input.probeUptimePct}% of the checks`;
  const usualFine = f !== null && !unusual;
  const allGood = f !== null && zeros.length === 0 && alertsLine === null && (input.probeUptimePct === null || input.probeUptimePct >= 99.5) && usualFine;
  return {
    day: input.day,
    weekday,
    lines,
    zeroDays: zeros,
    alertsLine,
    probeLine,
    allGood,
    // "as usual" only where a usual is known: a new store's quiet day is all good, not usual.
    allGoodLine: allGood ? `All good on ${weekday} ${input.day}: ${f!.orders} orders, revenue ${amount(f!.revenue, currency)}${compared ? ', as usual' : ''}.` : null,
  };
}

/**
 * Whether the store's digest is due at `now`: the local time has reached the digest hour. The day told is
 * the local yesterday; the claim key is the local today, so a repeated hour (the autumn change) or a second
 * sidecar finds it claimed, and a skipped hour (spring) sends at the first check after it.
 */
export function digestDue(now: Date, timeZone: string, hour: string): { sendDay: string; day: string } | null {
  if (localTime(now, timeZone).minuteOfDay < parseClock(hour)) return null;
  const sendDay = localDate(now, timeZone);
  return { sendDay, day: shiftDay(sendDay, -1) };
}

/** The weekly digest's content: the week Monday to Sunday next to the week before, day by day. */
export interface WeeklyDigestInput {
  /** The Monday the week told began. */
  weekStart: string;
  /** Days of the week told and of the week before (missing days are days WOOM did not watch). */
  days: readonly DailyFigures[];
  alertsOpened: number;
  alertsResolved: number;
}

export interface WeeklyDigestContent {
  from: string;
  to: string;
  lines: string[];
  days: Array<{ day: string; weekday: string; text: string }>;
  zeroDays: ZeroDay[];
  alertsLine: string | null;
  allGood: boolean;
}

/** "up 12% on the week before", "as the week before", "down 40% ...": a change in words. */
function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'as the week before' : 'none the week before';
  const pct = Math.round(((now - before) / before) * 100);
  if (pct === 0) return 'as the week before';
  return `${pct > 0 ? 'up' : 'down'} ${Math.abs(pct)}% on the week before`;
}

export function weeklyDigestContent(input: WeeklyDigestInput): WeeklyDigestContent {
  const from = input.weekStart;
  const to = shiftDay(from, 6);
  const previousFrom = shiftDay(from, -7);
  const week = input.days.filter((d) => d.day >= from && d.day <= to);
  const before = input.days.filter((d) => d.day >= previousFrom && d.day < from);
  const currency = week.find((d) => d.currency)?.currency ?? before.find((d) => d.currency)?.currency ?? null;
  const sum = (list: readonly DailyFigures[], pick: (d: DailyFigures) => number) => list.reduce((total, d) => total + pick(d), 0);
  const totals = (list: readonly DailyFigures[]) => {
    const successful = sum(list, (d) => d.successful);
    const revenue = Math.round(sum(list, (d) => d.revenue) * 100) / 100;
    return { orders: sum(list, (d) => d.orders), successful, revenue, aov: successful > 0 ? Math.round((revenue / successful) * 100) / 100 : 0 };
  };
  const now = totals(week);
  const prev = totals(before);
  const lines = [
    `orders ${now.orders}; ${change(now.orders, prev.orders)} (${prev.orders})`,
    `revenue ${amount(now.revenue, currency)}; ${change(now.revenue, prev.revenue)} (${amount(prev.revenue, currency)})`,
    `average order value ${amount(now.aov, currency)}; the week before ${amount(prev.aov, currency)}`,
  ];
  const days = [];
  for (let i = 0; i < 7; i++) {
    const day = shiftDay(from, i);
    const f = week.find((d) => d.day === day);
    days.push({ day, weekday: WEEKDAY_NAMES[i]!, text: f ? `${f.orders} orders, revenue ${amount(f.revenue, currency)}` : 'not watched' });
  }
  // The zero days of the whole week: one is a warning, two or more critical, as in the daily digest.
  const zeros = zeroDays(to, week, 7);
  const alertsLine = input.alertsOpened + input.alertsResolved === 0 ? null : `alerts: ${input.alertsOpened} opened, ${input.alertsResolved} resolved`;
  return { from, to, lines, days, zeroDays: zeros, alertsLine, allGood: zeros.length === 0 && alertsLine === null && week.length === 7 };
}

/** One store in the all-stores digest, as the service found it. */
export interface StoreDigestSummary {
  name: string;
  /** The store's yesterday, as its own digest tells it. */
  content: DigestContent;
  figures: DailyFigures | null;
  /** Alerts open when the digest was made: a problem whatever yesterday looked like. */
  openAlerts: number;
}

export interface AllStoresLine {
  name: string;
  problem: boolean;
  line: string;
}

/**
 * The all-stores digest's lines: one per store, the stores with a problem first (the most serious
 * first), then the rest by name. A problem is an open alert, a zero day of the last five, an alert
 * yesterday or a day WOOM did not watch.
 */
export function allStoresLines(stores: readonly StoreDigestSummary[]): AllStoresLine[] {
  const rows = stores.map((s) => {
    const c = s.content;
    const problems: string[] = [];
    if (s.openAlerts > 0) problems.push(`${s.openAlerts} open alert${s.openAlerts === 1 ? '' : 's'}`);
    for (const z of c.zeroDays) problems.push(`${z.kind} on ${z.day} (${z.severity})`);
    if (c.alertsLine) problems.push(c.alertsLine);
    if (!s.figures) problems.push('not watched all day');
    const f = s.figures;
    const yesterday = f ? `${f.orders} orders, revenue ${amount(f.revenue, f.currency)}${c.allGoodLine?.endsWith('as usual.') ? ', as usual' : ''}` : 'no figures';
    const line = `${s.name}: ${problems.length > 0 ? problems.join('; ') : 'no problems'}. ${c.weekday}: ${yesterday}.`;
    const critical = c.zeroDays.filter((z) => z.severity === 'critical').length;
    return { name: s.name, problem: problems.length > 0, weight: s.openAlerts * 10 + critical * 5 + problems.length, line };
  });
  rows.sort((a, b) => Number(b.problem) - Number(a.problem) || b.weight - a.weight || a.name.localeCompare(b.name));
  return rows.map(({ name, problem, line }) => ({ name, problem, line }));
}
