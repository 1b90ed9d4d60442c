import type { Knex } from 'knex';
import { refreshOrderHours } from './rollups';
import { claimSignatures, type SignatureClaim } from './signed-requests';
import { recordContacts } from './stores';
import { isOrderEvent, type HeartbeatEvent, type OrderEvent, type StoreEvent } from '../domain/events';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** Order events that were new, i.e. that may have changed what the detectors see. */
  newOrderEvents: number;
}

const ORDER_UPSERT_COLUMNS =
  '(store_id, order_id, status, total, currency, payment_method, created_via, created_at, status_changed_at, updated_at)';

// An order's worth and payment method from the newest event that carries them. An empty payment method
// is what an order's first save says before it is paid, never news that replaces a known one.
const DETAILS_UPDATE = `
  total = COALESCE(VALUES(total), total),
  currency = COALESCE(VALUES(currency), currency),
  payment_method = COALESCE(NULLIF(VALUES(payment_method), ''), payment_method),
  created_via = COALESCE(NULLIF(VALUES(created_via), ''), created_via)`;

// MariaDB applies these assignments left to right and later ones see earlier results, so
// status_changed_at must come last: every IF above it compares against the row's old value.
const ORDER_UPSERT_UPDATE = `
  status = IF(VALUES(status_changed_at) >= status_changed_at, VALUES(status), status),
  ${DETAILS_UPDATE},
  updated_at = VALUES(updated_at),
  status_changed_at = GREATEST(status_changed_at, VALUES(status_changed_at))`;

// `order.updated` says nothing new of the status: it fills in the details, and only creates the row (with
// the status it names) for an order no other event told of.
const DETAILS_ONLY_UPDATE = `${DETAILS_UPDATE},
  updated_at = VALUES(updated_at)`;

export interface KnownStatus {
  status: string;
  changedAt: Date;
}

/** Who sent the events: the bridge, or the sidecar's own recovery over WooCommerce's REST API. */
export type EventOrigin = 'bridge' | 'rest';

/** One sender's batch, as the ingest takes it. */
export interface IngestRequest {
  storeId: string;
  events: readonly StoreEvent[];
  receivedAt: Date;
  origin: EventOrigin;
  /** The signed request's signature, recorded in the batch's transaction (one commit; a rollback releases it). */
  claim?: SignatureClaim;
}

/** Rows per INSERT: far below MariaDB's 65,535 placeholders for the widest table written here. */
const ROWS_PER_INSERT = 2_000;

