import { Router, type Request, type Response } from 'express';
import { cadenceSentence } from '../domain/cadence';
import type { FieldError, Settings } from '../domain/settings';
import { DETECTOR_LABELS } from '../domain/detectors';
import { formatLocal, localDate, zonedToUtc } from '../domain/time';
import type { StatusService } from '../services/status-service';
import type { Acknowledgements } from '../services/acknowledgements';
import type { MaintenanceWindows } from '../services/maintenance-windows';
import type { StoreRegistry } from '../services/store-registry';
import { ThresholdSuggestions } from '../services/threshold-suggestions';
import type { SettingsRepository } from '../store/settings';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR, type TemplateSet } from '../templates';
import { stringify } from 'csv-stringify';
import { describeRule, rulesSchema, type Rule } from '../domain/rules';
import { PREVIEW_DAYS, type RulePreview } from '../services/rule-preview';
import type { StoreRecord } from '../store/stores';
import type { ReportRepository } from '../store/reports';
import { sendInvalid } from './errors';
import { neutraliseCell } from './csv-cell';
import { devCsrfField, FORM_FIELDS_MARKER } from './dev-csrf';
import { parsePeriod } from './period';
import { hourlyChart } from './status-chart';
import { shiftDay } from '../domain/daily-figures';
import type { DailyFiguresRepository } from '../store/daily-figures';
import { recentDaysView, STATUS_PAGE_DAYS } from './daily-figures-view';
import { parseDays, sendDailyFiguresCsv } from './figures-routes';
import { probeSection } from './probe-view';
import type { ProbeRepository } from '../store/probes';
import { formToSettingsChange, readForm, type FormValues } from './settings-form';
import { formatSiteDate, isSiteDateFormat } from './site-date';

export interface PageRouteDeps {
  pages: TemplateSet;
  /** How often custom rules would have fired in the last 28 days (services/rule-preview). */
  rulePreview: RulePreview;
  acknowledgements: Acknowledgements;
  maintenanceService: MaintenanceWindows;
  settings: SettingsRepository;
  registry: StoreRegistry;
  status: StatusService;
  reports: ReportRepository;
  /** The rolled-up days the status page shows and its CSV download serves. */
  dailyFigures: DailyFiguresRepository;
  /** The store probe's results (README: "Store probe"). */
  probes?: ProbeRepository;
}

interface StatusFormOutcome {
  notice?: string;
  error?: string;
  /** Field errors of the maintenance form, by field. */
  errors?: Record<string, string>;
  /** What the admin typed, kept when it was refused. */
  minutes?: string;
  planned?: { starts_at: string; ends_at: string; reason: string };
}

/** The checks by the names an owner reads on the pages (the e-mails and the API keep theirs). */
const DETECTOR_NAMES: Record<string, string> = {
  time_based: 'Too few paid orders (time-based)',
  rolling_average: 'Too many failed orders (rolling average)',
  order_flow: 'Orders stopped (adaptive)',
  failure_rate: 'Too many failed orders (adaptive)',
  reporting: 'WordPress check-in',
  health: 'Shop health',
  probe: 'Shop pages',
};
const problemLabel = (detector: string) => detector.split(',').map((d) => DETECTOR_NAMES[d] ?? DETECTOR_LABELS[d as keyof typeof DETECTOR_LABELS] ?? d).join(' + ');
const STATE_LABELS: Record<string, string> = { ok: 'fine', alerting: 'problem', learning: 'learning', off: 'off' };
const TONE_LABELS: Record<string, string> = { green: 'All good', amber: 'Warning', red: 'Needs action now', blue: 'Information', grey: 'Not watching' };
const SEVERITY_LABELS: Record<string, string> = { critical: 'Critical', warning: 'Warning' };
const MODE_LABELS: Record<string, string> = { adaptive: 'adaptive', hybrid: 'hybrid', time_based: 'time-based', rolling_average: 'rolling average' };
const firstSummary = (findings: unknown[]) => ((findings as Array<{ summary?: unknown }>)[0]?.summary as string | undefined) ?? null;

