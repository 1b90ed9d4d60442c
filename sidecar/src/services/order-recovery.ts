import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { EventRepository } from '../store/events';
import type { RestSyncRepository } from '../store/rest-sync';
import type { StoreRecord, StoreRepository } from '../store/stores';
import { toRecoveredEvent, type WcOrder } from '../woocommerce/order-mapping';
import { RestError, WooCommerceOrdersApi, type OrdersPage } from '../woocommerce/orders-api';

export interface OrdersReader {
  modifiedAfter(after: Date, page: number): Promise<OrdersPage>;
}

export interface RecoveryOutcome {
  storeId: string;
  requests: number;
  ordersRead: number;
  accepted: number;
  /** Set when the store could not be read; what was read before the error is kept. */
  error: string | null;
}

/**
 * Each read asks from this long before the newest modification already seen. WooCommerce dates have
 * whole seconds, and an order is stamped when its save begins but visible only once the save commits:
 * one saved slowly, stamped before the newest order read, would fall behind the cursor for good. What
 * the overlap reads again stores nothing (recovered event ids are derived from the order).
 */
const OVERLAP_MS = 60_000;
export const BACKFILL_DAYS = 56;

/**
 * Reads back, over WooCommerce's REST API, every order modified since the last moment WOOM was sure it
 * had seen everything, and stores it through the same ingest as the bridge's events. Recovered events
 * have ids derived from the order, its status and its modification time, so reading an order again
 * stores nothing twice, and the orders table keeps one row per order whichever path saw it first.
 *
 * Paging walks by modification time (keyset) rather than by page number, so an order modified while
 * the pages are read cannot shift another one out of sight. Errors are recorded for the status page
 * and never thrown at the check that asked.
 */
export class OrderRecovery {
  constructor(
    private readonly deps: {
      stores: StoreRepository;
      restSync: RestSyncRepository;
      events: EventRepository;
      log: Logger;
      metrics: Metrics;
      /** Bounds one run; a backfill continues at the next run. */
      maxRequests?: number;
      timeoutMs?: number;
    },
  ) {}

  /** `known`: the store as the scheduled job read it at its start, instead of reading it again. */
  async recover(storeId: string, now = new Date(), known?: StoreRecord | null): Promise<RecoveryOutcome | null> {
    const { stores, restSync, events, log } = this.deps;
    const [store, credentials, state] = await Promise.all([known === undefined ? stores.find(storeId) : known, restSync.credentials(storeId), restSync.state(storeId)]);
    if (!store || !credentials || !state) return null;
    const reader: OrdersReader = new WooCommerceOrdersApi(store.url, credentials, this.deps.timeoutMs);
    const outcome: RecoveryOutcome = { storeId, requests: 0, ordersRead: 0, accepted: 0, error: null };
    let cursor = state.syncedUntil;
    let page = 1;
    try {
      while (outcome.requests < (this.deps.maxRequests ?? 50)) {
        const result = await reader.modifiedAfter(new Date(cursor.getTime() - OVERLAP_MS), page);
        outcome.requests += 1;
        outcome.ordersRead += result.orders.length;
        const newest = newestModification(result.orders);
        const known = await events.knownStatuses(storeId, result.orders.map((order) => order.id).filter((id) => Number.isSafeInteger(id) && id > 0));
        const recovered = result.orders.map((order) => toRecoveredEvent(storeId, order, known.get(order.id) ?? null)).filter((e) => e !== null);
        if (recovered.length > 0) {
          const { accepted } = await events.ingest(storeId, recovered, now, 'rest');
          outcome.accepted += accepted;
          // Beside the bridge's accepted events: how much the bridge failed to deliver (orders and changes
          // WOOM already held give no event at all, so they are not counted).
          this.deps.metrics.eventsIngested.inc({ store: this.deps.metrics.store(storeId), result: 'recovered' }, accepted);
        }
        if (newest && newest > cursor) {
          await restSync.advance(storeId, newest, result.orders.length);
          cursor = newest;
          page = 1;
        } else {
          // A whole page modified within one second: the cursor cannot move, so read the next page of it.
          page += 1;
        }
        if (result.totalPages <= 1 || result.orders.length === 0 || page > result.totalPages) break;
      }
      await restSync.recordOutcome(storeId, now, null);
    } catch (error) {
      outcome.error = error instanceof RestError ? error.message : `Recovery failed: ${(error as Error).message}`;
      await restSync.recordOutcome(storeId, now, outcome.error);
      this.deps.metrics.restRecoveryErrors.inc({ store: this.deps.metrics.store(storeId) });
    }
    log.info({ event: 'rest_recovery', ...outcome }, 'orders read back over the WooCommerce REST API');
    return outcome;
  }
}

function newestModification(orders: readonly WcOrder[]): Date | null {
  let newest: number | null = null;
  for (const order of orders) {
    if (!order.date_modified_gmt) continue;
    const at = Date.parse(/[zZ]$/.test(order.date_modified_gmt) ? order.date_modified_gmt : `${order.date_modified_gmt}Z`);
    if (!Number.isNaN(at) && (newest === null || at > newest)) newest = at;
  }
  return newest === null ? null : new Date(newest);
}
