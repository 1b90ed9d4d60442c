import { Router, type Request, type Response } from 'express';
import type { FieldError, Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import type { StatusService } from '../services/status-service';
import type { StoreRegistry } from '../services/store-registry';
import type { SettingsRepository } from '../store/settings';
import type { TemplateSet } from '../templates';
import { formToSettingsChange, readForm, type FormValues } from './settings-form';

export interface PageRouteDeps {
  pages: TemplateSet;
  settings: SettingsRepository;
  registry: StoreRegistry;
  status: StatusService;
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MODE_OPTIONS = [
  { value: 'hybrid', label: 'Hybrid: both detectors, one shared cooldown (recommended)' },
  { value: 'time_based', label: 'Time-based: too few paid orders in the check interval' },
  { value: 'rolling_average', label: 'Rolling average: too many of the last orders failed' },
];

/** The form as the admin sees it: current settings, or what they typed when a save was refused. */
function settingsView(settings: Settings, submitted: FormValues | null, errors: FieldError[], saved: boolean) {
  const value = (field: keyof Settings): string => {
    if (submitted && typeof submitted[field] === 'string') return submitted[field] as string;
    const current = settings[field];
    return Array.isArray(current) ? current.join(', ') : String(current);
  };
  const chosen = (field: 'peak_weekdays' | 'failure_statuses'): string[] =>
    submitted ? ((submitted[`${field}[]`] as string[] | undefined) ?? []) : settings[field].map(String);
  const errorOf = Object.fromEntries(errors.map((e) => [e.field, e.message]));
  const failureOptions = [...new Set(['failed', 'cancelled', ...settings.failure_statuses])];
  return {
    saved,
    hasErrors: errors.length > 0,
    errors: errorOf,
    enabled: submitted ? submitted.enabled === '1' : settings.enabled,
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

export function pageRoutes(deps: PageRouteDeps, full: (req: Request) => boolean): Router {
  const router = Router({ mergeParams: true });
  const send = (req: Request, res: Response, status: number, page: string, context: object) => {
    const body = deps.pages.render(page, context);
    res
      .status(status)
      .type('html')
      .send(full(req) ? deps.pages.render('layout', { title: page === 'settings' ? 'Order Monitor settings' : 'Order Monitor status', body }) : body);
  };

  router.get('/settings', async (req, res) => {
    const settings = await deps.settings.get(req.store!.id);
    send(req, res, 200, 'settings', settingsView(settings!, null, [], false));
  });

  router.post('/settings', async (req, res) => {
    const form = readForm(req.rawBody ?? '');
    const { change, errors } = formToSettingsChange(form);
    const actor = req.get('X-Woom-Actor')?.trim() || `page:${req.store!.id}`;
    const current = (await deps.settings.get(req.store!.id))!;
    if (errors.length > 0) return send(req, res, 400, 'settings', settingsView(current, form, errors, false));
    const result = await deps.registry.updateSettings(req.store!.id, change, actor);
    if (!result?.ok) return send(req, res, 400, 'settings', settingsView(current, form, result?.errors ?? [], false));
    send(req, res, 200, 'settings', settingsView(result.settings, null, [], true));
  });

  router.get('/status', async (req, res) => {
    const settings = (await deps.settings.get(req.store!.id))!;
    const status = await deps.status.status(req.store!, settings);
    const local = (iso: string | null | undefined) => (iso ? formatLocal(new Date(iso), settings.timezone) : 'never');
    send(req, res, 200, 'status', {
      ...status,
      detectorList: Object.entries(status.detectors).map(([name, d]) => ({ name: name === 'time_based' ? 'Time-based' : 'Rolling average (RAD)', ...d })),
      lastOrderAt: local(status.last_order?.created_at),
      lastCheckAt: local(status.last_check?.ran_at),
      lastContactAt: local(status.last_contact_at),
      openAlertAt: local(status.open_alert?.opened_at),
    });
  });
  return router;
}
