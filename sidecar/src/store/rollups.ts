import type { Knex } from 'knex';
import { LOOKBACK_HOURS, type HourlyHistory } from '../domain/baseline';
import { NON_CUSTOMER_CHANNELS } from '../domain/checks';
import { RETRY_WINDOW_MINUTES, retriedFailures } from '../domain/failure-rate';
import { HOUR_MS } from '../domain/time';

/** One row of order_hourly: customer orders of one UTC hour (by creation) that now have one status. */
export interface HourlyRollupRow {
  hour: number;
  status: string;
  orders: number;
  revenue: number;
  revenueOrders: number;
  /**
   * Of these orders, those with a total whose cart was tried again: a later customer order of the same
   * total and payment method within the retry window (domain/failure-rate `retriedFailures`). Summed over
   * the failed statuses it is the baseline's count of retried carts, so a baseline build reads this table
   * alone. Counted for every status, because which statuses are failures is a per-store setting.
   */
  retried: number;
}

const HOUR_EXPR = "TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at)";
const CUSTOMER_ONLY = `(created_via IS NULL OR created_via NOT IN (${NON_CUSTOMER_CHANNELS.map(() => '?').join(', ')}))`;
/** Hours recounted per statement: a REST read-back of a year of status changes stays a bounded query. */
const HOURS_PER_RECOUNT = 200;
const RETRY_WINDOW_MS = RETRY_WINDOW_MINUTES * 60_000;

/**
 * Recounts the hours the given orders were created in, from the orders table as it is now in this
 * transaction, for each store given (an ingest of several stores' batches does them in one go). Only
 * those hours are read (an index range of one hour each), never a store's history: the roll-up stays
 * equal to a full recount however late, replayed or out of order the events came. The caller holds each
 * store's row lock (the ingest takes them first), so two batches of one store never recount one hour at
 * once.
 */
export async function refreshOrderHours(trx: Knex.Transaction, ordersByStore: ReadonlyMap<string, readonly number[]>): Promise<void> {
  const stores = [...ordersByStore].filter(([, ids]) => ids.length > 0);
  if (stores.length === 0) return;
  // An order can make one of the retry window before it a retried cart, which may lie in the hour before.
  const touched: Array<{ store_id: string; h: number | string; before: number | string }> = await trx('orders')
    .select('store_id', trx.raw(`${HOUR_EXPR} AS h`), trx.raw(`TIMESTAMPDIFF(HOUR, '1970-01-01 00:00:00', created_at - INTERVAL ${RETRY_WINDOW_MINUTES} MINUTE) AS \`before\``))
    .where((q) => {
      for (const [storeId, ids] of stores) q.orWhere((r) => r.where('store_id', storeId).whereIn('order_id', [...new Set(ids)]));
    });
  const hoursByStore = new Map<string, Set<number>>();
  for (const row of touched) {
    const hours = hoursByStore.get(row.store_id) ?? hoursByStore.set(row.store_id, new Set()).get(row.store_id)!;
    hours.add(Number(row.h)).add(Number(row.before));
  }
  // Bounded statements: a REST read-back of a year of status changes, or many stores at once.
  let chunk: Array<[string, number[]]> = [];
  let size = 0;
  for (const [storeId, hours] of hoursByStore) {
    const all = [...hours];
    for (let i = 0; i < all.length; i += HOURS_PER_RECOUNT) {
      const part = all.slice(i, i + HOURS_PER_RECOUNT);
      if (size + part.length > HOURS_PER_RECOUNT && chunk.length > 0) {
        await recountHours(trx, chunk);
        chunk = [];
        size = 0;
      }
      chunk.push([storeId, part]);
      size += part.length;
    }
  }
  if (chunk.length > 0) await recountHours(trx, chunk);
}

async function recountHours(trx: Knex.Transaction, hoursByStore: ReadonlyArray<readonly [string, readonly number[]]>): Promise<void> {
  const counts = await countHoursOf(trx, hoursByStore);
  await trx('order_hourly')
    .where((q) => {
      for (const [storeId, hours] of hoursByStore) q.orWhere((r) => r.where('store_id', storeId).whereIn('hour', [...hours]));
    })
    .delete();
  const rows = counts.flatMap(([storeId, cells]) => cells.map(toRow(storeId)));
  if (rows.length > 0) await trx('order_hourly').insert(rows);
}

const toRow = (storeId: string) => (c: HourlyRollupRow) => ({
  store_id: storeId,
  hour: c.hour,
  status: c.status,
  orders: c.orders,
  revenue: c.revenue,
  revenue_orders: c.revenueOrders,
  retried: c.retried,
});

interface CountRow {
  h: number | string;
  status: string;
  n: number | string;
  rev: number | string | null;
  revn: number | string;
}

