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
