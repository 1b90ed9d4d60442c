import { z } from 'zod';
import 'zod-openapi';
import { settingsSchema } from '../../domain/settings';

const instant = z.string().meta({ description: 'An instant, ISO 8601 in UTC', example: '2026-12-02T14:05:00.000Z' });
const nullableInstant = instant.nullable();

export const errorSchema = z
  .object({
    error: z.string().meta({ example: 'invalid_request' }),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error', description: 'Every error of /api/v1: a code, a sentence, and the fields that were wrong' });

export const storeStateSchema = z
  .object({
    kind: z.enum(['ok', 'learning', 'warning', 'critical', 'silent', 'probe_failing', 'maintenance', 'paused']),
    tone: z.enum(['green', 'amber', 'red', 'grey', 'blue']),
    sentence: z.string(),
    since: nullableInstant,
  })
  .meta({ id: 'StoreState' });

export const storeRowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    timezone: z.string(),
    state: storeStateSchema,
    orders_today: z.number().int(),
    usual_by_now: z.number().meta({ description: 'Orders by this time of day, averaged over the last 7 days' }),
    last_order_at: nullableInstant,
    last_order_ago: z.string().nullable(),
    hourly_orders: z.array(z.number().int()).meta({ description: 'Orders in each of the last 24 hours, oldest first' }),
    open_alert: z
      .object({
        id: z.number().int(),
        detector: z.string(),
        severity: z.string(),
        opened_at: instant,
        acknowledged_by: z.string().nullable(),
        acknowledged_at: nullableInstant,
      })
      .nullable(),
  })
  .meta({ id: 'StoreRow' });

export const alertSchema = z
  .object({
    id: z.number().int(),
    store_id: z.string(),
    detector: z.string(),
    severity: z.string(),
    state: z.enum(['open', 'resolved']),
    opened_at: instant,
    resolved_at: nullableInstant,
    resolved_by: z.string().nullable(),
    resolution_note: z.string().nullable(),
    last_notified_at: nullableInstant,
    acknowledged_at: nullableInstant,
    acknowledged_by: z.string().nullable(),
    escalated_at: nullableInstant,
    summary: z.string().nullable(),
    findings: z.array(z.unknown()),
  })
  .meta({ id: 'Alert' });

export const settingsResponseSchema = z.object({ settings: settingsSchema }).meta({ id: 'SettingsResponse' });

export const statusSchema = z
  .looseObject({
    state: storeStateSchema,
    orders_today: z.number().int(),
    store: z.object({ id: z.string(), name: z.string(), url: z.string(), timezone: z.string() }),
    monitoring: z.object({ enabled: z.boolean(), mode: z.string() }),
    detectors: z.record(z.string(), z.object({ state: z.string(), summary: z.string().nullable() })),
    open_alerts: z.array(z.looseObject({ id: z.number().int(), detector: z.string(), severity: z.string() })),
    last_contact_at: nullableInstant,
  })
  .meta({ id: 'StoreStatus', description: 'The status the WordPress tab shows (GET /v1/stores/{id}/status of the bridge API)' });

export const windowSchema = z
  .object({
    id: z.number().int(),
    state: z.enum(['upcoming', 'active', 'over', 'cancelled']),
    starts_at: instant,
    ends_at: instant,
    planned_end: instant,
    reason: z.string().nullable(),
    created_by: z.string(),
    created_at: instant,
    ended_at: nullableInstant,
    ended_by: z.string().nullable(),
  })
  .meta({ id: 'MaintenanceWindow' });

export const channelViewSchema = z
  .object({
    id: z.number().int(),
    type: z.enum(['slack', 'webhook']),
    url_hint: z.string(),
    created_at: instant.optional(),
    sales_feed: z.boolean().meta({ description: 'Each successful order is posted to this channel' }),
    sales_feed_batch_above: z.number().int().meta({ description: 'Orders a minute posted one by one; above it, one message a minute' }),
  })
  .meta({ id: 'Channel' });

