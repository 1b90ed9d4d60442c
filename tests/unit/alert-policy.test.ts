import { describe, expect, it } from 'vitest';
import { decideAlert, decideStoreProblem, escalationDue, inQuietHours, untoldCauses, type AlertPolicyInput, type OpenAlertFacts } from '../../sidecar/src/domain/alert-policy';
import type { RollingAverageResult, TimeBasedResult } from '../../sidecar/src/domain/detectors';
import { defaultSettings, type Settings } from '../../sidecar/src/domain/settings';

const now = new Date('2026-11-23T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

const timeBased = (breached: boolean): TimeBasedResult => ({
  detector: 'time_based',
  breached,
  learning: false,
  period: 'peak',
  successful: breached ? 1 : 12,
  threshold: 10,
  windowStart: minutesAgo(15),
  windowEnd: now,
  summary: '',
});
const rad = (breached: boolean): RollingAverageResult => ({
  detector: 'rolling_average',
  breached,
  learning: false,
  considered: 10,
  failed: breached ? 8 : 1,
  failureSharePct: breached ? 80 : 10,
  thresholdPct: 70,
  windowSize: 10,
  minOrders: 3,
  summary: '',
});

const input = (change: Partial<Omit<AlertPolicyInput, 'settings'>> & { settings?: Partial<Settings> } = {}): AlertPolicyInput => ({
  now,
  evaluations: [timeBased(false), rad(false)],
  openAlert: null,
  lastNotifiedAt: null,
  notificationsLast24h: 0,
  ...change,
  settings: { ...defaultSettings('UTC'), mode: 'hybrid', ...change.settings },
});

describe('decideAlert', () => {
  it('opens and notifies when a detector of the mode fires', () => {
    const decision = decideAlert(input({ evaluations: [timeBased(true), rad(false)] }));
    expect(decision).toMatchObject({ action: 'open', notify: true });
    expect(decision.action === 'open' && decision.fired.map((r) => r.detector)).toEqual(['time_based']);
  });

  it('ignores detectors the mode does not use', () => {
    expect(decideAlert(input({ settings: { mode: 'rolling_average' }, evaluations: [timeBased(true), rad(false)] }))).toEqual({ action: 'none', reason: 'healthy' });
    expect(decideAlert(input({ settings: { mode: 'time_based' }, evaluations: [timeBased(false), rad(true)] }))).toEqual({ action: 'none', reason: 'healthy' });
  });

  it('in hybrid mode, both detectors firing make one alert naming both', () => {
    const decision = decideAlert(input({ evaluations: [timeBased(true), rad(true)] }));
    expect(decision.action).toBe('open');
    expect(decision.action === 'open' && decision.fired.map((r) => r.detector)).toEqual(['time_based', 'rolling_average']);
  });

  it('in hybrid mode, the second detector joins the open alert instead of opening another', () => {
    const openAlert = { id: 7, openedAt: minutesAgo(10), lastNotifiedAt: minutesAgo(10) };
    const decision = decideAlert(input({ evaluations: [rad(true)], openAlert, lastNotifiedAt: minutesAgo(10), notificationsLast24h: 1 }));
    expect(decision).toMatchObject({ action: 'hold', alertId: 7, heldBy: 'cooldown' });
  });

  it('shares one cooldown between detectors: a new problem inside it is recorded but not sent', () => {
    const decision = decideAlert(input({ evaluations: [rad(true)], lastNotifiedAt: minutesAgo(119) }));
    expect(decision).toMatchObject({ action: 'open', notify: false, heldBy: 'cooldown' });
    expect(decideAlert(input({ evaluations: [rad(true)], lastNotifiedAt: minutesAgo(120) }))).toMatchObject({ action: 'open', notify: true });
  });

  it('reminds about a problem that goes on once the cooldown has passed', () => {
    const openAlert = { id: 3, openedAt: minutesAgo(150), lastNotifiedAt: minutesAgo(150) };
    const decision = decideAlert(input({ evaluations: [timeBased(true), rad(false)], openAlert, lastNotifiedAt: minutesAgo(150), notificationsLast24h: 1 }));
    expect(decision).toMatchObject({ action: 'remind', alertId: 3 });
  });

  it('stops at max_alerts_per_day within 24 hours', () => {
    const decision = decideAlert(input({ evaluations: [timeBased(true)], lastNotifiedAt: minutesAgo(500), notificationsLast24h: 6 }));
    expect(decision).toMatchObject({ action: 'open', notify: false, heldBy: 'daily_limit' });
  });

  it('resolves when every enabled detector was evaluated and none fires, with a notice only if the admin was told', () => {
    const told = { id: 4, openedAt: minutesAgo(60), lastNotifiedAt: minutesAgo(60) };
    expect(decideAlert(input({ openAlert: told }))).toEqual({ action: 'resolve', alertId: 4, notify: true });
    const untold = { id: 5, openedAt: minutesAgo(60), lastNotifiedAt: null };
    expect(decideAlert(input({ openAlert: untold }))).toEqual({ action: 'resolve', alertId: 5, notify: false });
  });

  it('does not resolve from a run that evaluated only some detectors (an event-triggered RAD check)', () => {
    const openAlert = { id: 4, openedAt: minutesAgo(60), lastNotifiedAt: minutesAgo(60) };
    expect(decideAlert(input({ evaluations: [rad(false)], openAlert }))).toEqual({ action: 'none', reason: 'partial_run' });
    expect(decideAlert(input({ settings: { mode: 'rolling_average' }, evaluations: [rad(false)], openAlert }))).toMatchObject({ action: 'resolve' });
  });

  it('does nothing while monitoring is disabled', () => {
    expect(decideAlert(input({ settings: { enabled: false }, evaluations: [timeBased(true), rad(true)] }))).toEqual({ action: 'none', reason: 'disabled' });
  });
});

describe('alert lifecycle', () => {
  const told = (m: number, extra: Partial<OpenAlertFacts> = {}): OpenAlertFacts => ({
    id: 9,
    openedAt: minutesAgo(m),
    lastNotifiedAt: minutesAgo(m),
    firstNotifiedAt: minutesAgo(m),
    severity: 'warning',
    acknowledgedAt: null,
    escalatedAt: null,
    ...extra,
  });
  // 2 of 10 orders failing is a warning; all 10 failing is critical (domain/detectors severityOf).
  const radWarning = (): RollingAverageResult => ({ ...rad(true), failed: 8, considered: 10 });
  const radCritical = (): RollingAverageResult => ({ ...rad(true), failed: 10, considered: 10, failureSharePct: 100 });
  const ongoing = (openAlert: OpenAlertFacts, change: Partial<Omit<AlertPolicyInput, 'settings'>> & { settings?: Partial<Settings> } = {}) =>
    input({ evaluations: [radWarning()], openAlert, lastNotifiedAt: openAlert.lastNotifiedAt, notificationsLast24h: 1, ...change, settings: { mode: 'rolling_average', cooldown_minutes: 0, ...change.settings } });

  it('reminds at reminder_interval_minutes, not at the cooldown', () => {
    expect(decideAlert(ongoing(told(29), { settings: { reminder_interval_minutes: 30 } }))).toMatchObject({ action: 'hold', heldBy: 'reminder_interval' });
    expect(decideAlert(ongoing(told(30), { settings: { reminder_interval_minutes: 30 } }))).toMatchObject({ action: 'remind', alertId: 9 });
    expect(decideAlert(ongoing(told(30), { settings: { reminder_interval_minutes: 30, cooldown_minutes: 60 } }))).toMatchObject({ action: 'hold', heldBy: 'cooldown' });
  });

  it('never reminds when reminder_interval_minutes is 0', () => {
    expect(decideAlert(ongoing(told(5000), { settings: { reminder_interval_minutes: 0 }, notificationsLast24h: 0 }))).toMatchObject({ action: 'hold', heldBy: 'reminder_interval' });
  });

  it('sends no reminders and no escalation once acknowledged', () => {
    const acked = told(300, { acknowledgedAt: minutesAgo(200) });
    const decision = decideAlert(ongoing(acked, { settings: { escalation_minutes: 30, escalation_emails: ['boss@shop.example'] } }));
    expect(decision).toEqual({ action: 'hold', alertId: 9, fired: [radWarning()], heldBy: 'acknowledged', escalate: false });
  });

  it('a warning that becomes critical is news at once, inside the reminder interval and the cooldown, once', () => {
    const decision = decideAlert(ongoing(told(5), { evaluations: [radCritical()], settings: { cooldown_minutes: 120 } }));
    expect(decision).toMatchObject({ action: 'notify', reason: 'upgrade', alertId: 9 });
    expect(decideAlert(ongoing(told(5, { severity: 'critical' }), { evaluations: [radCritical()] }))).toMatchObject({ action: 'hold', heldBy: 'reminder_interval' });
    // Acknowledged or not: getting worse is news.
    expect(decideAlert(ongoing(told(5, { acknowledgedAt: minutesAgo(1) }), { evaluations: [radCritical()] }))).toMatchObject({ action: 'notify', reason: 'upgrade' });
    // The daily limit stays a hard cap.
    expect(decideAlert(ongoing(told(5), { evaluations: [radCritical()], notificationsLast24h: 6 }))).toMatchObject({ action: 'hold', heldBy: 'daily_limit' });
  });

  describe('quiet hours (22:00-07:00 in the store zone, across midnight)', () => {
    const quiet = { quiet_hours_start: '22:00', quiet_hours_end: '07:00', timezone: 'Europe/Berlin' };
    const at = (iso: string) => new Date(iso);

    it('are read in the store time zone and may cross midnight', () => {
      expect(inQuietHours({ ...quiet }, at('2026-11-23T21:30:00Z'))).toBe(true); // 22:30 Berlin
      expect(inQuietHours({ ...quiet }, at('2026-11-23T05:59:00Z'))).toBe(true); // 06:59
      expect(inQuietHours({ ...quiet }, at('2026-11-23T06:00:00Z'))).toBe(false); // 07:00
      expect(inQuietHours({ ...quiet }, at('2026-11-23T20:59:00Z'))).toBe(false); // 21:59
      expect(inQuietHours({ quiet_hours_start: '01:00', quiet_hours_end: '05:00', timezone: 'UTC' }, at('2026-11-23T03:00:00Z'))).toBe(true);
      expect(inQuietHours({ quiet_hours_start: null, quiet_hours_end: null, timezone: 'UTC' }, at('2026-11-23T03:00:00Z'))).toBe(false);
    });

    it('hold a new warning (recorded) and let a critical through', () => {
      const night = at('2026-11-23T23:00:00Z');
      const base = { now: night, settings: { mode: 'rolling_average' as const, ...quiet } };
      expect(decideAlert(input({ ...base, evaluations: [radWarning()] }))).toMatchObject({ action: 'open', notify: false, heldBy: 'quiet_hours' });
      expect(decideAlert(input({ ...base, evaluations: [radCritical()] }))).toMatchObject({ action: 'open', notify: true });
    });

    it('send the held warning as an alert when they end, if the problem is still there', () => {
      const held: OpenAlertFacts = { id: 5, openedAt: at('2026-11-23T23:00:00Z'), lastNotifiedAt: null, severity: 'warning' };
      const settings = { mode: 'rolling_average' as const, ...quiet };
      expect(decideAlert(input({ now: at('2026-11-24T05:30:00Z'), settings, evaluations: [radWarning()], openAlert: held }))).toMatchObject({ action: 'hold', heldBy: 'quiet_hours' });
      expect(decideAlert(input({ now: at('2026-11-24T06:01:00Z'), settings, evaluations: [radWarning()], openAlert: held }))).toMatchObject({ action: 'notify', reason: 'released', alertId: 5 });
    });

    it('hold reminders of a warning, not of a critical', () => {
      const night = at('2026-11-23T23:00:00Z');
      const open = { ...told(0), openedAt: new Date(night.getTime() - 300 * 60_000), lastNotifiedAt: new Date(night.getTime() - 300 * 60_000) };
      const settings = { mode: 'rolling_average' as const, cooldown_minutes: 0, ...quiet };
      expect(decideAlert(input({ now: night, settings, evaluations: [radWarning()], openAlert: open, lastNotifiedAt: open.lastNotifiedAt }))).toMatchObject({ action: 'hold', heldBy: 'quiet_hours' });
      expect(decideAlert(input({ now: night, settings, evaluations: [radCritical()], openAlert: { ...open, severity: 'critical' }, lastNotifiedAt: open.lastNotifiedAt }))).toMatchObject({ action: 'remind' });
    });
  });

  describe('maintenance windows', () => {
    it('hold everything, critical included, and keep the alert open', () => {
      expect(decideAlert(input({ settings: { mode: 'rolling_average' }, evaluations: [radCritical()], inMaintenance: true }))).toMatchObject({ action: 'open', notify: false, heldBy: 'maintenance' });
      expect(decideAlert(ongoing(told(500), { inMaintenance: true, settings: { escalation_minutes: 30, escalation_emails: ['boss@shop.example'] } }))).toEqual({
        action: 'hold',
        alertId: 9,
        fired: [radWarning()],
        heldBy: 'maintenance',
        escalate: false,
      });
    });

    it('a problem that outlives the window is told right after it, as an alert', () => {
      const held: OpenAlertFacts = { id: 6, openedAt: minutesAgo(90), lastNotifiedAt: null, severity: 'warning' };
      expect(decideAlert(ongoing(held, { lastNotifiedAt: null, notificationsLast24h: 0 }))).toMatchObject({ action: 'notify', reason: 'released', alertId: 6 });
    });

    it('a problem that ends inside the window (or quiet hours) untold resolves silently; a told one resolves without a notice during the window', () => {
      const untold: OpenAlertFacts = { id: 6, openedAt: minutesAgo(90), lastNotifiedAt: null };
      expect(decideAlert(input({ settings: { mode: 'rolling_average' }, evaluations: [rad(false)], openAlert: untold, inMaintenance: true }))).toEqual({ action: 'resolve', alertId: 6, notify: false });
      expect(decideAlert(input({ settings: { mode: 'rolling_average' }, evaluations: [rad(false)], openAlert: untold }))).toEqual({ action: 'resolve', alertId: 6, notify: false });
      expect(decideAlert(input({ settings: { mode: 'rolling_average' }, evaluations: [rad(false)], openAlert: told(90), inMaintenance: true }))).toEqual({
        action: 'resolve',
        alertId: 9,
        notify: false,
        heldBy: 'maintenance',
      });
    });
  });

  describe('escalation', () => {
    const escalation = { escalation_minutes: 30, escalation_emails: ['boss@shop.example'], reminder_interval_minutes: 120 };

    it('once the first notice is escalation_minutes old, unacknowledged, and never before', () => {
      expect(decideAlert(ongoing(told(29), { settings: escalation }))).toMatchObject({ action: 'hold', escalate: false });
      expect(decideAlert(ongoing(told(30), { settings: escalation }))).toMatchObject({ action: 'hold', heldBy: 'reminder_interval', escalate: true });
      expect(decideAlert(ongoing(told(130), { settings: escalation }))).toMatchObject({ action: 'remind', escalate: true });
      expect(decideAlert(ongoing(told(40, { escalatedAt: minutesAgo(10) }), { settings: escalation }))).toMatchObject({ escalate: false });
      expect(decideAlert(ongoing(told(40, { acknowledgedAt: minutesAgo(20) }), { settings: escalation }))).toMatchObject({ escalate: false });
      expect(decideAlert(ongoing(told(40), { settings: { ...escalation, escalation_minutes: 0 } }))).toMatchObject({ escalate: false });
    });

    it('counts from the first notice, not from the opening: a problem held in maintenance is not escalated at once', () => {
      const heldThenTold = told(1, { openedAt: minutesAgo(600) });
      expect(decideAlert(ongoing(heldThenTold, { settings: escalation }))).toMatchObject({ escalate: false });
      const neverTold: OpenAlertFacts = { id: 4, openedAt: minutesAgo(600), lastNotifiedAt: null, firstNotifiedAt: null };
      expect(escalationDue(escalation, neverTold, now, false)).toBe(false);
    });

    it('is not limited by the cooldown or the daily limit, but a warning waits out quiet hours', () => {
      expect(decideAlert(ongoing(told(40), { settings: { ...escalation, cooldown_minutes: 600 }, notificationsLast24h: 50 }))).toMatchObject({ action: 'hold', escalate: true });
      expect(escalationDue(escalation, told(40), now, true)).toBe(false);
    });
  });
});

describe('decideStoreProblem', () => {
  it('opens held during maintenance, and resolves silently when untold or inside a window', () => {
    expect(decideStoreProblem({ present: true, open: null, inMaintenance: false })).toEqual({ action: 'open', held: false });
    expect(decideStoreProblem({ present: true, open: null, inMaintenance: true })).toEqual({ action: 'open', held: true });
    expect(decideStoreProblem({ present: true, open: { lastNotifiedAt: null }, inMaintenance: false })).toEqual({ action: 'none' });
    expect(decideStoreProblem({ present: false, open: { lastNotifiedAt: now }, inMaintenance: false })).toEqual({ action: 'resolve', notify: true });
    expect(decideStoreProblem({ present: false, open: { lastNotifiedAt: null }, inMaintenance: false })).toEqual({ action: 'resolve', notify: false });
    expect(decideStoreProblem({ present: false, open: { lastNotifiedAt: now }, inMaintenance: true })).toEqual({ action: 'resolve', notify: false });
    expect(decideStoreProblem({ present: false, open: null, inMaintenance: false })).toEqual({ action: 'none' });
  });
});

describe('untoldCauses', () => {
  it('keeps the causes a notice has not named yet, in their order', () => {
    expect(untoldCauses(['no_payment_method'], ['fatal_errors', 'no_payment_method', 'checkout_page_unset'])).toEqual(['fatal_errors', 'checkout_page_unset']);
    expect(untoldCauses(['fatal_errors'], ['fatal_errors'])).toEqual([]);
  });
});
