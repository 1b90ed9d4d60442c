import { severityOf, type DetectorResult, type Severity } from './detectors';
import { activeDetectors, isExtraDetector } from './checks';
import type { Settings } from './settings';
import { localTime, parseClock } from './time';

export interface OpenAlertFacts {
  id: number;
  openedAt: Date;
  /** null while every notification of it was held back (cooldown, daily limit, quiet hours, maintenance). */
  lastNotifiedAt: Date | null;
  /** The severity the admin was last told (the opening severity while never told). */
  severity?: Severity;
  /** When the admin was first told; escalation counts from here. */
  firstNotifiedAt?: Date | null;
  acknowledgedAt?: Date | null;
  escalatedAt?: Date | null;
  /** The detectors that opened it: a custom rule's or the renewals' alert waits for them to be judged again. */
  detectors?: readonly string[];
}

export interface AlertPolicyInput {
  now: Date;
  settings: Settings;
  /** The detectors evaluated in this run; an event-triggered run evaluates RAD alone. */
  evaluations: readonly DetectorResult[];
  openAlert: OpenAlertFacts | null;
  /** The last alert or reminder actually sent for this store, any alert. */
  lastNotifiedAt: Date | null;
  /** Alerts and reminders sent for this store in the 24 hours before now. */
  notificationsLast24h: number;
  /** A maintenance window of the store covers `now`: alerts are recorded, nothing is sent. */
  inMaintenance?: boolean;
}

export type HoldReason = 'cooldown' | 'daily_limit' | 'quiet_hours' | 'maintenance' | 'reminder_interval' | 'acknowledged';

export type AlertDecision =
  | { action: 'none'; reason: 'disabled' | 'healthy' | 'partial_run' }
  | { action: 'open'; fired: DetectorResult[]; notify: true }
  | { action: 'open'; fired: DetectorResult[]; notify: false; heldBy: HoldReason }
  /**
   * The open alert is news: its first notice, held until now (`released`), or a warning that became
   * critical (`upgrade`). Sent as an alert, not a reminder.
   */
  | { action: 'notify'; alertId: number; fired: DetectorResult[]; reason: 'released' | 'upgrade'; escalate: boolean }
  | { action: 'remind'; alertId: number; fired: DetectorResult[]; escalate: boolean }
  | { action: 'hold'; alertId: number; fired: DetectorResult[]; heldBy: HoldReason; escalate: boolean }
  | { action: 'resolve'; alertId: number; notify: boolean; heldBy?: 'maintenance' };

/**
 * One problem is one alert, whichever detectors see it: hybrid mode shares the open alert, the cooldown
 * and the daily limit between both detectors, so it never sends two alerts for one problem. Its life:
 *
 * - opened and told at once, unless a maintenance window, quiet hours (warnings only), the cooldown or
 *   the daily limit hold it; a held alert stays open and is told (as an alert) at the first check after
 *   the hold ends, if the problem is still there;
 * - reminded every `reminder_interval_minutes` while it goes on (never when 0), within the cooldown and
 *   the daily limit, until someone acknowledges it;
 * - a warning that becomes critical is told at once, past the reminder interval and the cooldown (it is
 *   news), within the daily limit, even when acknowledged;
 * - escalated once to `escalation_emails` when nobody acknowledged it `escalation_minutes` after the
 *   first notice (see `escalationDue`);
 * - resolved only when every enabled detector was evaluated and none fires; the resolved notice goes
 *   out only if the admin heard of the problem, and not during a maintenance window.
 */