/** Revenue is summed in ten-thousandths (the column's scale), so the sum is exact as MariaDB's is. */
const REVENUE_SCALE = 10_000;

/**
 * The roll-up rows of these hours (all hours when null), from one read of their customer orders and the
 * retry window after them: counts and revenue per hour and status, and the retried carts by the domain's
 * own rule (the backtest counts them with the same function), in creation order, ties by order id as
 * WooCommerce numbers them. One statement, as the ingest runs it for every batch.
 */
async function countHours(db: Knex, storeId: string, hours: readonly number[] | null): Promise<HourlyRollupRow[]> {
  const query = db('orders')
    .select('order_id', 'status', 'created_at', 'total', 'payment_method')
    .where('store_id', storeId)
    .whereRaw(CUSTOMER_ONLY, [...NON_CUSTOMER_CHANNELS])
    .orderBy([{ column: 'created_at' }, { column: 'order_id' }]);
  // One index range per hour on (store_id, created_at): the hours of a batch are rarely contiguous.
  if (hours) query.andWhere((q) => inHours(q, hours, RETRY_WINDOW_MS));
  return cellsOf(await query, hours);
}

/** countHours for several stores' hours in one statement: each store's rows, by store. */
async function countHoursOf(db: Knex, hoursByStore: ReadonlyArray<readonly [string, readonly number[]]>): Promise<Array<[string, HourlyRollupRow[]]>> {
  const rows: Array<OrderRow & { store_id: string }> = await db('orders')
    .select('store_id', 'order_id', 'status', 'created_at', 'total', 'payment_method')
    .whereRaw(CUSTOMER_ONLY, [...NON_CUSTOMER_CHANNELS])
    .andWhere((q) => {
      for (const [storeId, hours] of hoursByStore) q.orWhere((r) => r.where('store_id', storeId).andWhere((h) => inHours(h, hours, RETRY_WINDOW_MS)));
    })
    .orderBy([{ column: 'store_id' }, { column: 'created_at' }, { column: 'order_id' }]);
  const byStore = new Map<string, OrderRow[]>();
  for (const row of rows) (byStore.get(row.store_id) ?? byStore.set(row.store_id, []).get(row.store_id)!).push(row);
  return hoursByStore.map(([storeId, hours]) => [storeId, cellsOf(byStore.get(storeId) ?? [], hours)]);
}

interface OrderRow {
  order_id: number | string;
  status: string;
  created_at: Date;
  total: string | number | null;
  payment_method: string | null;
}

/** One store's orders, in creation order, counted into the cells of the wanted hours (all when null). */
function cellsOf(rows: readonly OrderRow[], hours: readonly number[] | null): HourlyRollupRow[] {
  const orders = rows.map((r) => ({
    orderId: Number(r.order_id),
    status: r.status,
    createdAt: new Date(r.created_at),
    total: r.total === null ? null : Number(r.total),
    paymentMethod: r.payment_method,
  }));
  // Every status: which of them count as failures is the store's setting, applied when the baseline sums them.
  const retried = retriedFailures(orders, () => true);
  const wanted = hours ? new Set(hours) : null;
  const cells = new Map<string, HourlyRollupRow & { scaledRevenue: number }>();
  orders.forEach((o, i) => {
    const hour = Math.floor(o.createdAt.getTime() / HOUR_MS);
    // The rows past the last hour are read only as the window in which its carts may be tried again.
    if (wanted && !wanted.has(hour)) return;
    const key = `${hour}|${o.status}`;
    let cell = cells.get(key);
    if (!cell) cells.set(key, (cell = { hour, status: o.status, orders: 0, revenue: 0, revenueOrders: 0, retried: 0, scaledRevenue: 0 }));
    cell.orders += 1;
    if (o.total !== null) {
      cell.scaledRevenue += Math.round(o.total * REVENUE_SCALE);
      cell.revenueOrders += 1;
    }
    if (retried[i]) cell.retried += 1;
  });
  return [...cells.values()].map(({ scaledRevenue, ...cell }) => ({ ...cell, revenue: scaledRevenue / REVENUE_SCALE }));
}

function inHours(q: Knex.QueryBuilder, hours: readonly number[], extraMs: number): void {
  for (const h of hours) q.orWhere((r) => r.where('created_at', '>=', new Date(h * HOUR_MS)).andWhere('created_at', '<', new Date((h + 1) * HOUR_MS + extraMs)));
}

