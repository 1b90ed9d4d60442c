import { z } from 'zod';
import { isKnownTimeZone, parseClock } from './time';
import { rulesSchema } from './rules';

export const MODES = ['time_based', 'rolling_average', 'hybrid', 'adaptive'] as const;
export type Mode = (typeof MODES)[number];
/** The specification's detectors, with fixed thresholds. */
export type DetectorName = 'time_based' | 'rolling_average';
/** Adaptive mode's detectors: sequential tests against the store's own history (domain/order-flow, failure-rate). */
export type AdaptiveDetectorName = 'order_flow' | 'failure_rate';
export type AnyDetectorName = DetectorName | AdaptiveDetectorName;

// Messages a store admin reads beside the field: "must be 0 or more", not "Too small: expected number to be >=0".
const number = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .min(min, `must be ${min} or more`)
    .max(max, `must be at most ${max.toLocaleString('en')}`);
const wholeNumber = (min: number, max: number) => number(min, max).int('must be a whole number');

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, e.g. 09:00');
/** Quiet hours are optional: an empty field or null turns them off. */
const optionalClock = z.preprocess((value) => (value === '' ? null : value), clock.nullable());
// RFC 5321's limits: mail servers refuse longer addresses, so an alert to one would never arrive.
const email = z
  .email('must be an e-mail address')
  .max(254, 'must be at most 254 characters long')
  .refine((address) => address.slice(0, address.lastIndexOf('@')).length <= 64, 'must have at most 64 characters before the @');
const emailList = z.array(email).max(20);
const status = z
  .string()
  .regex(/^[a-z0-9_-]{1,40}$/, 'must be a WooCommerce status name without "wc-", e.g. failed');
const statusList = z
  .array(status)
  .min(1, 'must name at least one status')
  .refine((list) => new Set(list).size === list.length, 'must not repeat a status');

/** The detection engine's settings for one store, with the specification's defaults. */
export const settingsSchema = z
  .object({
    enabled: z.boolean(),
    mode: z.enum(MODES, { message: `must be one of ${MODES.join(', ')}` }),
    check_interval_minutes: wholeNumber(1, 1440),
    timezone: z
      .string()
      .refine(isKnownTimeZone, 'must be a known IANA time zone, e.g. Europe/Berlin'),
    peak_start: clock,
    peak_end: clock,
    peak_weekdays: z
      .array(wholeNumber(1, 7))
      .max(7)
      .refine((days) => new Set(days).size === days.length, 'must not repeat a weekday'),
    threshold_peak: wholeNumber(0, 100_000),
    threshold_off_peak: wholeNumber(0, 100_000),
    success_statuses: statusList,
    failure_statuses: statusList,
    rad_window_size: wholeNumber(2, 1000),
    rad_failure_threshold_pct: number(1, 100),
    rad_min_orders: wholeNumber(1, 1000),
    cooldown_minutes: wholeNumber(0, 10_080),
    max_alerts_per_day: wholeNumber(1, 1000),
    // Adaptive mode's one knob: the false alarms a month the admin accepts; its tests are calibrated to it.
    false_alarms_per_month: number(0.1, 100),
    alert_emails: emailList,
    // Alert lifecycle (README, "Alert lifecycle"): how often an open problem is reminded (0: never),
    // the store's quiet hours (warnings wait, critical goes through), and a second list told when nobody
    // acknowledges in time (0: off).
    reminder_interval_minutes: wholeNumber(0, 10_080),
    quiet_hours_start: optionalClock,
    quiet_hours_end: optionalClock,
    escalation_minutes: wholeNumber(0, 10_080),
    escalation_emails: emailList,
    // The store probe (README, "Store probe"): requests the store's pages every interval, alerting after
    // this many failures in a row. One request per page per run: never more than one a minute to a URL.
    probe_enabled: z.boolean({ error: 'must be true or false' }),
    probe_interval_minutes: wholeNumber(1, 1440),
    probe_failures_to_alert: wholeNumber(1, 20),
    // Custom alert rules (docs/rules.md), judged beside the built-in detectors by the same alert policy.
    rules: rulesSchema,
    // Subscription renewals judged on their own (domain/renewals): failing runs and missing runs.
    renewals_enabled: z.boolean({ error: 'must be true or false' }),
    // The store digest (docs/digest.md): yesterday in a few lines at this local hour, and on Mondays
    // the week before when digest_weekly is on.
    digest_enabled: z.boolean({ error: 'must be true or false' }),
    digest_hour: clock,
    digest_weekly: z.boolean({ error: 'must be true or false' }),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (parseClock(settings.peak_start) === parseClock(settings.peak_end)) {
      ctx.addIssue({ code: 'custom', path: ['peak_end'], message: 'must differ from peak_start' });
    }
    if ((settings.quiet_hours_start === null) !== (settings.quiet_hours_end === null)) {
      const missing = settings.quiet_hours_start === null ? 'quiet_hours_start' : 'quiet_hours_end';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set too when the other quiet hours field is, or both left empty' });
    } else if (settings.quiet_hours_start !== null && settings.quiet_hours_start === settings.quiet_hours_end) {
      ctx.addIssue({ code: 'custom', path: ['quiet_hours_end'], message: 'must differ from quiet_hours_start' });
    }
    if (settings.escalation_minutes > 0 && settings.escalation_emails.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['escalation_emails'], message: 'must name at least one address when escalation_minutes is more than 0' });
    }
    if (settings.rad_min_orders > settings.rad_window_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['rad_min_orders'],
        message: `must not exceed rad_window_size (${settings.rad_window_size})`,
      });
    }
    const overlap = settings.failure_statuses.filter((s) => settings.success_statuses.includes(s));
    if (overlap.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['failure_statuses'],
        message: `must not include a success status (${overlap.join(', ')})`,
      });
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