const salesFigures = {
  orders: z.number().int(),
  successful: z.number().int(),
  failed: z.number().int(),
  revenue: z.number(),
  average_order_value: z.number().nullable(),
};
export const salesSchema = z
  .object({
    store_id: z.string(),
    timezone: z.string(),
    currency: z.string().nullable(),
    last_order_at: nullableInstant,
    hours: z.array(z.object({ hour: instant, ...salesFigures })).meta({ description: 'The last 24 hours, oldest first' }),
    days: z.array(z.object({ date: z.string().meta({ example: '2026-12-02' }), ...salesFigures })).meta({ description: 'The last 7 local days and today' }),
  })
  .meta({ id: 'SalesSummary' });

const localDay = z.string().meta({ example: '2026-12-02' });
export const dailyFiguresQuery = z.object({
  from: localDay.optional().meta({ description: "First local day (YYYY-MM-DD, the store's time zone); default 29 days before `to`" }),
  to: localDay.optional().meta({ description: 'Last local day; default yesterday. At most 400 days after `from`' }),
});
export const dailyFiguresSchema = z
  .object({
    store_id: z.string(),
    timezone: z.string(),
    from: localDay,
    to: localDay,
    days: z
      .array(
        z.object({
          day: localDay,
          ...salesFigures,
          cancelled: z.number().int(),
          refunded: z.number().int(),
          customer_orders: z.number().int().meta({ description: 'Checkouts by customers: neither admin nor subscription renewal orders' }),
          admin_orders: z.number().int(),
          renewal_orders: z.number().int(),
          currency: z.string().nullable(),
        }),
      )
      .meta({ description: 'Each whole local day rolled up, oldest first; a day with no orders has zeros' }),
  })
  .meta({ id: 'DailyFigures' });

export const deliveryOutcomeSchema = z
  .looseObject({ ok: z.boolean(), message: z.string() })
  .meta({ id: 'DeliveryOutcome', description: 'What each target answered, as the WordPress button shows it' });

export const checkResultSchema = z
  .object({
    ran_at: instant,
    detectors: z.record(z.string(), z.unknown()),
    decision: z.string(),
    held_by: z.string().nullable().optional(),
    alert_id: z.number().int().nullable(),
    message: z.string().describe('What the check found, in plain words'),
  })
  .meta({ id: 'CheckResult' });

// Requests.
export const storeIdParams = z.object({ storeId: z.string().max(32).meta({ description: 'The store id, e.g. st_0123456789abcdef' }) });
export const alertIdParams = z.object({ alertId: z.coerce.number().int().positive().meta({ description: 'The alert id' }) });

export const listStoresQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(32).optional().meta({ description: 'next_cursor of the previous page' }),
});

export const registerStoreBody = z
  .object({
    name: z.string().trim().min(1, 'is required').max(200),
    url: z.string().max(500).meta({ example: 'https://shop.example' }),
    timezone: z.string().max(64).meta({ example: 'Europe/Berlin' }),
    probe: z.boolean().optional().meta({ description: 'false when the sidecar cannot reach the store’s own address' }),
  })
  .strict();

export const updateStoreBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. https://shop.example' }).max(500).optional(),
    timezone: z.string().max(64).optional(),
  })
  .strict();

export const listAlertsQuery = z.object({
  store: z.string().max(32).optional(),
  state: z.enum(['open', 'resolved']).optional(),
  severity: z.enum(['warning', 'critical']).optional(),
  from: z.iso.datetime({ message: 'must be an ISO 8601 instant, e.g. 2026-12-01T00:00:00Z' }).optional(),
  to: z.iso.datetime({ message: 'must be an ISO 8601 instant, e.g. 2026-12-02T00:00:00Z' }).optional(),
  cursor: z.coerce.number().int().positive().optional().meta({ description: 'next_cursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const resolveBody = z.object({ note: z.string().trim().min(1, 'is required: say why it is resolved').max(1000) }).strict();

export const manualAlertBody = z
  .object({
    store_id: z.string().max(32),
    severity: z.enum(['warning', 'critical'], { message: 'must be warning or critical' }),
    message: z.string().trim().min(1, 'is required').max(500),
  })
  .strict();

export const channelIdParams = storeIdParams.extend({ channelId: z.coerce.number().int().positive() });
export const windowIdParams = storeIdParams.extend({ windowId: z.coerce.number().int().positive() });
export const settingsChangeBody = z
  .record(z.string(), z.unknown())
  .meta({ id: 'SettingsChange', description: 'Only the settings to change, named and shaped as in SettingsResponse.settings; each is checked as on the WordPress settings page' });