/** The slow query the roll-up stands for: customer orders per hour and status, counted by MariaDB. */
async function countHoursBySql(db: Knex, storeId: string): Promise<HourlyRollupRow[]> {
  const rows: CountRow[] = await db('orders')
    .select(db.raw(`${HOUR_EXPR} AS h`), 'status', db.raw('COUNT(*) AS n'), db.raw('COALESCE(SUM(total), 0) AS rev'), db.raw('COUNT(total) AS revn'))
    .where('store_id', storeId)
    .whereRaw(CUSTOMER_ONLY, [...NON_CUSTOMER_CHANNELS])
    .groupBy('h', 'status');
  const retried = await retriedPerHourBySql(db, storeId);
  return rows.map((r) => ({
    hour: Number(r.h),
    status: r.status,
    orders: Number(r.n),
    revenue: Number(r.rev ?? 0),
    revenueOrders: Number(r.revn),
    retried: retried.get(`${Number(r.h)}|${r.status}`) ?? 0,
  }));
}

/**
 * The same retried carts counted by MariaDB alone (a semi-join from each order to the retry window after
 * it): the reference recount() compares the roll-ups with, independent of the code that keeps them.
 */
async function retriedPerHourBySql(db: Knex, storeId: string): Promise<Map<string, number>> {
  const channels = NON_CUSTOMER_CHANNELS.map(() => '?').join(',');
  const [rows] = (await db.raw(
    `SELECT ${HOUR_EXPR.replace('created_at', 'f.created_at')} AS h, f.status, COUNT(*) AS n
     FROM orders f
     WHERE f.store_id = ? AND f.total > 0 AND (f.created_via IS NULL OR f.created_via NOT IN (${channels}))
       AND EXISTS (
         SELECT 1 FROM orders o
         WHERE o.store_id = f.store_id
           AND o.created_at >= f.created_at AND o.created_at <= f.created_at + INTERVAL ${RETRY_WINDOW_MINUTES} MINUTE
           AND (o.created_at > f.created_at OR o.order_id > f.order_id)
           AND o.total = f.total AND COALESCE(o.payment_method, '') = COALESCE(f.payment_method, '')
           AND (o.created_via IS NULL OR o.created_via NOT IN (${channels})))
     GROUP BY h, f.status`,
    [storeId, ...NON_CUSTOMER_CHANNELS, ...NON_CUSTOMER_CHANNELS],
  )) as [Array<{ h: number | string; status: string; n: number | string }>];
  return new Map(rows.map((r) => [`${Number(r.h)}|${r.status}`, Number(r.n)]));
}

const byKey = (a: HourlyRollupRow, b: HourlyRollupRow) => a.hour - b.hour || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0);

/** The hourly roll-ups of customer orders (order_hourly): kept by the ingest, read by the baseline. */
export class RollupRepository {
  constructor(private readonly db: Knex) {}

  /** The store's roll-up rows, ordered by hour and status. */
  async rows(storeId: string, fromHour = 0, toHour = Number.MAX_SAFE_INTEGER): Promise<HourlyRollupRow[]> {
    const rows: Array<{ hour: number; status: string; orders: number; revenue: string | number; revenue_orders: number; retried: number }> = await this.db('order_hourly')
      .select('hour', 'status', 'orders', 'revenue', 'revenue_orders', 'retried')
      .where('store_id', storeId)
      .andWhere('hour', '>=', fromHour)
      .andWhere('hour', '<', Math.min(toHour, 2 ** 32 - 1))
      .orderBy(['hour', 'status']);
    return rows.map((r) => ({ hour: r.hour, status: r.status, orders: r.orders, revenue: Number(r.revenue), revenueOrders: r.revenue_orders, retried: r.retried }));
  }

  /**
   * A full recount from the orders table, in the same shape and order as rows(): what rows() must equal.
   * Counted by MariaDB (an aggregate and a semi-join), not by the code the ingest keeps them with.
   */
  async recount(storeId: string): Promise<HourlyRollupRow[]> {
    return (await countHoursBySql(this.db, storeId)).sort(byKey);
  }

