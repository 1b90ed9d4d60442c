import type { FieldError } from '../domain/settings';

/** A posted settings form, as strings, possibly repeated (checkbox groups). */
export type FormValues = Record<string, string | string[]>;

export function readForm(body: string): FormValues {
  const values: FormValues = {};
  const params = new URLSearchParams(body);
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    values[key] = key.endsWith('[]') ? all : (all[all.length - 1] ?? '');
  }
  return values;
}

const NUMBER_FIELDS = [
  'check_interval_minutes',
  'threshold_peak',
  'threshold_off_peak',
  'rad_window_size',
  'rad_failure_threshold_pct',
  'rad_min_orders',
  'cooldown_minutes',
  'max_alerts_per_day',
  'false_alarms_per_month',
  'reminder_interval_minutes',
  'escalation_minutes',
  'probe_interval_minutes',
  'probe_failures_to_alert',
] as const;
const TEXT_FIELDS = ['mode', 'timezone', 'peak_start', 'peak_end', 'quiet_hours_start', 'quiet_hours_end', 'digest_hour'] as const;

const list = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : (value ?? '').split(/[\s,;]+/)).map((s) => s.trim()).filter(Boolean);

/**
 * Turns the HTML form into a settings change. Values that are not even numbers are reported here;
 * everything else (ranges, formats, cross-field rules) is the settings schema's job.
 */
export function formToSettingsChange(form: FormValues): { change: Record<string, unknown>; errors: FieldError[] } {
  const change: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  // "Apply suggested thresholds" posts the two thresholds alone; nothing else may change with them.
  if (form.apply_suggestion === '1') {
    readNumbers(form, ['threshold_peak', 'threshold_off_peak'], change, errors);
    return { change, errors };
  }
  // The notifications part has no checkboxes of the detection part: their absence there means "unchanged".
  const detection = form.part !== 'notifications';
  if (detection) change.enabled = form.enabled === '1' || form.enabled === 'on';
  for (const field of TEXT_FIELDS) if (typeof form[field] === 'string') change[field] = (form[field] as string).trim();
  readNumbers(form, NUMBER_FIELDS, change, errors);
  if (detection) change.peak_weekdays = list(form['peak_weekdays[]']).map(Number);
  if (detection) change.failure_statuses = list(form['failure_statuses[]']);
  if (form.success_statuses !== undefined) change.success_statuses = list(form.success_statuses);
  if (form.alert_emails !== undefined) change.alert_emails = list(form.alert_emails);
  if (form.escalation_emails !== undefined) change.escalation_emails = list(form.escalation_emails);
  // The probe's checkbox follows a hidden "0" of the same name: unticked posts "0", a form without it keeps the setting.
  if (form.probe_enabled !== undefined) change.probe_enabled = form.probe_enabled === '1' || form.probe_enabled === 'on';
  // The digest's two checkboxes follow a hidden "0" of the same name, like the probe's.
  for (const field of ['digest_enabled', 'digest_weekly'] as const) {
    if (form[field] !== undefined) change[field] = form[field] === '1' || form[field] === 'on';
  }
  if (typeof form.rules_json === 'string') readRules(form.rules_json, change, errors);
  return { change, errors };
}

function readNumbers(form: FormValues, fields: readonly string[], change: Record<string, unknown>, errors: FieldError[]): void {
  for (const field of fields) {
    const raw = form[field];
    if (raw === undefined) continue;
    const text = String(raw).trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) errors.push({ field, message: 'must be a number' });
    else change[field] = value;
  }
}

/** The custom rules' box (templates/partials/rules-settings.hbs): a JSON list, empty for none. */
export function readRules(text: string, change: Record<string, unknown>, errors: FieldError[]): void {
  if (text.trim() === '') {
    change.rules = [];
    return;
  }
  try {
    change.rules = JSON.parse(text) as unknown;
  } catch {
    errors.push({ field: 'rules', message: 'must be a JSON list of rules, e.g. [{"name": "No orders", "metric": "orders", "operator": "<", "threshold": 1, "window_minutes": 120}]' });
  }
}
