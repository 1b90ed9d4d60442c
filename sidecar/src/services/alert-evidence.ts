import type { Knex } from 'knex';
import { diagnose, type Diagnosis, type OrderDetail } from '../domain/diagnosis';
import type { ProbeResult, ProbeTarget } from '../domain/probe';
import type { Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import type { AlertEvidence } from '../notify/content';
import { formatDuration } from '../notify/content';
import type { ProbeRepository } from '../store/probes';
import type { StoreRecord } from '../store/stores';

/** The failed orders an alert lists; more would make the mail a report rather than a call to act. */
export const FAILED_ORDERS_LISTED = 10;
/** The recent orders the diagnosis reads when the alert's own detector made none (the fixed modes). */
const DIAGNOSIS_ORDERS = 50;
/** WordPress checks in every 5 minutes: three missed check-ins are worth saying in an order alert. */
const SILENT_AFTER_MS = 15 * 60_000;

export interface AlertEvidenceDeps {
  db: Knex;
  probes: ProbeRepository;
}

interface OrderRow {
  order_id: number | string;
  status: string;
  created_at: Date;
  total: number | string | null;
  currency: string | null;
  payment_method: string | null;
}

/**
 * What the store looked like when an order alert was decided: its latest failed orders with links, the
 * store probe's last visit, the last check-in from WordPress and the payment methods' titles. Read once
 * and stored with the notification, so a retry hours later says what was true at the time.
 */
export class AlertEvidenceReader {
  constructor(private readonly deps: AlertEvidenceDeps) {}

  /** `sinceKnown`: the detectors dated the problem; else `since` is only how far back failed orders are looked for. */
  async read(store: StoreRecord, settings: Settings, since: Date, now: Date, diagnosis: Diagnosis | null, sinceKnown = true): Promise<AlertEvidence> {
    const tz = settings.timezone;
    const titles = paymentTitles(store.health);
    const titleOf = (id: string | null) => (id ? (titles[id] ?? id) : null);
    const { db } = this.deps;
    const failedQuery = () =>
      db('orders').where('store_id', store.id).whereIn('status', settings.failure_statuses).andWhere('created_at', '>=', since).andWhere('created_at', '<=', now);
    const [failedRows, countRows, recentRows, probeResults] = await Promise.all([
      failedQuery().clone().orderBy('created_at', 'desc').limit(FAILED_ORDERS_LISTED).select('order_id', 'status', 'created_at', 'total', 'currency', 'payment_method') as Promise<OrderRow[]>,
      failedQuery().clone().count({ count: '*' }).min({ first: 'created_at' }) as Promise<Array<{ count: number | string; first: Date | null }>>,
      diagnosis
        ? Promise.resolve([] as OrderRow[])
        : (db('orders')
            .where('store_id', store.id)
            .whereIn('status', [...settings.success_statuses, ...settings.failure_statuses])
            .andWhere('created_at', '<=', now)
            .orderBy('created_at', 'desc')
            .limit(DIAGNOSIS_ORDERS)
            .select('order_id', 'status', 'created_at', 'total', 'currency', 'payment_method') as Promise<OrderRow[]>),
      this.deps.probes.recent(store.id, 1),
    ]);
    const failedCount = Number(countRows[0]?.count ?? 0);
    const first = countRows[0]?.first ? new Date(countRows[0].first) : null;
    const problemSince = sinceKnown || !first ? since : first;
    // The fixed modes make no diagnosis of their own: the same pure one reads the recent orders, so a
    // failing gateway is named whichever mode raised the alert.
    const derived =
      diagnosis ??
      (failedCount > 0 && recentRows.length > 0
        ? diagnose(recentRows.map(toDetail).reverse(), (o) => settings.failure_statuses.includes(o.status), null)
        : null);
    return {
      diagnosis: derived ? { kind: derived.kind, paymentMethod: titleOf(derived.paymentMethod), text: derived.text } : null,
      failedOrders: failedRows.map((row) => ({
        id: Number(row.order_id),
        at: formatLocal(row.created_at, tz),
        status: row.status,
        total: row.total === null ? null : `${Number(row.total).toFixed(2)}${row.currency ? ` ${row.currency}` : ''}`,
        paymentMethod: titleOf(row.payment_method && row.payment_method.trim() ? row.payment_method : null),
        // WooCommerce redirects the classic edit screen to the HPOS one where that is on, so one form
        // of link opens the order on every store.
        url: `${store.url}/wp-admin/post.php?post=${Number(row.order_id)}&action=edit`,
      })),
      failedCount,
      workingMethods: [...new Set(recentRows.filter((r) => settings.success_statuses.includes(r.status)).map((r) => titleOf(r.payment_method)).filter((m): m is string => !!m))],
      // A visit older than a few probe intervals says nothing about this moment.
      probe: probeSeen(probeResults.filter((r) => now.getTime() - r.at.getTime() <= Math.max(3 * settings.probe_interval_minutes, 15) * 60_000), tz),
      wordpress: store.lastContactAt
        ? {
            lastContactAt: formatLocal(store.lastContactAt, tz),
            ago: formatDuration(now.getTime() - store.lastContactAt.getTime()),
            silent: now.getTime() - store.lastContactAt.getTime() > SILENT_AFTER_MS,
          }
        : null,
      // Undated (the fixed failure share): the problem is told from its first failed order.
      since: formatLocal(problemSince, tz),
      sinceAt: problemSince.toISOString(),
    };
  }
}

/** Failed orders created in [from, to]: what a problem cost in failures, for the resolved notice. */
export async function countFailed(db: Knex, storeId: string, statuses: readonly string[], from: Date, to: Date): Promise<number> {
  const rows: Array<{ count: number | string }> = await db('orders').where('store_id', storeId).whereIn('status', statuses).andWhere('created_at', '>=', from).andWhere('created_at', '<=', to).count({ count: '*' });
  return Number(rows[0]?.count ?? 0);
}

const toDetail = (row: OrderRow): OrderDetail => ({
  orderId: row.order_id,
  status: row.status,
  createdAt: row.created_at,
  total: row.total === null ? null : Number(row.total),
  paymentMethod: row.payment_method,
});

/**
 * Payment method titles, when the bridge reports them (`gateway_titles`: id → title); else the ids stay.
 * Read leniently: an older bridge sends none, and a title is only ever shown, never trusted.
 */
export function paymentTitles(health: unknown): Record<string, string> {
  const titles = (health as { gateway_titles?: unknown } | null)?.gateway_titles;
  if (!titles || typeof titles !== 'object') return {};
  return Object.fromEntries(Object.entries(titles as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== ''));
}

const PAGE_NAMES: Record<ProbeTarget, string> = { home: 'home page', store_api: 'product list', cart: 'cart page', checkout: 'checkout page' };

/** The probe's last visit in words: which pages answered, which did not. */
function probeSeen(results: readonly ProbeResult[], tz: string): AlertEvidence['probe'] {
  if (results.length === 0) return null;
  const at = results.reduce((a, b) => (a.at > b.at ? a : b)).at;
  const failing = results.filter((r) => !r.ok);
  return {
    at: formatLocal(at, tz),
    allPassed: failing.length === 0,
    unreachable: failing.length === results.length && failing.every((r) => r.failure === 'unreachable' || r.failure === 'timeout'),
    checkoutOk: results.some((r) => r.target === 'checkout' && r.ok),
    failing: failing.map((r) => `the ${PAGE_NAMES[r.target]} (${r.url}) returned ${r.detail}`),
  };
}
