import { describe, expect, it } from 'vitest';
import { decideAlert, type AlertPolicyInput } from '../../sidecar/src/domain/alert-policy';
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
