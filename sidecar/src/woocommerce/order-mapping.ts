import { createHash } from 'node:crypto';
import { eventSchema, type OrderEvent } from '../domain/events';

/** The fields of a WooCommerce REST v3 order that the monitor reads. */
export interface WcOrder {
  id: number;
  status: string;
  currency?: string;
  total?: string;
  payment_method?: string;
  created_via?: string;
  /** UTC, ISO 8601 without an offset ("2026-11-23T19:02:11"), as WooCommerce writes its *_gmt fields. */
  date_created_gmt: string | null;
  date_modified_gmt: string | null;
}

/**
 * The same (order, status, modification) always maps to the same event id, so reading an order twice,
 * in two runs or across a page that shifted, stores it once.
 */
export function recoveredEventId(storeId: string, order: WcOrder): string {
  const hex = createHash('sha256').update(`rest:${storeId}:${order.id}:${order.status}:${order.date_modified_gmt}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const gmt = (value: string) => (/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);

/**
 * An order read over REST as a contract event: its current status, as of its last modification. The
 * orders table keeps the newest status by time, so this never undoes a newer change the bridge sent.
 * An order whose fields do not fit the contract is skipped rather than guessed at.
 */
export function toRecoveredEvent(storeId: string, order: WcOrder): OrderEvent | null {
  if (!order.date_created_gmt || !order.date_modified_gmt || order.status === 'checkout-draft') return null;
  const parsed = eventSchema.safeParse({
    id: recoveredEventId(storeId, order),
    type: 'order.created',
    order_id: order.id,
    from: null,
    to: order.status,
    total: order.total ?? null,
    currency: order.currency || null,
    payment_method: order.payment_method ?? null,
    created_via: order.created_via ?? null,
    created_at: gmt(order.date_created_gmt),
    occurred_at: gmt(order.date_modified_gmt),
  });
  return parsed.success && parsed.data.type !== 'heartbeat' ? parsed.data : null;
}
