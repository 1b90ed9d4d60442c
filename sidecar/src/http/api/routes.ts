import { z } from 'zod';
import { maintenanceRequestSchema } from '../../domain/maintenance';
import type { FieldError } from '../../domain/settings';
import { localDate } from '../../domain/time';
import type { Acknowledgements } from '../../services/acknowledgements';
import { windowView, type MaintenanceWindows } from '../../services/maintenance-windows';
import { sortProblemsFirst, type OverviewService } from '../../services/overview';
import { alertView, type StatusService } from '../../services/status-service';
import { RegistrationError, type StoreRegistry } from '../../services/store-registry';
import { TEST_NOTIFICATIONS_PER_MINUTE, type TestNotificationService } from '../../services/test-notification';
import type { AlertRecord, AlertRepository } from '../../store/alerts';
import type { ChannelRepository } from '../../store/channels';
import type { DailyFiguresRepository } from '../../store/daily-figures';
import type { OrderRepository } from '../../store/orders';
import type { ReportRepository } from '../../store/reports';
import type { SettingsRepository } from '../../store/settings';
import type { StoreRepository } from '../../store/stores';
import { dailyFiguresJson, parseDays } from '../figures-routes';
import { addChannel, channelSchema, channelUpdateSchema, channelView, emptyChannelUpdate, runManualCheck, type StoreRouteDeps } from '../store-routes';
import { fail, invalid, ok, onlyStore, type ApiRoute } from './define';
import * as s from './schemas';

export interface ApiRouteDeps extends Pick<StoreRouteDeps, 'recovery' | 'reporting' | 'checks' | 'metrics' | 'log' | 'outbound' | 'salesFeed'> {
  stores: StoreRepository;
  registry: StoreRegistry;
  settings: SettingsRepository;
  status: StatusService;
  overview: OverviewService;
  alerts: AlertRepository;
  acknowledgements: Acknowledgements;
  maintenanceService: MaintenanceWindows;
  channels: ChannelRepository;
  testNotifications: TestNotificationService;
  reports: ReportRepository;
  orders: OrderRepository;
  dailyFigures: DailyFiguresRepository;
}

const errors = { 400: 'Invalid request: `fields` names each wrong field', 401: 'No or unknown token', 403: 'Not allowed for this token or operator', 404: 'Not found' };
const withErrors = (responses: ApiRoute['responses']): ApiRoute['responses'] => ({
  ...responses,
  ...Object.fromEntries(Object.entries(errors).map(([code, description]) => [code, { description, schema: s.errorSchema }])),
});

/** The alert as the API shows it: its first finding in words, who resolved it by hand and why. */
export function apiAlert(alert: AlertRecord) {
  const view = alertView(alert);
  const first = (alert.details.findings as Array<{ summary?: unknown }> | undefined)?.[0];
  return {
    id: view.id,
    store_id: alert.storeId,
    detector: view.detector,
    severity: view.severity,
    state: view.state,
    opened_at: view.opened_at,
    resolved_at: view.resolved_at,
    resolved_by: alert.resolvedBy ?? null,
    resolution_note: alert.resolutionNote ?? null,
    last_notified_at: view.last_notified_at,
    acknowledged_at: view.acknowledged_at,
    acknowledged_by: view.acknowledged_by,
    escalated_at: view.escalated_at,
    summary: typeof first?.summary === 'string' ? first.summary : null,
    findings: view.findings,
  };
}

/** RegistrationError's sentence names the command-line option; the API names the field. */
function registrationField(message: string): FieldError {
  const field = /time zone/i.test(message) ? 'timezone' : /--url/.test(message) ? 'url' : 'name';
  return { field, message: message.replace(/^--\w+ /, '') };
}