export function decideAlert(input: AlertPolicyInput): AlertDecision {
  const { settings, evaluations, openAlert, now } = input;
  if (!settings.enabled) return { action: 'none', reason: 'disabled' };

  const enabled = activeDetectors(settings);
  const fired = evaluations.filter((result) => enabled.includes(result.detector) && result.breached);
  const maintenance = input.inMaintenance === true;

  if (fired.length === 0) {
    // Rules and renewals are judged on the schedule only: a run without them may still resolve a problem
    // they took no part in, never one they opened.
    const needed = enabled.filter((name) => !isExtraDetector(name) || (openAlert?.detectors ?? []).includes(name));
    const evaluatedAll = needed.every((name) => evaluations.some((result) => result.detector === name));
    if (!openAlert) return { action: 'none', reason: 'healthy' };
    if (!evaluatedAll) return { action: 'none', reason: 'partial_run' };
    const told = openAlert.lastNotifiedAt !== null;
    if (told && maintenance) return { action: 'resolve', alertId: openAlert.id, notify: false, heldBy: 'maintenance' };
    return { action: 'resolve', alertId: openAlert.id, notify: told };
  }

  const severity = severityOf(fired);
  const quiet = severity === 'warning' && inQuietHours(settings, now);
  if (!openAlert) {
    const heldBy = maintenance ? 'maintenance' : quiet ? 'quiet_hours' : budgetHold(input);
    return heldBy ? { action: 'open', fired, notify: false, heldBy } : { action: 'open', fired, notify: true };
  }

  const alertId = openAlert.id;
  if (maintenance) return { action: 'hold', alertId, fired, heldBy: 'maintenance', escalate: false };
  const escalate = escalationDue(settings, openAlert, now, quiet);
  const hold = (heldBy: HoldReason): AlertDecision => ({ action: 'hold', alertId, fired, heldBy, escalate });

  const upgrade = openAlert.lastNotifiedAt !== null && openAlert.severity === 'warning' && severity === 'critical';
  if (upgrade) {
    return input.notificationsLast24h >= settings.max_alerts_per_day ? hold('daily_limit') : { action: 'notify', alertId, fired, reason: 'upgrade', escalate };
  }
  if (openAlert.acknowledgedAt) return hold('acknowledged');
  if (quiet) return hold('quiet_hours');
  if (openAlert.lastNotifiedAt === null) {
    const heldBy = budgetHold(input);
    return heldBy ? hold(heldBy) : { action: 'notify', alertId, fired, reason: 'released', escalate };
  }
  if (withinCooldown(input)) return hold('cooldown');
  const intervalMs = settings.reminder_interval_minutes * 60_000;
  if (intervalMs === 0 || now.getTime() - openAlert.lastNotifiedAt.getTime() < intervalMs) return hold('reminder_interval');
  if (input.notificationsLast24h >= settings.max_alerts_per_day) return hold('daily_limit');
  return { action: 'remind', alertId, fired, escalate };
}

/**
 * Escalation: the problem is still there, the admin was told at least `escalation_minutes` ago, nobody
 * acknowledged it and it was never escalated. Counted from the first notice, so a problem held through a
 * maintenance window or quiet hours gives the first recipients their full time. It is not limited by
 * the cooldown or the daily limit (it goes to other people, once per alert), but a warning waits out
 * quiet hours like any other warning, and nothing is sent during maintenance.
 */
export function escalationDue(
  settings: Pick<Settings, 'escalation_minutes' | 'escalation_emails'>,
  alert: OpenAlertFacts,
  now: Date,
  quietWarning: boolean,
): boolean {
  if (settings.escalation_minutes <= 0 || settings.escalation_emails.length === 0) return false;
  if (alert.acknowledgedAt || alert.escalatedAt || !alert.firstNotifiedAt || quietWarning) return false;
  return now.getTime() - alert.firstNotifiedAt.getTime() >= settings.escalation_minutes * 60_000;
}

/**
 * Quiet hours in the store's time zone; a start after the end runs past midnight (22:00-07:00 covers
 * 23:30 and 06:59, not 07:00). Off when either end is empty.
 */
export function inQuietHours(settings: Pick<Settings, 'quiet_hours_start' | 'quiet_hours_end' | 'timezone'>, now: Date): boolean {
  if (!settings.quiet_hours_start || !settings.quiet_hours_end) return false;
  const minute = localTime(now, settings.timezone).minuteOfDay;
  const start = parseClock(settings.quiet_hours_start);
  const end = parseClock(settings.quiet_hours_end);
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function withinCooldown(input: AlertPolicyInput): boolean {
  const cooldownMs = input.settings.cooldown_minutes * 60_000;
  return input.lastNotifiedAt !== null && input.now.getTime() - input.lastNotifiedAt.getTime() < cooldownMs;
}

/** The store-wide limits on alerts: the cooldown since the last one sent, and the daily maximum. */
function budgetHold(input: AlertPolicyInput): HoldReason | null {
  if (withinCooldown(input)) return 'cooldown';
  if (input.notificationsLast24h >= input.settings.max_alerts_per_day) return 'daily_limit';
  return null;
}

export type StoreProblemDecision =
  | { action: 'none' }
  /** `held`: recorded, its notice kept back until the maintenance window is over. */
  | { action: 'open'; held: boolean }
  | { action: 'resolve'; notify: boolean };

/**
 * The store's own problems (WordPress silent, checkout cannot work) have no reminders or thresholds.
 * They are critical, so quiet hours never hold them; a maintenance window does (a store being worked on
 * looks down): the alert opens and is recorded, and its notice waits for the window's end, sent then if
 * the problem is still there (StoreProblemAlerts.releaseHeld). One that ends untold, or inside a
 * window, resolves silently.
 */
export function decideStoreProblem(input: { present: boolean; open: { lastNotifiedAt: Date | null } | null; inMaintenance: boolean }): StoreProblemDecision {
  if (input.present) return input.open ? { action: 'none' } : { action: 'open', held: input.inMaintenance };
  if (!input.open) return { action: 'none' };
  return { action: 'resolve', notify: input.open.lastNotifiedAt !== null && !input.inMaintenance };
}

/** The causes of an open store-problem alert the admin has not been told of yet: each is told once per alert. */
export function untoldCauses(told: readonly string[], current: readonly string[]): string[] {
  return current.filter((cause) => !told.includes(cause));
}