  /** Replaces a store's roll-ups by a full recount: for orders written straight into MariaDB (benchmarks, imports). */
  async rebuild(storeId: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('stores').where({ id: storeId }).forUpdate().first('id');
      const counts = await countHours(trx, storeId, null);
      await trx('order_hourly').where('store_id', storeId).delete();
      for (let i = 0; i < counts.length; i += 1000) {
        await trx('order_hourly').insert(
          counts.slice(i, i + 1000).map(toRow(storeId)),
        );
      }
    });
  }

  /**
   * The overview's recent figures for stores whose local day began in the hour `dayStartHour`: customer
   * orders (every status) in each of the 24 hours up to and including `nowHour`, oldest first, and since
   * the start of `dayStartHour`. One grouped scan of at most 25 hours of roll-ups per store.
   */
  async recentByStore(storeIds: readonly string[], dayStartHour: number, nowHour: number): Promise<Map<string, { hours: number[]; today: number }>> {
    const result = new Map<string, { hours: number[]; today: number }>();
    if (storeIds.length === 0) return result;
    const first = nowHour - 23;
    const columns = Array.from({ length: 24 }, (_, i) => `SUM(CASE WHEN hour = ${first + i} THEN orders ELSE 0 END) AS h${i}`).join(', ');
    const rows: Array<Record<string, string | number>> = await this.db('order_hourly')
      .select('store_id', this.db.raw(`${columns}, SUM(CASE WHEN hour >= ? THEN orders ELSE 0 END) AS today`, [dayStartHour]))
      .whereIn('store_id', [...storeIds])
      .andWhere('hour', '>=', Math.min(first, dayStartHour))
      .andWhere('hour', '<=', nowHour)
      .groupBy('store_id');
    for (const row of rows) {
      result.set(String(row.store_id), { hours: Array.from({ length: 24 }, (_, i) => Number(row[`h${i}`] ?? 0)), today: Number(row.today ?? 0) });
    }
    return result;
  }

  /**
   * The same stretch of each of the `days` days before: customer orders in the whole hours from the day's
   * start hour up to (not including) this hour of that day (`whole`), and in this hour of each of those
   * days (`edge`, of which the caller counts the share already gone by today).
   */
  async sameTimeOnPastDays(storeIds: readonly string[], dayStartHour: number, nowHour: number, days: number): Promise<Map<string, { whole: number; edge: number }>> {
    const result = new Map<string, { whole: number; edge: number }>();
    if (storeIds.length === 0) return result;
    // A day of 25 hours (clocks going back) is read as 24.
    const span = Math.min(23, Math.max(0, nowHour - dayStartHour));
    // k: hours before this hour; day i's stretch is k in [24i, 24i + span], its edge k = 24i.
    const k = `(${Number(nowHour)} - hour)`;
    const rows: Array<{ store_id: string; whole: string | number | null; edge: string | number | null }> = await this.db('order_hourly')
      .select(
        'store_id',
        this.db.raw(`SUM(CASE WHEN MOD(${k}, 24) BETWEEN 1 AND ? THEN orders ELSE 0 END) AS whole`, [span]),
        this.db.raw(`SUM(CASE WHEN MOD(${k}, 24) = 0 THEN orders ELSE 0 END) AS edge`),
      )
      .whereIn('store_id', [...storeIds])
      .andWhere('hour', '>=', nowHour - 24 * days - span)
      .andWhere('hour', '<=', nowHour - 24)
      .groupBy('store_id');
    for (const row of rows) result.set(row.store_id, { whole: Number(row.whole ?? 0), edge: Number(row.edge ?? 0) });
    return result;
  }

  /**
   * Successful and failed customer orders, retried failed carts and revenue per UTC hour of the
   * LOOKBACK_HOURS before `asOfHour`, summed over the statuses the store's settings count as each: all a
   * baseline is built from, in one read of at most a few thousand rows.
   */
  async hourly(storeId: string, successStatuses: readonly string[], failureStatuses: readonly string[], asOfHour: number): Promise<HourlyHistory> {
    const firstHour = asOfHour - LOOKBACK_HOURS;
    const success = new Float64Array(LOOKBACK_HOURS);
    const failure = new Float64Array(LOOKBACK_HOURS);
    const retriedFailure = new Float64Array(LOOKBACK_HOURS);
    const revenue = new Float64Array(LOOKBACK_HOURS);
    const revenueOrders = new Float64Array(LOOKBACK_HOURS);
    const successSet = new Set(successStatuses);
    const failureSet = new Set(failureStatuses);
    const rows: Array<{ hour: number; status: string; orders: number; revenue: string | number; revenue_orders: number; retried: number }> = await this.db('order_hourly')
      .select('hour', 'status', 'orders', 'revenue', 'revenue_orders', 'retried')
      .where('store_id', storeId)
      .andWhere('hour', '>=', Math.max(0, firstHour))
      .andWhere('hour', '<', asOfHour)
      .whereIn('status', [...successStatuses, ...failureStatuses]);
    for (const row of rows) {
      const i = row.hour - firstHour;
      if (successSet.has(row.status)) {
        success[i] = (success[i] ?? 0) + row.orders;
        revenue[i] = (revenue[i] ?? 0) + Number(row.revenue);
        revenueOrders[i] = (revenueOrders[i] ?? 0) + row.revenue_orders;
      } else if (failureSet.has(row.status)) {
        failure[i] = (failure[i] ?? 0) + row.orders;
        retriedFailure[i] = (retriedFailure[i] ?? 0) + row.retried;
      }
    }
    return { firstHour, success, failure, retriedFailure, revenue, revenueOrders };
  }
}