/**
 * Links inside a fragment. The sidecar's own path works when the page is opened directly; a host that
 * embeds the fragment (the WordPress bridge) sends X-Woom-Page-Url, a URL to which the page path is
 * appended URL-encoded, so links lead back through the host and stay signed.
 */
function linkTo(req: Request): (page: string) => string {
  const host = req.get('X-Woom-Page-Url');
  if (host) return (page) => `${host}${encodeURIComponent(page)}`;
  return (page) => `${req.baseUrl}/${page}`;
}

/**
 * A GET form replaces its action's query string with its own fields, so the host's query (its action
 * name, its nonce, and the last parameter that carries the page) travels as hidden fields instead.
 */
function formTo(req: Request, page: string): { action: string; hidden: Array<{ name: string; value: string }> } {
  const host = req.get('X-Woom-Page-Url');
  if (!host) return { action: `${req.baseUrl}/${page}`, hidden: [] };
  const url = new URL(host, 'http://host.invalid');
  const hidden = [...url.searchParams].map(([name, value]) => ({ name, value }));
  if (hidden.length > 0) hidden[hidden.length - 1]!.value = page;
  return { action: host.split('?')[0]!, hidden };
}

/** Each recipient's latest delivery across an alert's notifications. */
function latestDeliveries(notifications: Array<{ deliveries: Array<{ recipient: string; status: string; attempted_at: string }> }>) {
  const latest = new Map<string, { recipient: string; status: string; attempted_at: string }>();
  for (const n of notifications) for (const d of n.deliveries) latest.set(d.recipient, d);
  return [...latest.values()];
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MODE_OPTIONS = [
  { value: 'adaptive', label: "Adaptive: learns this store's usual orders and failures (recommended)" },
  { value: 'hybrid', label: 'Hybrid: both fixed-threshold detectors, one shared cooldown' },
  { value: 'time_based', label: 'Time-based: too few paid orders in the check interval' },
  { value: 'rolling_average', label: 'Rolling average: too many of the last orders failed' },
];

/** How the save notice at the top names a field in error; it links to the field itself. */
const FIELD_LABELS: Record<string, string> = {
  enabled: 'Monitoring',
  mode: 'Mode',
  false_alarms_per_month: 'False alarms a month you accept',
  check_interval_minutes: 'Check interval',
  timezone: "Your shop's time zone",
  peak_start: 'Peak hours start',
  peak_end: 'Peak hours end',
  peak_weekdays: 'Peak days',
  threshold_peak: 'Peak threshold',
  threshold_off_peak: 'Off-peak threshold',
  success_statuses: 'Paid statuses',
  failure_statuses: 'Failed statuses',
  rad_window_size: 'Orders to look at',
  rad_failure_threshold_pct: 'Failure share',
  rad_min_orders: 'Minimum orders',
  alert_emails: 'Alert e-mails',
  cooldown_minutes: 'Pause between alerts',
  max_alerts_per_day: 'Alerts per day at most',
  reminder_interval_minutes: 'Remind every',
  quiet_hours_start: 'Quiet hours start',
  quiet_hours_end: 'Quiet hours end',
  escalation_minutes: 'Escalate after',
  escalation_emails: 'Escalation e-mails',
  probe_enabled: "Check the shop's pages",
  probe_interval_minutes: 'Check the pages every',
  probe_failures_to_alert: 'Failures in a row before an alert',
  digest_enabled: 'Daily summary',
  digest_hour: 'Send the summary at',
  digest_weekly: 'Weekly summary on Mondays',
};

/** Which part of the settings a page shows: WordPress splits them over its Settings and Notifications sections. */
export type SettingsPart = 'all' | 'detection' | 'notifications';

const OTHER_MODE_FIELDS: Record<string, string[]> = {
  adaptive: ['false_alarms_per_month'],
  timeBased: ['peak_start', 'peak_end', 'peak_weekdays', 'threshold_peak', 'threshold_off_peak'],
  rolling: ['rad_window_size', 'rad_failure_threshold_pct', 'rad_min_orders'],
};

const TIMEZONES = Intl.supportedValuesOf('timeZone');

/** The form as the admin sees it: current settings, or what they typed when a save was refused. */
function settingsView(settings: Settings, submitted: FormValues | null, errors: FieldError[], saved: boolean, part: SettingsPart = 'all', siteTimezone: string | null = null) {
  const value = (field: keyof Settings): string => {
    if (submitted && typeof submitted[field] === 'string') return submitted[field] as string;
    const current = settings[field];
    return Array.isArray(current) ? current.join(', ') : current === null ? '' : String(current);
  };
  const chosen = (field: 'peak_weekdays' | 'failure_statuses'): string[] =>
    submitted ? ((submitted[`${field}[]`] as string[] | undefined) ?? []) : settings[field].map(String);
  // A list's error ("escalation_emails[1]") is shown beside the list's one field.
  const errorOf = Object.fromEntries(errors.map((e) => [e.field.replace(/\[\d+\]$/, ''), e.message]));
  const failureOptions = [...new Set(['failed', 'cancelled', ...settings.failure_statuses])];
  const mode = value('mode');
  const modeShows = {
    adaptive: mode === 'adaptive',
    timeBased: mode === 'time_based' || mode === 'hybrid',
    rolling: mode === 'rolling_average' || mode === 'hybrid',
  };
  const zone = value('timezone');
  const zones = [...new Set([...(siteTimezone && TIMEZONES.includes(siteTimezone) ? [siteTimezone] : []), ...(TIMEZONES.includes(zone) ? [] : [zone]), 'UTC', ...TIMEZONES])];
  return {
    saved,
    part: part === 'all' ? '' : part,
    parts: { detection: part !== 'notifications', notifications: part !== 'detection' },
    modeShows,
    otherModeError: Object.entries(OTHER_MODE_FIELDS).some(([m, fields]) => !modeShows[m as keyof typeof modeShows] && fields.some((f) => f in errorOf)),
    siteTimezone,
    timezones: zones.map((z) => ({ value: z, label: z === siteTimezone ? `${z} (WordPress's setting)` : z, selected: z === zone })),
    errorList: Object.entries(errorOf).map(([field, message]) => ({ field, label: FIELD_LABELS[field] ?? field, message })),
    hasErrors: errors.length > 0,
    errors: errorOf,
    enabled: submitted ? submitted.enabled === '1' : settings.enabled,
    probeEnabled: submitted && typeof submitted.probe_enabled === 'string' ? submitted.probe_enabled === '1' : settings.probe_enabled,
    digestEnabled: submitted && typeof submitted.digest_enabled === 'string' ? submitted.digest_enabled === '1' : settings.digest_enabled,
    digestWeekly: submitted && typeof submitted.digest_weekly === 'string' ? submitted.digest_weekly === '1' : settings.digest_weekly,
    fields: Object.fromEntries(
      (Object.keys(settings) as Array<keyof Settings>).map((field) => [field, value(field)]),
    ),
    modes: MODE_OPTIONS.map((m) => ({ ...m, selected: value('mode') === m.value })),
    weekdays: WEEKDAYS.map((label, i) => ({ value: String(i + 1), label, checked: chosen('peak_weekdays').includes(String(i + 1)) })),
    failureStatuses: failureOptions.map((status) => ({
      value: status,
      label: status === 'cancelled' ? 'cancelled (optional: often an admin action or an unpaid order timing out)' : status,
      checked: chosen('failure_statuses').includes(status),
    })),
  };
}

/** `?part=` on a GET, the hidden `part` field on a POST. */
function settingsPart(req: Request, submitted: FormValues | null): SettingsPart {
  const asked = submitted?.part ?? (req.method === 'POST' ? readForm(req.rawBody ?? '').part : req.query.part);
  return asked === 'detection' || asked === 'notifications' ? asked : 'all';
}

/**
 * How a page writes a moment: in the site's own date and time format when WordPress sends it
 * (X-Woom-Date-Format), else as "2026-12-02 14:05 CET"; always in the store's time zone.
 */
function dateWriter(req: Request, timezone: string): (instant: Date) => string {
  const format = req.get('X-Woom-Date-Format');
  if (format && isSiteDateFormat(format)) return (instant) => formatSiteDate(instant, timezone, format);
  return (instant) => formatLocal(instant, timezone);
}

/** WordPress's own time zone setting, sent by the bridge, offered first in the time zone list. */
function siteTimezone(req: Request): string | null {
  const zone = req.get('X-Woom-Site-Timezone')?.trim();
  return zone && TIMEZONES.includes(zone) ? zone : null;
}

const PAGE_TITLES: Record<string, string> = { settings: 'Order Monitor settings', status: 'Order Monitor status', alerts: 'Order Monitor alerts' };

/**
 * The pages' own look, the stylesheet the WordPress plugin enqueues: one file, so a page opened directly
 * and the same fragment inside wp-admin look alike.
 */
let stylesheet: string | null = null;
function woomStyles(): string {
  stylesheet ??= readFileSync(join(TEMPLATES_DIR, '..', 'wp-bridge', 'assets', 'woom-admin.css'), 'utf8');
  return stylesheet;
}

/**
 * The custom rules' section of the settings page: the rules as JSON (as typed, after a refused post or a
 * preview), each rule in words, and how often each would have fired in the last 28 days.
 */
async function rulesSection(preview: RulePreview, store: StoreRecord, settings: Settings, submitted: FormValues | null, errors: FieldError[]) {
  const typed = submitted && typeof submitted.rules_json === 'string' ? submitted.rules_json : null;
  let rules: Rule[] = settings.rules;
  if (typed !== null) {
    const parsed = (() => {
      try {
        return rulesSchema.safeParse(typed.trim() === '' ? [] : JSON.parse(typed));
      } catch {
        return null;
      }
    })();
    rules = parsed?.success ? parsed.data : [];
  }
  const firings = rules.length > 0 && !errors.some((e) => e.field.startsWith('rules')) ? await preview.firings(store, settings, rules).catch(() => []) : [];
  return {
    json: typed ?? (settings.rules.length > 0 ? JSON.stringify(settings.rules, null, 2) : ''),
    errors: errors.filter((e) => e.field.startsWith('rules')),
    days: PREVIEW_DAYS,
    rules: rules.map((rule) => {
      const tally = firings.find((f) => f.name === rule.name);
      return {
        name: rule.name,
        words: describeRule(rule),
        severity: rule.severity,
        enabled: rule.enabled,
        firings: tally ? tally.firings : null,
      };
    }),
  };
}

export interface SettingsForm {
  /** The settings form (the 'settings' page fragment): current settings, or what was typed beside its errors. */
  render(store: StoreRecord, settings: Settings, submitted: FormValues | null, errors: FieldError[], saved: boolean, opts: { part: SettingsPart; siteTimezone: string | null }): Promise<string>;
  /** A posted settings form: checked, previewed or saved through the registry; the page to answer with. */
  post(store: StoreRecord, form: FormValues, actor: string, opts: { siteTimezone: string | null }): Promise<{ status: number; html: string; saved: boolean }>;
}

/**
 * The settings form and its save, for every screen that edits settings: the store's pages (the WordPress
 * tab) and the operator console's store page. One reading of the form, one validation (the settings
 * schema through the registry), one writer with its history row.
 */
export function settingsForm(deps: Pick<PageRouteDeps, 'pages' | 'reports' | 'registry' | 'rulePreview' | 'settings'>): SettingsForm {
  const suggestions = new ThresholdSuggestions(deps.reports);
  const render: SettingsForm['render'] = async (store, settings, submitted, errors, saved, opts) => {
    const view = settingsView(settings, submitted, errors, saved, opts.part, opts.siteTimezone);
    return deps.pages.render('settings', {
      ...view,
      suggestion: opts.part === 'notifications' ? null : await suggestions.for(store.id, settings),
      cadence: cadenceSentence(await deps.registry.cadenceMinutes(store.id, settings), settings.mode),
      rulesSection: opts.part === 'notifications' ? null : await rulesSection(deps.rulePreview, store, settings, submitted, errors),
    });
  };
  const post: SettingsForm['post'] = async (store, form, actor, opts) => {
    const part: SettingsPart = form.part === 'detection' || form.part === 'notifications' ? form.part : 'all';
    const answer = async (status: number, settings: Settings, typed: FormValues | null, errors: FieldError[], saved: boolean) => ({
      status,
      saved,
      html: await render(store, settings, typed, errors, saved, { part, siteTimezone: opts.siteTimezone }),
    });
    const { change, errors } = formToSettingsChange(form);
    const current = (await deps.settings.get(store.id))!;
    // A refused "apply suggestion" keeps nothing the admin typed: it posted no form of theirs.
    const typed = form.apply_suggestion === '1' ? null : form;
    if (errors.length > 0) return answer(400, current, typed, errors, false);
    // "Preview" shows how often the typed rules would have fired; nothing is saved.
    if (form.preview_rules === '1') {
      const preview = await deps.rulePreview.preview(store, current, change.rules ?? current.rules);
      if (!preview.ok) return answer(400, current, typed, preview.errors, false);
      return answer(200, current, typed, [], false);
    }
    const result = await deps.registry.updateSettings(store.id, change, actor);
    if (!result?.ok) return answer(400, current, typed, result?.errors ?? [], false);
    return answer(200, result.settings, null, [], true);
  };
  return { render, post };
}

export function pageRoutes(deps: PageRouteDeps, full: (req: Request) => boolean, form: SettingsForm = settingsForm(deps)): Router {
  const router = Router({ mergeParams: true });
  /** Renders `page` with `context`, or sends `context` as the page when it is already rendered. */
  const send = (req: Request, res: Response, status: number, page: string, context: object | string) => {
    const rendered = typeof context === 'string' ? context : deps.pages.render(page, context);
    // Opened directly (development), the sidecar is the page's host and fills its forms' hidden fields.
    const csrf = typeof res.locals.devCsrf === 'string' ? res.locals.devCsrf : null;
    const body = csrf ? rendered.replaceAll(FORM_FIELDS_MARKER, devCsrfField(csrf)) : rendered;
    res
      .status(status)
      .type('html')
      .send(full(req) ? deps.pages.render('layout', { title: PAGE_TITLES[page] ?? 'Order Monitor', body, styles: woomStyles() }) : body);
  };

  const renderSettings = async (req: Request, res: Response, status: number, settings: Settings, submitted: FormValues | null, errors: FieldError[], saved: boolean) => {
    const html = await form.render(req.store!, settings, submitted, errors, saved, { part: settingsPart(req, submitted), siteTimezone: siteTimezone(req) });
    send(req, res, status, 'settings', html);
  };

  router.get('/settings', async (req, res) => {
    const settings = await deps.settings.get(req.store!.id);
    await renderSettings(req, res, 200, settings!, null, [], false);
  });

  router.post('/settings', async (req, res) => {
    const actor = req.get('X-Woom-Actor')?.trim() || `page:${req.store!.id}`;
    const answer = await form.post(req.store!, readForm(req.rawBody ?? ''), actor, { siteTimezone: siteTimezone(req) });
    send(req, res, answer.status, 'settings', answer.html);
  });

  /** The status page; `outcome` is what a posted form did (a notice, or errors beside its fields). */
  const renderStatus = async (req: Request, res: Response, code: number, outcome: StatusFormOutcome = {}) => {
    const store = req.store!;
    const settings = (await deps.settings.get(store.id))!;
    const now = new Date();
    const today = localDate(now, settings.timezone);
    const [status, counts, failed, days] = await Promise.all([
      deps.status.status(store, settings),
      deps.reports.hourlyCounts(store.id, new Date(now.getTime() - 24 * 3600_000), settings.success_statuses, settings.failure_statuses),
      deps.reports.recentFailedOrders(store.id, settings.failure_statuses, 20),
      deps.dailyFigures.list(store.id, shiftDay(today, -STATUS_PAGE_DAYS), shiftDay(today, -1)),
    ]);
    const probe = deps.probes ? await probeSection(deps.probes, store.id, settings, now) : null;
    const write = dateWriter(req, settings.timezone);
    const local = (iso: string | Date | null | undefined) => (iso ? write(typeof iso === 'string' ? new Date(iso) : iso) : 'never');
    const windowLocal = (w: { starts_at: string; ends_at: string; reason: string | null; id: number; created_by: string }) => ({
      ...w,
      from: local(w.starts_at),
      until: local(w.ends_at),
    });
    const chart = hourlyChart(counts, settings, now);
    const titles = status.health.snapshot?.gateway_titles ?? {};
    const methodTitle = (id: string | null | undefined) => (id ? (titles[id] ?? id) : 'none');
    send(req, res, code, 'status', {
      ...status,
      outcome,
      toneLabel: TONE_LABELS[status.state.tone] ?? status.state.tone,
      oneOrderToday: status.orders_today === 1,
      chartTotals: chart.bars.reduce((t, b) => ({ successful: t.successful + b.successful, failed: t.failed + b.failed }), { successful: 0, failed: 0 }),
      modeLabel: MODE_LABELS[status.monitoring.mode] ?? status.monitoring.mode,
      gatewaysAvailable: (status.health.snapshot?.gateways_available ?? []).map(methodTitle),
      gatewaysEnabled: (status.health.snapshot?.gateways_enabled ?? []).map(methodTitle),
      openAlertList: status.open_alerts.map((a) => ({
        id: a.id,
        at: local(a.opened_at),
        detector: problemLabel(a.detector),
        summary: firstSummary(a.findings),
        severity: a.severity,
        severityLabel: SEVERITY_LABELS[a.severity] ?? a.severity,
        acknowledgedAt: a.acknowledged_at ? local(a.acknowledged_at) : null,
        acknowledgedBy: a.acknowledged_by,
        escalatedAt: a.escalated_at ? local(a.escalated_at) : null,
        told: a.last_notified_at !== null,
      })),
      maintenanceNow: status.maintenance.current ? windowLocal(status.maintenance.current) : null,
      maintenanceNext: status.maintenance.upcoming.map(windowLocal),
      maintenanceMinutes: outcome.minutes ?? '60',
      detectorList: Object.entries(status.detectors).map(([name, d]) => ({ name: DETECTOR_NAMES[name] ?? name, ...d, stateLabel: STATE_LABELS[d.state] ?? d.state })),
      lastOrderAt: local(status.last_order?.created_at),
      lastCheckAt: local(status.last_check?.ran_at),
      lastCheckResults: ((status.last_check?.results ?? []) as Array<{ detector: string; summary: string }>).map((r) => ({
        name: DETECTOR_NAMES[r.detector] ?? r.detector,
        summary: r.summary,
      })),
      lastContactAt: local(status.last_contact_at),
      restLastSuccessAt: local(status.rest_recovery.last_success_at),
      healthAt: local(status.health.at),
      restSyncedUntil: local(status.rest_recovery.synced_until),
      chart,
      probe,
      dailyFigures: { days: recentDaysView(days, today), count: STATUS_PAGE_DAYS, csv: linkTo(req)('export/daily-figures.csv') },
      failedOrders: failed.map((o) => ({
        ...o,
        at: local(o.createdAt),
        total: o.total === null ? '' : `${o.total.toFixed(2)}${o.currency ? ` ${o.currency}` : ''}`,
        paymentMethod: methodTitle(o.paymentMethod),
        url: `${store.url}/wp-admin/post.php?post=${o.orderId}&action=edit`,
      })),
    });
  };

  /** The alert history and the exports: WordPress's "Alerts" section. */
  const renderAlerts = async (req: Request, res: Response) => {
    const store = req.store!;
    const settings = (await deps.settings.get(store.id))!;
    const now = new Date();
    const alerts = await deps.status.alertHistory(store.id, 50);
    const write = dateWriter(req, settings.timezone);
    const local = (iso: string | null | undefined) => (iso ? write(new Date(iso)) : 'never');
    const link = linkTo(req);
    send(req, res, 200, 'alerts', {
      store: { timezone: settings.timezone },
      alerts: alerts.map((a) => ({
        at: local(a.opened_at),
        detector: problemLabel(a.detector),
        severity: a.severity,
        numbers: (a.findings as Array<{ summary?: string }>).map((f) => f.summary ?? '').filter(Boolean),
        deliveries: latestDeliveries(a.notifications),
        resolvedAt: a.resolved_at ? local(a.resolved_at) : a.state === 'open' ? 'still open' : '',
      })),
      exports: {
        alerts: link('export/alerts.csv'),
        eventsForm: formTo(req, 'export/events.csv'),
        from: localDate(new Date(now.getTime() - 7 * 86_400_000), settings.timezone),
        to: localDate(now, settings.timezone),
      },
    });
  };

  router.get('/status', async (req, res) => renderStatus(req, res, 200));
  router.get('/alerts', renderAlerts);

  // The status page's buttons: acknowledge an alert, start or end maintenance. Like the settings form, a
  // host posts the form body as it came; `op` says which button it was.
  router.post('/status', async (req, res) => {
    const form = readForm(req.rawBody ?? '');
    const actor = req.get('X-Woom-Actor')?.trim() || `page:${req.store!.id}`;
    const storeId = req.store!.id;
    const op = typeof form.op === 'string' ? form.op : '';
    if (op === 'acknowledge') {
      const alertId = Number(form.alert_id);
      const done = Number.isSafeInteger(alertId) ? await deps.acknowledgements.byStore(storeId, alertId, actor) : { result: 'not_found' as const };
      if (done.result === 'not_found') return renderStatus(req, res, 404, { error: 'That alert does not exist for this store.' });
      const notice =
        done.result === 'acknowledged'
          ? 'Alert acknowledged: no more reminders or escalation for it; the resolved notice still goes out.'
          : done.result === 'resolved'
            ? 'That alert is already resolved.'
            : `That alert was already acknowledged by ${done.alert.acknowledgedBy ?? 'someone'}.`;
      return renderStatus(req, res, 200, { notice });
    }
    if (op === 'maintenance_start') {
      const minutes = typeof form.minutes === 'string' ? form.minutes.trim() : '';
      const reason = typeof form.reason === 'string' ? form.reason : '';
      const body = { minutes: minutes === '' ? undefined : Number(minutes), ...(reason.trim() ? { reason } : {}) };
      const started = Number.isNaN(body.minutes)
        ? { ok: false as const, errors: [{ field: 'minutes', message: 'must be a number' }] }
        : await deps.maintenanceService.start(storeId, body, actor);
      if (!started.ok) return renderStatus(req, res, 400, { errors: Object.fromEntries(started.errors.map((e) => [e.field, e.message])), minutes });
      return renderStatus(req, res, 200, { notice: 'Maintenance started: alerts are recorded but nothing is sent until it ends.' });
    }
    if (op === 'maintenance_plan') {
      // datetime-local fields: wall-clock times in the store's own zone, as the page shows every time.
      const { timezone } = (await deps.settings.get(storeId))!;
      const typed = {
        starts_at: typeof form.starts_at === 'string' ? form.starts_at.trim() : '',
        ends_at: typeof form.ends_at === 'string' ? form.ends_at.trim() : '',
        reason: typeof form.reason === 'string' ? form.reason : '',
      };
      const errors: Record<string, string> = {};
      const instant = (field: 'starts_at' | 'ends_at') => {
        if (typed[field] === '') errors[field] = 'is required: a date and time in the store\'s time zone';
        else if (!zonedToUtc(typed[field], timezone)) errors[field] = 'must be a date and time, e.g. 2026-12-01T22:00';
        return zonedToUtc(typed[field], timezone)?.toISOString();
      };
      const body = { starts_at: instant('starts_at'), ends_at: instant('ends_at'), ...(typed.reason.trim() ? { reason: typed.reason } : {}) };
      const planned = Object.keys(errors).length ? null : await deps.maintenanceService.start(storeId, body, actor);
      if (!planned?.ok) {
        for (const e of planned?.errors ?? []) errors[e.field] = e.message;
        return renderStatus(req, res, 400, { errors: Object.fromEntries(Object.entries(errors).map(([f, m]) => [`plan_${f}`, m])), planned: typed });
      }
      return renderStatus(req, res, 200, { notice: `Maintenance planned from ${formatLocal(planned.window.startsAt, timezone)} to ${formatLocal(planned.window.endsAt, timezone)}.` });
    }
    if (op === 'maintenance_end') {
      const ended = await deps.maintenanceService.end(storeId, Number(form.window_id), actor);
      if (!ended) return renderStatus(req, res, 404, { error: 'That maintenance window is already over.' });
      return renderStatus(req, res, 200, { notice: 'Maintenance ended: alerts are sent again from the next check.' });
    }
    renderStatus(req, res, 400, { error: 'Unknown action.' });
  });

  router.get('/export/alerts.csv', async (req, res) => {
    const settings = (await deps.settings.get(req.store!.id))!;
    const alerts = await deps.status.alertHistory(req.store!.id, 10_000);
    res.type('text/csv').attachment(`woom-alerts-${req.store!.id}.csv`);
    const csv = stringify({
      header: true,
      columns: ['alert_id', 'opened_at', 'opened_at_local', 'detector', 'severity', 'state', 'resolved_at', 'numbers', 'deliveries'],
    });
    csv.pipe(res);
    for (const a of alerts) {
      csv.write([
        a.id,
        a.opened_at,
        formatLocal(new Date(a.opened_at), settings.timezone),
        a.detector,
        a.severity,
        a.state,
        a.resolved_at ?? '',
        (a.findings as Array<{ summary?: string }>).map((f) => f.summary ?? '').join(' | '),
        latestDeliveries(a.notifications)
          .map((d) => `${d.recipient}: ${d.status}`)
          .join('; '),
      ].map(neutraliseCell));
    }
    csv.end();
  });

  // The status page's download: what GET /v1/stores/:id/daily-figures.csv serves, through the host's page.
  router.get('/export/daily-figures.csv', async (req, res) => {
    const { timezone } = (await deps.settings.get(req.store!.id))!;
    const period = parseDays(req.query, timezone);
    if (!period.ok) return sendInvalid(res, period.errors);
    sendDailyFiguresCsv(res, req.store!.id, period, await deps.dailyFigures.list(req.store!.id, period.from, period.to));
  });

  router.get('/export/events.csv', async (req, res) => {
    const settings = (await deps.settings.get(req.store!.id))!;
    const period = parsePeriod(req.query as { from?: unknown; to?: unknown }, settings.timezone);
    if (!period.ok) return sendInvalid(res, period.errors);
    res.type('text/csv').attachment(`woom-events-${req.store!.id}-${String(req.query.from)}-${String(req.query.to)}.csv`);
    const csv = stringify({
      header: true,
      columns: ['id', 'type', 'order_id', 'from', 'to', 'total', 'currency', 'payment_method', 'created_via', 'created_at', 'occurred_at', 'received_at', 'origin'],
    });
    csv.pipe(res);
    const iso = (d: Date | null) => (d ? d.toISOString() : '');
    for await (const e of deps.reports.streamEvents(req.store!.id, period.from, period.to)) {
      const more = csv.write([e.id, e.type, e.order_id ?? '', e.from_status ?? '', e.to_status ?? '', e.total ?? '', e.currency ?? '', e.payment_method ?? '', e.created_via ?? '', iso(e.order_created_at), iso(e.occurred_at), iso(e.received_at), e.origin].map(neutraliseCell));
      if (!more) await once(csv, 'drain');
    }
    csv.end();
  });
  return router;
}