/** Every route of /api/v1 (docs/api-v1.md). */
export function apiRoutes(deps: ApiRouteDeps): ApiRoute[] {
  const alertStore = async (params: Record<string, string>) => (await deps.alerts.find(Number(params.alertId)))?.storeId ?? null;
  const settingsOf = async (storeId: string) => (await deps.settings.get(storeId))!;

  return [
    {
      method: 'get',
      path: '/stores',
      tag: 'Stores',
      summary: 'Every store with its state, a page at a time (a store-scoped token sees its own store)',
      query: s.listStoresQuery,
      responses: withErrors({ 200: { description: 'A page of stores', schema: z.object({ stores: z.array(s.storeRowSchema), next_cursor: z.string().nullable() }) } }),
      handler: async ({ query, caller }) => {
        const q = query as z.infer<typeof s.listStoresQuery>;
        const only = onlyStore(caller);
        const stores = await deps.stores.page(q.limit, q.cursor, only ? [only] : undefined);
        const rows = await deps.overview.rows(stores);
        return ok({ stores: rows, next_cursor: stores.length === q.limit ? stores[stores.length - 1]!.id : null });
      },
    },
    {
      method: 'post',
      path: '/stores',
      tag: 'Stores',
      summary: 'Register a store: its id and secret, the secret shown only in this answer',
      admin: true,
      idempotent: true,
      body: s.registerStoreBody,
      responses: withErrors({
        201: { description: 'Registered; paste the id and secret into WooCommerce → Settings → Order Monitor', schema: z.object({ store: s.storeRowSchema, secret: z.string() }) },
      }),
      handler: async ({ body, actor }) => {
        const b = body as z.infer<typeof s.registerStoreBody>;
        try {
          const store = await deps.registry.add({ name: b.name, url: b.url, timezone: b.timezone });
          if (b.probe === false) await deps.registry.updateSettings(store.id, { probe_enabled: false }, actor);
          const [row] = await deps.overview.rows([store]);
          return ok({ store: row, secret: store.secret }, 201);
        } catch (error) {
          if (error instanceof RegistrationError) return invalid([registrationField(error.message)]);
          throw error;
        }
      },
    },
    {
      method: 'get',
      path: '/stores/{storeId}',
      tag: 'Stores',
      summary: "A store's row: state, orders today against the usual, last order, open alert",
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: 'The store', schema: z.object({ store: s.storeRowSchema }) } }),
      handler: async ({ store }) => ok({ store: (await deps.overview.rows([store!]))[0] }),
    },
    {
      method: 'patch',
      path: '/stores/{storeId}',
      tag: 'Stores',
      summary: "Change a store's name, address or time zone",
      params: s.storeIdParams,
      body: s.updateStoreBody,
      responses: withErrors({ 200: { description: 'The store as changed', schema: z.object({ store: s.storeRowSchema }) } }),
      handler: async ({ store, body, actor }) => {
        const b = body as z.infer<typeof s.updateStoreBody>;
        if (b.timezone !== undefined) {
          const result = await deps.registry.updateSettings(store!.id, { timezone: b.timezone }, actor);
          if (result && !result.ok) return invalid(result.errors);
        }
        await deps.stores.updateDetails(store!.id, { name: b.name, url: b.url });
        return ok({ store: (await deps.overview.rows([(await deps.stores.find(store!.id))!]))[0] });
      },
    },
    ...(['pause', 'resume'] as const).map(
      (action): ApiRoute => ({
        method: 'post',
        path: `/stores/{storeId}/${action}`,
        tag: 'Stores',
        summary: action === 'pause' ? 'Pause monitoring: checks stop, no alerts are sent' : 'Resume monitoring',
        params: s.storeIdParams,
        responses: withErrors({ 200: { description: 'The settings now', schema: s.settingsResponseSchema } }),
        handler: async ({ store, actor }) => {
          const result = await deps.registry.updateSettings(store!.id, { enabled: action === 'resume' }, actor);
          if (!result) return fail(404, 'not_found', 'Store not found');
          if (!result.ok) return invalid(result.errors);
          return ok({ settings: result.settings });
        },
      }),
    ),
    {
      method: 'delete',
      path: '/stores/{storeId}',
      tag: 'Stores',
      summary: 'Remove a store with its orders, alerts and schedule',
      admin: true,
      params: s.storeIdParams,
      responses: withErrors({ 204: { description: 'Removed' } }),
      handler: async ({ store }) => {
        await deps.registry.remove(store!.id);
        return { status: 204 };
      },
    },
    {
      method: 'get',
      path: '/stores/{storeId}/settings',
      tag: 'Settings',
      summary: "A store's settings",
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: 'The settings', schema: s.settingsResponseSchema } }),
      handler: async ({ store }) => ok({ settings: await settingsOf(store!.id) }),
    },
    {
      method: 'put',
      path: '/stores/{storeId}/settings',
      tag: 'Settings',
      summary: 'Change settings (only those sent); checked exactly as the WordPress settings page checks them',
      params: s.storeIdParams,
      // The settings' own validation (domain/settings.ts, through the registry) judges the values.
      bodyDoc: s.settingsChangeBody,
      responses: withErrors({ 200: { description: 'The settings now', schema: s.settingsResponseSchema } }),
      handler: async ({ store, body, actor }) => {
        const result = await deps.registry.updateSettings(store!.id, body, actor);
        if (!result) return fail(404, 'not_found', 'Store not found');
        if (!result.ok) return invalid(result.errors);
        return ok({ settings: result.settings });
      },
    },
    {
      method: 'get',
      path: '/stores/{storeId}/status',
      tag: 'Status',
      summary: "A store's full status: state, detectors, last order and check, open alerts, maintenance, health",
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: 'The status', schema: s.statusSchema } }),
      handler: async ({ store }) => ok(await deps.status.status(store!, await settingsOf(store!.id))),
    },
    {
      method: 'get',
      path: '/stores/{storeId}/sales',
      tag: 'Status',
      summary: 'Orders, successful, failed, revenue and average order value per hour (24 h) and per local day (8 days); last order time',
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: 'The sales summary', schema: s.salesSchema } }),
      handler: async ({ store }) => {
        const settings = await settingsOf(store!.id);
        const now = new Date();
        const firstHour = Math.floor(now.getTime() / 3600_000) - 23;
        const since = new Date(now.getTime() - 8 * 86_400_000);
        const [rows, last] = await Promise.all([
          deps.reports.hourlySales([store!.id], since, settings.success_statuses, settings.failure_statuses),
          deps.orders.latest(store!.id),
        ]);
        const figures = (list: typeof rows) => {
          const sum = (k: 'orders' | 'successful' | 'failed' | 'revenue') => list.reduce((n, r) => n + r[k], 0);
          const revenue = Math.round(sum('revenue') * 100) / 100;
          return { orders: sum('orders'), successful: sum('successful'), failed: sum('failed'), revenue, average_order_value: sum('successful') ? Math.round((revenue / sum('successful')) * 100) / 100 : null };
        };
        const hours = Array.from({ length: 24 }, (_, i) => {
          const hour = new Date((firstHour + i) * 3600_000);
          return { hour: hour.toISOString(), ...figures(rows.filter((r) => r.hour.getTime() === hour.getTime())) };
        });
        const dates = [...new Set(Array.from({ length: 8 }, (_, i) => localDate(new Date(now.getTime() - (7 - i) * 86_400_000), settings.timezone)))];
        // Per local day from hourly figures: exact for zones a whole hour from UTC.
        const days = dates.map((date) => ({ date, ...figures(rows.filter((r) => localDate(r.hour, settings.timezone) === date)) }));
        return ok({
          store_id: store!.id,
          timezone: settings.timezone,
          currency: rows.find((r) => r.currency)?.currency ?? null,
          last_order_at: last?.createdAt.toISOString() ?? null,
          hours,
          days,
        });
      },
    },
    {
      method: 'get',
      path: '/stores/{storeId}/daily-figures',
      tag: 'Status',
      summary: 'Daily figures per local day (orders, successful, failed, cancelled, refunded, revenue, average order value, customer, admin and renewal orders), as rolled up when each day ended; the last 30 days by default',
      params: s.storeIdParams,
      query: s.dailyFiguresQuery,
      responses: withErrors({ 200: { description: 'The days, oldest first', schema: s.dailyFiguresSchema } }),
      handler: async ({ store, query }) => {
        const settings = await settingsOf(store!.id);
        const period = parseDays(query, settings.timezone);
        if (!period.ok) return invalid(period.errors);
        const days = await deps.dailyFigures.list(store!.id, period.from, period.to);
        return ok({ store_id: store!.id, timezone: settings.timezone, from: period.from, to: period.to, days: days.map(dailyFiguresJson) });
      },
    },
    {
      method: 'get',
      path: '/alerts',
      tag: 'Alerts',
      summary: 'Alerts across stores, newest first, filtered, a page at a time',
      query: s.listAlertsQuery,
      responses: withErrors({ 200: { description: 'A page of alerts', schema: z.object({ alerts: z.array(s.alertSchema), next_cursor: z.number().int().nullable() }) } }),
      handler: async ({ query, caller }) => {
        const q = query as z.infer<typeof s.listAlertsQuery>;
        const only = onlyStore(caller);
        if (only && q.store && q.store !== only) return fail(403, 'forbidden', 'This token is for another store');
        const store = only ?? q.store;
        const alerts = await deps.alerts.listAcross(
          { storeIds: store ? [store] : undefined, state: q.state, severity: q.severity, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, beforeId: q.cursor },
          q.limit,
        );
        return ok({ alerts: alerts.map(apiAlert), next_cursor: alerts.length === q.limit ? alerts[alerts.length - 1]!.id : null });
      },
    },
    {
      method: 'post',
      path: '/alerts',
      tag: 'Alerts',
      summary: 'Open an alert by hand (recorded and shown; no notice is sent, no check resolves it)',
      idempotent: true,
      body: s.manualAlertBody,
      responses: withErrors({ 201: { description: 'The alert', schema: z.object({ alert: s.alertSchema }) } }),
      handler: async ({ body, caller, actor }) => {
        const b = body as z.infer<typeof s.manualAlertBody>;
        const only = onlyStore(caller);
        if (only && b.store_id !== only) return fail(403, 'forbidden', 'This token is for another store');
        if (!(await deps.stores.find(b.store_id))) return invalid([{ field: 'store_id', message: `is not a registered store (${b.store_id})` }]);
        const id = await deps.alerts.openManual({ storeId: b.store_id, severity: b.severity, summary: b.message, by: actor, at: new Date() });
        return ok({ alert: apiAlert((await deps.alerts.find(id))!) }, 201);
      },
    },
    {
      method: 'get',
      path: '/alerts/{alertId}',
      tag: 'Alerts',
      summary: 'One alert',
      params: s.alertIdParams,
      storeOf: alertStore,
      responses: withErrors({ 200: { description: 'The alert', schema: z.object({ alert: s.alertSchema }) } }),
      handler: async ({ params }) => ok({ alert: apiAlert((await deps.alerts.find(Number(params.alertId)))!) }),
    },
    {
      method: 'post',
      path: '/alerts/{alertId}/acknowledge',
      tag: 'Alerts',
      summary: 'Acknowledge: reminders and escalation stop; the resolved notice still goes out',
      params: s.alertIdParams,
      storeOf: alertStore,
      responses: withErrors({ 200: { description: 'The alert, and whether this request acknowledged it', schema: z.object({ result: z.enum(['acknowledged', 'already_acknowledged', 'resolved']), alert: s.alertSchema }) } }),
      handler: async ({ params, actor }) => {
        const alert = (await deps.alerts.find(Number(params.alertId)))!;
        const done = await deps.acknowledgements.byStore(alert.storeId, alert.id, actor);
        if (done.result === 'not_found') return fail(404, 'not_found', 'No such alert');
        return ok({ result: done.result, alert: apiAlert(done.alert) });
      },
    },
    {
      method: 'post',
      path: '/alerts/{alertId}/resolve',
      tag: 'Alerts',
      summary: 'Resolve by hand with a note (no resolved notice is sent; a problem still there opens a new alert at the next check)',
      params: s.alertIdParams,
      storeOf: alertStore,
      body: s.resolveBody,
      responses: withErrors({
        200: { description: 'Resolved', schema: z.object({ alert: s.alertSchema }) },
        409: { description: 'Already resolved', schema: s.errorSchema },
      }),
      handler: async ({ params, body, actor }) => {
        const id = Number(params.alertId);
        if (!(await deps.alerts.resolveByHand(id, actor, (body as z.infer<typeof s.resolveBody>).note, new Date()))) {
          return fail(409, 'already_resolved', 'This alert is already resolved; nothing was changed');
        }
        return ok({ alert: apiAlert((await deps.alerts.find(id))!) });
      },
    },
    {
      method: 'get',
      path: '/stores/{storeId}/maintenance',
      tag: 'Maintenance',
      summary: 'The maintenance window in force and those planned',
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: 'Windows, soonest first', schema: z.object({ windows: z.array(s.windowSchema) }) } }),
      handler: async ({ store }) => {
        const now = new Date();
        return ok({ windows: (await deps.maintenanceService.currentAndUpcoming(store!.id, now)).map((w) => windowView(w, now)) });
      },
    },
    {
      method: 'post',
      path: '/stores/{storeId}/maintenance',
      tag: 'Maintenance',
      summary: 'Start maintenance now ({minutes}) or plan it ({starts_at, ends_at}); alerts are recorded, not sent',
      idempotent: true,
      params: s.storeIdParams,
      // Judged by the maintenance rules themselves (domain/maintenance, through the service).
      bodyDoc: maintenanceRequestSchema,
      responses: withErrors({ 201: { description: 'The window', schema: z.object({ window: s.windowSchema }) } }),
      handler: async ({ store, body, actor }) => {
        const started = await deps.maintenanceService.start(store!.id, body, actor);
        if (!started.ok) return invalid(started.errors);
        return ok({ window: windowView(started.window, new Date()) }, 201);
      },
    },
    {
      method: 'delete',
      path: '/stores/{storeId}/maintenance/{windowId}',
      tag: 'Maintenance',
      summary: 'End a window now (or cancel one not begun)',
      params: s.windowIdParams,
      responses: withErrors({ 200: { description: 'The window as ended', schema: z.object({ window: s.windowSchema }) } }),
      handler: async ({ store, params, actor }) => {
        const ended = await deps.maintenanceService.end(store!.id, Number(params.windowId), actor);
        if (!ended) return fail(404, 'not_found', 'No such window still to come for this store');
        return ok({ window: windowView(ended, new Date()) });
      },
    },
    {
      method: 'get',
      path: '/stores/{storeId}/channels',
      tag: 'Channels',
      summary: 'Slack and webhook channels (the URL only as a hint)',
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: 'Channels', schema: z.object({ channels: z.array(s.channelViewSchema) }) } }),
      handler: async ({ store }) => {
        const channels = await deps.channels.list(store!.id);
        return ok({ channels: channels.map(channelView) });
      },
    },
    {
      method: 'post',
      path: '/stores/{storeId}/channels',
      tag: 'Channels',
      summary: "Add a channel; a webhook's signing secret is shown only in this answer",
      idempotent: true,
      params: s.storeIdParams,
      body: channelSchema,
      responses: withErrors({
        201: { description: 'The channel', schema: z.object({ channel: s.channelViewSchema, secret: z.string().optional() }) },
        409: { description: 'The store already has 10 channels' },
      }),
      handler: async ({ store, body }) => {
        const b = body as z.infer<typeof channelSchema>;
        const { type, url, ...feed } = b;
        const added = await addChannel(deps, store!.id, type, url, feed);
        if (!added.ok) return fail(added.status, added.error, added.message, added.fields);
        const { channel } = added;
        if (feed.sales_feed) deps.salesFeed?.forget(store!.id);
        return ok({ channel: channelView(channel), ...(channel.secret ? { secret: channel.secret } : {}) }, 201);
      },
    },
    {
      method: 'patch',
      path: '/stores/{storeId}/channels/{channelId}',
      tag: 'Channels',
      summary: "Turn a channel's sales feed on or off (each successful order posted; above the rate, one message a minute) and set its rate",
      params: s.channelIdParams,
      body: channelUpdateSchema,
      responses: withErrors({ 200: { description: 'The channel', schema: z.object({ channel: s.channelViewSchema }) } }),
      handler: async ({ store, params, body }) => {
        const change = body as z.infer<typeof channelUpdateSchema>;
        if (emptyChannelUpdate(change).length > 0) return invalid(emptyChannelUpdate(change));
        const channel = await deps.channels.updateSalesFeed(store!.id, Number(params.channelId), change);
        if (!channel) return fail(404, 'not_found', 'No such channel for this store');
        deps.salesFeed?.forget(store!.id);
        return ok({ channel: channelView(channel) });
      },
    },
    {
      method: 'delete',
      path: '/stores/{storeId}/channels/{channelId}',
      tag: 'Channels',
      summary: 'Remove a channel',
      params: s.channelIdParams,
      responses: withErrors({ 204: { description: 'Removed' } }),
      handler: async ({ store, params }) => {
        if (!(await deps.channels.remove(store!.id, Number(params.channelId)))) return fail(404, 'not_found', 'No such channel for this store');
        return { status: 204 };
      },
    },
    {
      method: 'post',
      path: '/stores/{storeId}/check',
      tag: 'Actions',
      summary: 'Run a check now (as the WordPress button does)',
      params: s.storeIdParams,
      responses: withErrors({
        200: { description: 'What the check decided', schema: s.checkResultSchema },
        409: { description: 'Not run: WordPress is silent', schema: s.errorSchema },
      }),
      handler: async ({ store }) => {
        const ran = await runManualCheck(deps, store!.id);
        return ran.ok ? ok(ran.result) : fail(ran.status, ran.error, ran.message);
      },
    },
    {
      method: 'post',
      path: '/stores/{storeId}/test-notification',
      tag: 'Actions',
      summary: 'Send a test notification to every e-mail address and channel, through the real send path',
      params: s.storeIdParams,
      responses: withErrors({ 200: { description: "Each target's answer", schema: s.deliveryOutcomeSchema }, 429: { description: 'More than 5 test notifications a minute: wait Retry-After seconds' } }),
      handler: async ({ store }) => {
        // The same limit as the WordPress button's: the notifications table counts them across sidecars.
        const wait = await deps.testNotifications.waitSeconds(store!.id);
        if (wait > 0) return { ...fail(429, 'rate_limited', `At most ${TEST_NOTIFICATIONS_PER_MINUTE} test notifications a minute; try again in ${wait} s`), retryAfter: wait };
        return ok(await deps.testNotifications.send(store!, await settingsOf(store!.id)));
      },
    },
  ];
}