export class EventRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Stores a batch in one transaction: the store's contact times, the events (an id already known is a
   * duplicate and changes nothing), and the latest status of each order. Only newly inserted events
   * touch the orders table, so a replayed event can never flip a status back.
   */
  async ingest(
    storeId: string,
    events: readonly StoreEvent[],
    receivedAt = new Date(),
    origin: EventOrigin = 'bridge',
    claim?: SignatureClaim,
  ): Promise<IngestResult> {
    return (await this.ingestMany([{ storeId, events, receivedAt, origin, claim }]))[0]!;
  }

  /**
   * Several batches, of one store or many, in one transaction with the statements of one (services/
   * ingest-groups gathers the requests that arrive together): each batch's result as ingest() gives it.
   * All or nothing: a failure (a replayed signature among them) rolls every batch back.
   */
  async ingestMany(requests: readonly IngestRequest[]): Promise<IngestResult[]> {
    // READ COMMITTED: under REPEATABLE READ the roll-up's recount (delete the batch's hours, insert their
    // counts) took gap locks in order_hourly that reach into the neighbouring store's keys, so batches of
    // two stores deadlocked (6 of 400 requests answered 503 with 100 stores at 30 connections). The
    // stores' row locks below still queue two batches of one store, which is all the recount needs: each
    // reads the orders as the one before it committed them.
    return this.db.transaction(async (trx) => {
      // First, so this transaction takes the store rows' exclusive locks before the inserts below take
      // shared locks on them through their foreign keys: two batches of one store then queue instead of
      // deadlocking, and in key order (one statement), so two groups of several stores queue too. A
      // sender's clock may run ahead; nothing counts as later than its arrival.
      const contact = new Map<string, { earliest: number; latest: number | null }>();
      for (const r of requests) {
        const times = r.events.map((e) => Math.min(e.occurred_at.getTime(), r.receivedAt.getTime()));
        const seen = contact.get(r.storeId) ?? { earliest: Number.POSITIVE_INFINITY, latest: null };
        seen.earliest = Math.min(seen.earliest, ...times);
        // Orders read back over REST say what WOOM has seen, not that WordPress is talking to it.
        if (r.origin === 'bridge') seen.latest = Math.max(seen.latest ?? Number.NEGATIVE_INFINITY, ...times);
        contact.set(r.storeId, seen);
      }
      await recordContacts(trx, new Map([...contact].map(([storeId, c]) => [storeId, { earliest: new Date(c.earliest), latest: c.latest === null ? null : new Date(c.latest) }])));
      // After the stores' locks (their foreign keys take shared locks on the store rows). A replay throws.
      await claimSignatures(trx, requests.flatMap((r) => (r.claim ? [{ storeId: r.storeId, claim: r.claim }] : [])));
      // An event sent twice (in one batch, or in two batches of the group) belongs to the first that sent it.
      const key = (storeId: string, id: string) => `${storeId}\n${id}`;
      const owner = new Map<string, number>();
      const rows: Array<ReturnType<typeof eventRow> & { origin: EventOrigin }> = [];
      const unique = requests.map((r) => [...new Map(r.events.map((event) => [event.id, event])).values()]);
      requests.forEach((r, i) => {
        for (const event of unique[i]!) {
          if (owner.has(key(r.storeId, event.id))) continue;
          owner.set(key(r.storeId, event.id), i);
          rows.push({ ...eventRow(r.storeId, event, r.receivedAt), origin: r.origin });
        }
      });
      // MariaDB's INSERT IGNORE ... RETURNING names exactly the rows it inserted: the duplicates are the rest.
      const inserted = new Set<string>();
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const insert = trx('order_events').insert(rows.slice(i, i + ROWS_PER_INSERT)).onConflict().ignore().toSQL().toNative();
        const [returned] = (await trx.raw(`${insert.sql} RETURNING store_id, id`, insert.bindings as Knex.RawBinding[])) as [Array<{ store_id: string; id: string }>];
        for (const row of returned) inserted.add(key(row.store_id, row.id));
      }
      const fresh = requests.map((r, i) => unique[i]!.filter((event) => owner.get(key(r.storeId, event.id)) === i && inserted.has(key(r.storeId, event.id))));
      await this.applyToOrders(
        trx,
        requests.flatMap((r, i) => fresh[i]!.filter(isOrderEvent).map((event) => ({ storeId: r.storeId, event, now: r.receivedAt }))),
      );
      const freshByStore = new Map<string, StoreEvent[]>();
      requests.forEach((r, i) => freshByStore.set(r.storeId, [...(freshByStore.get(r.storeId) ?? []), ...fresh[i]!]));
      for (const [storeId, events] of freshByStore) await this.keepHealthSnapshot(trx, storeId, events);
      return requests.map((r, i) => {
        const accepted = fresh[i]!.length;
        return { accepted, duplicates: r.events.length - accepted, newOrderEvents: fresh[i]!.filter(isOrderEvent).length };
      });
    }, { isolationLevel: 'read committed' });
  }

  /**
   * The newest heartbeat's health snapshot, with the fatal errors of every heartbeat in the batch added
   * up (each counts those since the one before). An older snapshot never replaces a newer one.
   */
  private async keepHealthSnapshot(trx: Knex.Transaction, storeId: string, events: readonly StoreEvent[]) {
    const beats = events.filter((e): e is HeartbeatEvent => e.type === 'heartbeat' && typeof e.data?.health === 'object' && e.data.health !== null);
    if (beats.length === 0) return;
    const newest = beats.reduce((a, b) => (b.occurred_at > a.occurred_at ? b : a));
    const fatal = beats.reduce((sum, e) => sum + (Number((e.data!.health as { fatal_errors?: unknown }).fatal_errors) || 0), 0);
    const health = { ...(newest.data!.health as Record<string, unknown>), fatal_errors: fatal };
    await trx('stores')
      .where({ id: storeId })
      .andWhere((q) => q.whereNull('health_at').orWhere('health_at', '<=', newest.occurred_at))
      .update({ health: JSON.stringify(health), health_at: newest.occurred_at });
  }

  /** The status WOOM holds for each of these orders and when it was set; an order it never heard of is absent. */
  async knownStatuses(storeId: string, orderIds: readonly number[]): Promise<Map<number, KnownStatus>> {
    if (orderIds.length === 0) return new Map();
    const rows: Array<{ order_id: number | string; status: string; status_changed_at: Date }> = await this.db('orders')
      .where('store_id', storeId)
      .whereIn('order_id', orderIds)
      .select('order_id', 'status', 'status_changed_at');
    return new Map(rows.map((row) => [Number(row.order_id), { status: row.status, changedAt: row.status_changed_at }]));
  }

  private async applyToOrders(trx: Knex.Transaction, items: ReadonlyArray<{ storeId: string; event: OrderEvent; now: Date }>) {
    if (items.length === 0) return;
    // Applied in the order they happened, so a batch holding several changes of one order ends on the last.
    const sorted = [...items].sort((a, b) => a.event.occurred_at.getTime() - b.event.occurred_at.getTime());
    const statusEvents = sorted.filter((i) => i.event.type !== 'order.updated');
    const updates = sorted.filter((i) => i.event.type === 'order.updated');
    if (statusEvents.length > 0) await this.upsertOrders(trx, statusEvents, ORDER_UPSERT_UPDATE);
    if (updates.length > 0) await this.upsertOrders(trx, updates, DETAILS_ONLY_UPDATE);
    // In the same transaction, so the roll-ups never show an order the orders table does not (or the reverse).
    const ordersByStore = new Map<string, number[]>();
    for (const { storeId, event } of sorted) (ordersByStore.get(storeId) ?? ordersByStore.set(storeId, []).get(storeId)!).push(event.order_id);
    await refreshOrderHours(trx, ordersByStore);
  }

  private async upsertOrders(trx: Knex.Transaction, sorted: ReadonlyArray<{ storeId: string; event: OrderEvent; now: Date }>, onDuplicate: string) {
    for (let i = 0; i < sorted.length; i += ROWS_PER_INSERT) {
      const part = sorted.slice(i, i + ROWS_PER_INSERT);
      const placeholders = part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      const bindings = part.flatMap(({ storeId, event, now }) => [
        storeId,
        event.order_id,
        event.to,
        event.total ?? null,
        event.currency?.toUpperCase() ?? null,
        event.payment_method ?? null,
        event.created_via ?? null,
        event.created_at,
        event.occurred_at,
        now,
      ]);
      await trx.raw(`INSERT INTO orders ${ORDER_UPSERT_COLUMNS} VALUES ${placeholders} ON DUPLICATE KEY UPDATE ${onDuplicate}`, bindings);
    }
  }
}

function eventRow(storeId: string, event: StoreEvent, receivedAt: Date) {
  if (!isOrderEvent(event)) {
    return {
      store_id: storeId,
      id: event.id,
      type: event.type,
      order_id: null,
      from_status: null,
      to_status: null,
      total: null,
      currency: null,
      payment_method: null,
      created_via: null,
      order_created_at: null,
      occurred_at: event.occurred_at,
      received_at: receivedAt,
      data: event.data ? JSON.stringify(event.data) : null,
    };
  }
  return {
    store_id: storeId,
    id: event.id,
    type: event.type,
    order_id: event.order_id,
    from_status: event.from ?? null,
    to_status: event.to,
    total: event.total ?? null,
    currency: event.currency?.toUpperCase() ?? null,
    payment_method: event.payment_method ?? null,
    created_via: event.created_via ?? null,
    order_created_at: event.created_at,
    occurred_at: event.occurred_at,
    received_at: receivedAt,
    data: null,
  };
}
