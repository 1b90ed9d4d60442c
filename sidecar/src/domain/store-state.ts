/**
 * "Is my shop OK?" in one sentence and one colour: the first thing the WordPress tab, the dashboard widget,
 * the admin bar and the operator console show. Pure: the caller passes what the status already knows and
 * the time, so every screen words a state the same way.
 */
import { formatLocal, localDate } from './time';

export type StoreStateKind = 'ok' | 'learning' | 'warning' | 'critical' | 'silent' | 'probe_failing' | 'maintenance' | 'paused';

/** The colour a screen paints the state in: green all good, amber look soon, red act now, grey not watching. */
export type StoreStateTone = 'green' | 'amber' | 'red' | 'grey' | 'blue';

export interface StoreStateAlert {
  /** `order_flow`, `failure_rate`, `time_based,rolling_average`, `reporting`, `health`, `probe`, ... */
  detector: string;
  severity: 'warning' | 'critical' | string;
  openedAt: Date;
  /** The alert's first finding in plain words ("no successful order for 47 min: about 30 were expected"). */
  summary: string | null;
}

export interface StoreStateInput {
  timezone: string;
  /** Monitoring switched off in the settings. */
  paused: boolean;
  /** The maintenance window in force now, if any. */
  maintenanceUntil: Date | null;
  /** Every open alert of the store (order alert and the store's own problems). */
  openAlerts: StoreStateAlert[];
  /** When WordPress last reported; null when it never has. */
  lastContactAt: Date | null;
  /** The newest check's learning state, when the detectors in use are still learning the store. */
  learningDaysLeft: number | null;
  /** Orders created today (store's local day) and the newest order's creation time. */
  ordersToday: number;
  lastOrderAt: Date | null;
}

export interface StoreState {
  kind: StoreStateKind;
  tone: StoreStateTone;
  /** One sentence in the owner's words. */
  sentence: string;
  /** Since when the state holds, where known. */
  since: Date | null;
}

const STORE_PROBLEMS = new Set(['reporting', 'health', 'probe']);

/** "3 min ago", "2 h ago", "yesterday 14:05": how long ago, said the way a person says it. */
export function ago(then: Date, now: Date, timezone: string): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - then.getTime()) / 60_000));
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 24 * 60 && localDate(then, timezone) === localDate(now, timezone)) return `${Math.floor(minutes / 60)} h ago`;
  return `on ${clock(then, now, timezone)}`;
}

/** "14:05" today, "2 Dec 14:05" on another day, in the store's time zone. */
export function clock(instant: Date, now: Date, timezone: string): string {
  const time = formatLocal(instant, timezone).slice(11, 16); // "YYYY-MM-DD HH:MM TZ"
  if (localDate(instant, timezone) === localDate(now, timezone)) return time;
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, day: 'numeric', month: 'short' }).format(instant);
  return `${day} ${time}`;
}

const withSummary = (lead: string, summary: string | null) => (summary ? `${lead}: ${summary}` : lead);

export function describeStoreState(input: StoreStateInput, now: Date): StoreState {
  const tz = input.timezone;
  if (input.paused) {
    return { kind: 'paused', tone: 'grey', sentence: 'Monitoring is paused: no alerts are sent for this shop.', since: null };
  }
  if (input.maintenanceUntil && input.maintenanceUntil > now) {
    return {
      kind: 'maintenance',
      tone: 'blue',
      sentence: `Maintenance until ${clock(input.maintenanceUntil, now, tz)}: alerts wait until it ends.`,
      since: null,
    };
  }
  const oldestFirst = [...input.openAlerts].sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  const orderCritical = oldestFirst.find((a) => a.severity === 'critical' && !STORE_PROBLEMS.has(a.detector));
  const silent = oldestFirst.find((a) => a.detector === 'reporting');
  const health = oldestFirst.find((a) => a.detector === 'health');
  const probe = oldestFirst.find((a) => a.detector === 'probe');
  const orderWarning = oldestFirst.find((a) => !STORE_PROBLEMS.has(a.detector));

  if (orderCritical) {
    return { kind: 'critical', tone: 'red', sentence: withSummary(`Critical since ${clock(orderCritical.openedAt, now, tz)}`, orderCritical.summary), since: orderCritical.openedAt };
  }
  if (silent) {
    const since = input.lastContactAt ?? silent.openedAt;
    const minutes = Math.floor((now.getTime() - since.getTime()) / 60_000);
    const span = minutes < 120 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 1440)} days`;
    return { kind: 'silent', tone: 'red', sentence: `WordPress has not checked in for ${span}: orders may be happening that we cannot see.`, since };
  }
  if (health && health.severity === 'critical') {
    return { kind: 'critical', tone: 'red', sentence: withSummary(`Checkout cannot work since ${clock(health.openedAt, now, tz)}`, health.summary), since: health.openedAt };
  }
  if (probe) {
    return { kind: 'probe_failing', tone: probe.severity === 'critical' ? 'red' : 'amber', sentence: withSummary(`Your shop's pages are failing since ${clock(probe.openedAt, now, tz)}`, probe.summary), since: probe.openedAt };
  }
  const warning = orderWarning ?? health;
  if (warning) {
    return { kind: 'warning', tone: 'amber', sentence: withSummary(`Warning since ${clock(warning.openedAt, now, tz)}`, warning.summary), since: warning.openedAt };
  }
  if (!input.lastContactAt) {
    return { kind: 'learning', tone: 'blue', sentence: 'Waiting for WordPress to connect: no order or check-in has arrived yet.', since: null };
  }
  const today = `${input.ordersToday} ${input.ordersToday === 1 ? 'order' : 'orders'} today`;
  const last = input.lastOrderAt ? `, the last ${ago(input.lastOrderAt, now, tz)}` : '';
  if (input.learningDaysLeft !== null && input.learningDaysLeft > 0) {
    const days = Math.ceil(input.learningDaysLeft);
    return { kind: 'learning', tone: 'blue', sentence: `Learning your shop's rhythm: ${days} ${days === 1 ? 'day' : 'days'} left (${today}${last}).`, since: null };
  }
  return { kind: 'ok', tone: 'green', sentence: `All good: ${today}${last}.`, since: null };
}
