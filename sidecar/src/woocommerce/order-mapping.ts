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

/** Statuses that are not orders yet (a checkout or wp-admin draft) or no more (the bin). */
const NOT_ORDERS = new Set(['checkout-draft', 'auto-draft', 'draft', 'trash']);

/**
 * An order read over REST as a contract event, only where it tells WOOM something it did not know: an
 * order the bridge never delivered (`order.created`), or a status change it missed
 * (`order.status_changed` from the status WOOM holds). An order whose status WOOM already holds gives
 * nothing, so what the bridge delivered is neither stored again nor counted as recovered. The orders
 * table keeps the newest status by time, so this never undoes a newer change the bridge sent. An order
 * whose fields do not fit the contract is skipped rather than guessed at.
 */
export function toRecoveredEvent(storeId: string, order: WcOrder, known: { status: string; changedAt: Date } | null = null): OrderEvent | null {
  if (!order.date_created_gmt || !order.date_modified_gmt || NOT_ORDERS.has(order.status)) return null;
  const status = order.status.replace(/^wc-/, '');
  // Known with this status, or known with a newer one than this read shows: nothing WOOM missed.
  if (known && (known.status === status || Date.parse(gmt(order.date_modified_gmt)) <= known.changedAt.getTime())) return null;
  const knownStatus = known?.status ?? null;
  const parsed = eventSchema.safeParse({
    id: recoveredEventId(storeId, order),
    type: knownStatus === null ? 'order.created' : 'order.status_changed',
    order_id: order.id,
    from: knownStatus,
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
