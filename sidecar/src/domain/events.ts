import { z } from 'zod';
import { impossibleDateTime } from './time';

/** The event contract between the WordPress bridge and the sidecar (README: "POST /v1/events"). */
export const MAX_EVENTS_PER_REQUEST = 500;

/** Date.parse rolls 2017-02-30 over to 2 March and hour 24 to the next day: the calendar check refuses them. */
function onTheCalendar(value: string): boolean {
  const [year, month, day, hour, minute, second] = (value.match(/\d+/g) ?? []).map(Number);
  return impossibleDateTime(year ?? 0, month ?? 0, day ?? 0, hour, minute, second) === null;
}

export const instant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/,
    'must be an ISO 8601 instant with Z or an offset, e.g. 2026-11-23T19:02:11Z',
  )
  .refine((value) => !Number.isNaN(Date.parse(value)) && onTheCalendar(value), 'is not a real date')
  .transform((value) => new Date(value));

// WooCommerce stores statuses as "wc-failed"; its hooks pass "failed". Accept both, keep the hook's form.
const orderStatus = z
  .string()
  .transform((value) => value.replace(/^wc-/, ''))
  .pipe(z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be a WooCommerce status name, e.g. processing'));

const money = z
  .union([z.number().finite(), z.string().regex(/^-?\d{1,12}(\.\d{1,4})?$/, 'must be a decimal such as "49.90"')])
  .transform((value) => Number(value));

const orderFields = {
  id: z.guid('must be a uuid'),
  order_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  to: orderStatus,
  total: money.nullish(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be a 3-letter currency code').nullish(),
  payment_method: z.string().max(100).nullish(),
  created_via: z.string().max(50).nullish(),
  created_at: instant,
  occurred_at: instant,
};

const orderCreated = z.object({ ...orderFields, type: z.literal('order.created'), from: orderStatus.nullish() });
const orderStatusChanged = z.object({ ...orderFields, type: z.literal('order.status_changed'), from: orderStatus });
// A later save that changed what an order is worth or how it is paid, not its status: WooCommerce fires
// woocommerce_new_order on an admin or wc_create_order() order's first, still empty, save.
const orderUpdated = z.object({ ...orderFields, type: z.literal('order.updated'), from: orderStatus.nullish() });
const heartbeat = z.object({
  id: z.guid('must be a uuid'),
  type: z.literal('heartbeat'),
  occurred_at: instant,
  data: z.record(z.string(), z.unknown()).optional(),
});

export const eventSchema = z.discriminatedUnion('type', [orderCreated, orderStatusChanged, orderUpdated, heartbeat], {
  message: 'must be order.created, order.status_changed, order.updated or heartbeat',
});

export const ingestBodySchema = z.object({
  store: z.string().min(1, 'must be the store id'),
  events: z.array(eventSchema).min(1, 'must hold at least one event').max(MAX_EVENTS_PER_REQUEST),
});

export type StoreEvent = z.infer<typeof eventSchema>;
export type OrderEvent = Extract<StoreEvent, { type: 'order.created' | 'order.status_changed' | 'order.updated' }>;
export type HeartbeatEvent = Extract<StoreEvent, { type: 'heartbeat' }>;

export function isOrderEvent(event: StoreEvent): event is OrderEvent {
  return event.type !== 'heartbeat';
}
