import type { DetectorResult } from './detectors';
import { enabledDetectors, type Settings } from './settings';

export interface OpenAlertFacts {
  id: number;
  openedAt: Date;
  /** null while every notification of it was held back by the cooldown or the daily limit. */
  lastNotifiedAt: Date | null;
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
}

export type HoldReason = 'cooldown' | 'daily_limit';

export type AlertDecision =
  | { action: 'none'; reason: 'disabled' | 'healthy' | 'partial_run' }
  | { action: 'open'; fired: DetectorResult[]; notify: true }
  | { action: 'open'; fired: DetectorResult[]; notify: false; heldBy: HoldReason }
  | { action: 'remind'; alertId: number; fired: DetectorResult[] }
  | { action: 'hold'; alertId: number; fired: DetectorResult[]; heldBy: HoldReason }
  | { action: 'resolve'; alertId: number; notify: boolean };

/**
 * One problem is one alert, whichever detectors see it: hybrid mode shares the open alert, the cooldown
 * and the daily limit between both detectors, so it never sends two alerts for one problem. A problem
 * that goes on is reminded once per cooldown; it resolves only when every enabled detector was evaluated
 * and none fires, and the recovery notice goes out only if the admin heard of the problem.
 */
export function decideAlert(input: AlertPolicyInput): AlertDecision {
  const { settings, evaluations, openAlert, now } = input;
  if (!settings.enabled) return { action: 'none', reason: 'disabled' };

  const enabled = enabledDetectors(settings.mode);
  const fired = evaluations.filter((result) => enabled.includes(result.detector) && result.breached);

  if (fired.length === 0) {
    const evaluatedAll = enabled.every((name) => evaluations.some((result) => result.detector === name));
    if (!openAlert) return { action: 'none', reason: 'healthy' };
    if (!evaluatedAll) return { action: 'none', reason: 'partial_run' };
    return { action: 'resolve', alertId: openAlert.id, notify: openAlert.lastNotifiedAt !== null };
  }

  const heldBy = holdReason(input, now);
  if (!openAlert) return heldBy ? { action: 'open', fired, notify: false, heldBy } : { action: 'open', fired, notify: true };
  if (heldBy) return { action: 'hold', alertId: openAlert.id, fired, heldBy };
  return { action: 'remind', alertId: openAlert.id, fired };
}

function holdReason(input: AlertPolicyInput, now: Date): HoldReason | null {
  const cooldownMs = input.settings.cooldown_minutes * 60_000;
  if (input.lastNotifiedAt && now.getTime() - input.lastNotifiedAt.getTime() < cooldownMs) return 'cooldown';
  if (input.notificationsLast24h >= input.settings.max_alerts_per_day) return 'daily_limit';
  return null;
}