export function defaultSettings(timezone: string): Settings {
  return {
    enabled: true,
    mode: 'adaptive',
    check_interval_minutes: 15,
    timezone,
    peak_start: '09:00',
    peak_end: '18:00',
    peak_weekdays: [1, 2, 3, 4, 5, 6, 7],
    threshold_peak: 10,
    threshold_off_peak: 2,
    success_statuses: ['processing', 'completed'],
    failure_statuses: ['failed', 'cancelled'],
    rad_window_size: 10,
    rad_failure_threshold_pct: 70,
    rad_min_orders: 3,
    cooldown_minutes: 120,
    max_alerts_per_day: 6,
    false_alarms_per_month: 1,
    alert_emails: [],
    reminder_interval_minutes: 120,
    quiet_hours_start: null,
    quiet_hours_end: null,
    escalation_minutes: 0,
    escalation_emails: [],
    probe_enabled: true,
    probe_interval_minutes: 5,
    probe_failures_to_alert: 2,
    rules: [],
    renewals_enabled: true,
    digest_enabled: true,
    digest_hour: '08:00',
    digest_weekly: false,
  };
}

export interface FieldError {
  field: string;
  message: string;
}

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; errors: FieldError[] };

/** Applies a partial change on top of the current settings; the merged whole must be valid. */
export function mergeSettings(current: Settings, change: unknown): SettingsResult {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object of settings' }] };
  }
  const parsed = settingsSchema.safeParse({ ...current, ...change });
  if (parsed.success) return { ok: true, settings: parsed.data };
  return { ok: false, errors: toFieldErrors(parsed.error) };
}

/** One error per bad field, named the way a person reads it: `events[3].occurred_at`. */
export function toFieldErrors(error: z.ZodError): FieldError[] {
  const errors = error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: formatPath([...issue.path, key]), message: 'is not a known field' }));
    }
    return [{ field: formatPath(issue.path), message: issue.message }];
  });
  // The first complaint about a field is the useful one ("must be HH:MM" rather than also "not a date").
  return errors.filter((error, index) => errors.findIndex((other) => other.field === error.field) === index);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(body)';
}

export function enabledDetectors(mode: Mode): AnyDetectorName[] {
  if (mode === 'time_based') return ['time_based'];
  if (mode === 'rolling_average') return ['rolling_average'];
  if (mode === 'adaptive') return ['order_flow', 'failure_rate'];
  return ['time_based', 'rolling_average'];
}

/** Adaptive mode's scheduled checks run every minute: its verdict can change within minutes on a busy store. */
export const ADAPTIVE_CADENCE_MINUTES = 1;

/**
 * How often a store's scheduled check should run. The fixed modes use check_interval_minutes (it is also
 * their window); adaptive mode needs no window, only a clock fine enough that a busy store hears in minutes.
 */
export function checkCadenceMinutes(settings: Pick<Settings, 'mode' | 'check_interval_minutes'>): number {
  return settings.mode === 'adaptive' ? Math.min(ADAPTIVE_CADENCE_MINUTES, settings.check_interval_minutes) : settings.check_interval_minutes;
}
