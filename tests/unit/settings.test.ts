import { describe, expect, it } from 'vitest';
import { defaultSettings, mergeSettings } from '../../sidecar/src/domain/settings';

const current = defaultSettings('Europe/Berlin');

describe('settings', () => {
  it('defaults to adaptive mode, with the specification defaults for the fixed modes', () => {
    expect(current).toMatchObject({
      mode: 'adaptive',
      false_alarms_per_month: 1,
      check_interval_minutes: 15,
      peak_start: '09:00',
      peak_end: '18:00',
      threshold_peak: 10,
      threshold_off_peak: 2,
      rad_window_size: 10,
      rad_failure_threshold_pct: 70,
      rad_min_orders: 3,
      cooldown_minutes: 120,
      max_alerts_per_day: 6,
      failure_statuses: ['failed', 'cancelled'],
      success_statuses: ['processing', 'completed'],
    });
  });

  it('applies a valid partial change on top of the current settings', () => {
    const result = mergeSettings(current, { threshold_peak: 5, alert_emails: ['ops@shop.example'] });
    expect(result).toEqual({ ok: true, settings: { ...current, threshold_peak: 5, alert_emails: ['ops@shop.example'] } });
  });

  it('names every bad field and what it expects', () => {
    const result = mergeSettings(current, {
      threshold_peak: -1,
      peak_start: '9am',
      timezone: 'Mars/Base',
      alert_emails: ['ok@shop.example', 'not-an-address'],
      mode: 'psychic',
      colour: 'blue',
    });
    expect(result.ok).toBe(false);
    const fields = !result.ok ? result.errors.map((e) => e.field).sort() : [];
    expect(fields).toEqual(['alert_emails[1]', 'colour', 'mode', 'peak_start', 'threshold_peak', 'timezone']);
    const message = (field: string) => (!result.ok ? result.errors.find((e) => e.field === field)?.message : undefined);
    expect(message('peak_start')).toMatch(/HH:MM/);
    expect(message('timezone')).toMatch(/IANA/);
    expect(message('colour')).toBe('is not a known field');
    expect(message('threshold_peak')).toBe('must be 0 or more');
  });

  it('checks rules that span fields', () => {
    const result = mergeSettings(current, { rad_min_orders: 20, peak_end: '09:00', failure_statuses: ['failed', 'completed'] });
    expect(!result.ok && result.errors.map((e) => e.field).sort()).toEqual(['failure_statuses', 'peak_end', 'rad_min_orders']);
  });

  it('refuses wrong types instead of coercing them', () => {
    const result = mergeSettings(current, { threshold_peak: '10', enabled: 'yes' });
    expect(!result.ok && result.errors.map((e) => e.field).sort()).toEqual(['enabled', 'threshold_peak']);
    expect(mergeSettings(current, [1, 2]).ok).toBe(false);
  });
});

describe('alert lifecycle settings', () => {
  it('default to reminders every 120 minutes, no quiet hours and no escalation', () => {
    expect(current).toMatchObject({ reminder_interval_minutes: 120, quiet_hours_start: null, quiet_hours_end: null, escalation_minutes: 0, escalation_emails: [] });
  });

  it('take quiet hours as both or neither, HH:MM, different; empty turns them off', () => {
    expect(mergeSettings(current, { quiet_hours_start: '22:00', quiet_hours_end: '07:00' }).ok).toBe(true);
    const one = mergeSettings(current, { quiet_hours_start: '22:00' });
    expect(!one.ok && one.errors).toEqual([{ field: 'quiet_hours_end', message: 'must be set too when the other quiet hours field is, or both left empty' }]);
    const same = mergeSettings(current, { quiet_hours_start: '22:00', quiet_hours_end: '22:00' });
    expect(!same.ok && same.errors.map((e) => e.field)).toEqual(['quiet_hours_end']);
    const bad = mergeSettings(current, { quiet_hours_start: '10pm', quiet_hours_end: '07:00' });
    expect(!bad.ok && bad.errors[0]).toEqual({ field: 'quiet_hours_start', message: 'must be a time of day as HH:MM, e.g. 09:00' });
    const off = mergeSettings(current, { quiet_hours_start: '', quiet_hours_end: '' });
    expect(off.ok && off.settings.quiet_hours_start).toBeNull();
  });

  it('ask for escalation addresses when escalation is on', () => {
    const none = mergeSettings(current, { escalation_minutes: 30 });
    expect(!none.ok && none.errors).toEqual([{ field: 'escalation_emails', message: 'must name at least one address when escalation_minutes is more than 0' }]);
    expect(mergeSettings(current, { escalation_minutes: 30, escalation_emails: ['boss@shop.example'] }).ok).toBe(true);
    const badAddress = mergeSettings(current, { escalation_emails: ['boss'] });
    expect(!badAddress.ok && badAddress.errors[0]?.field).toBe('escalation_emails[0]');
    const negative = mergeSettings(current, { reminder_interval_minutes: -1 });
    expect(!negative.ok && negative.errors[0]).toEqual({ field: 'reminder_interval_minutes', message: 'must be 0 or more' });
  });
});

describe('digest settings', () => {
  it('default to a daily summary at 08:00 and no weekly one', () => {
    expect(current).toMatchObject({ digest_enabled: true, digest_hour: '08:00', digest_weekly: false });
  });

  it('name the field that is wrong', () => {
    const hour = mergeSettings(current, { digest_hour: '8am' });
    expect(!hour.ok && hour.errors).toEqual([{ field: 'digest_hour', message: 'must be a time of day as HH:MM, e.g. 09:00' }]);
    const late = mergeSettings(current, { digest_hour: '24:00' });
    expect(!late.ok && late.errors[0]?.field).toBe('digest_hour');
    const on = mergeSettings(current, { digest_enabled: 'yes' });
    expect(!on.ok && on.errors).toEqual([{ field: 'digest_enabled', message: 'must be true or false' }]);
    const weekly = mergeSettings(current, { digest_weekly: 1 });
    expect(!weekly.ok && weekly.errors[0]?.field).toBe('digest_weekly');
    expect(mergeSettings(current, { digest_enabled: false, digest_hour: '06:30', digest_weekly: true })).toMatchObject({ ok: true, settings: { digest_enabled: false, digest_hour: '06:30', digest_weekly: true } });
  });
});
