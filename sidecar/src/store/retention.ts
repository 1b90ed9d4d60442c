import type { Knex } from 'knex';
import { HOUR_MS } from '../domain/time';

/** Days kept of each kind of record (config RETENTION_*_DAYS). */
export interface RetentionDays {
  events: number;
  heartbeats: number;
  checkRuns: number;
  notifications: number;
  probes: number;
  orders: number;
}

/** Rows per DELETE: each statement holds its row locks for milliseconds, never a table for minutes. */
const BATCH = 1000;
const DAY_MS = 86_400_000;
/** An open alert keeps its store's records from this long before it opened: what it was opened on. */
const EVIDENCE_BEFORE_OPENING_MS = DAY_MS;

export interface RetentionReport {
  deleted: Record<string, number>;
  /** The statement budget ran out: the next run goes on where this one stopped. */
  unfinished: boolean;
}

/**
 * Deletes records older than their retention, store by store in bounded batches (each DELETE reads one
 * store's index range and removes at most BATCH rows), so it never holds a long lock and a run that is
 * cut short loses nothing. An open alert's evidence is never deleted: its check runs and notifications,
 * and its store's events, heartbeats and probe results since a day before it opened. Alerts themselves
 * are history and are kept.
 */
export class RetentionRepository {
  constructor(private readonly db: Knex) {}

  async prune(days: RetentionDays, now: Date, maxStatements = 5_000): Promise<RetentionReport> {
    const deleted: Record<string, number> = { order_events: 0, heartbeats: 0, check_runs: 0, notifications: 0, store_probes: 0, orders: 0, order_hourly: 0 };
    let statements = 0;
    const before = (d: number) => new Date(now.getTime() - d * DAY_MS);
    const openSince = await this.openAlertStarts();
    // An open alert pulls its store's cut-off back to a day before it opened.
    const cutoff = (storeId: string, base: Date) => {
      const opened = openSince.get(storeId);
      return opened && opened.getTime() - EVIDENCE_BEFORE_OPENING_MS < base.getTime() ? new Date(opened.getTime() - EVIDENCE_BEFORE_OPENING_MS) : base;
    };
    const batches = async (name: string, statement: () => Knex.QueryBuilder | Knex.Raw): Promise<boolean> => {
      for (;;) {
        if (statements >= maxStatements) return false;
        statements += 1;
        const result = await statement();
        const affected = typeof result === 'number' ? result : Number((result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0);
        deleted[name] = (deleted[name] ?? 0) + affected;
        if (affected < BATCH) return true;
      }
    };
    const storeIds: string[] = await this.db('stores').orderBy('id').pluck('id');
    for (const storeId of storeIds) {
      const events = cutoff(storeId, before(days.events));
      const beats = cutoff(storeId, before(days.heartbeats));
      const probes = cutoff(storeId, before(days.probes));
      const orders = cutoff(storeId, before(days.orders));
      const done =
        (await batches('order_events', () =>
          this.db.raw("DELETE FROM order_events WHERE store_id = ? AND occurred_at < ? AND type <> 'heartbeat' LIMIT ?", [storeId, events, BATCH]),
        )) &&
        (await batches('heartbeats', () =>
          this.db.raw("DELETE FROM order_events WHERE store_id = ? AND occurred_at < ? AND type = 'heartbeat' LIMIT ?", [storeId, beats, BATCH]),
        )) &&
        (await batches('check_runs', () =>
          this.db.raw(
            "DELETE FROM check_runs WHERE store_id = ? AND ran_at < ? AND (alert_id IS NULL OR alert_id NOT IN (SELECT id FROM alerts WHERE store_id = ? AND state = 'open')) ORDER BY ran_at LIMIT ?",
            [storeId, before(days.checkRuns), storeId, BATCH],
          ),
        )) &&
        // Deliveries go with their notification (foreign key cascade); one still pending is never old news.
        (await batches('notifications', () =>
          this.db.raw(
            "DELETE FROM notifications WHERE store_id = ? AND created_at < ? AND status <> 'pending' AND (alert_id IS NULL OR alert_id NOT IN (SELECT id FROM alerts WHERE store_id = ? AND state = 'open')) ORDER BY created_at LIMIT ?",
            [storeId, before(days.notifications), storeId, BATCH],
          ),
        )) &&
        (await batches('store_probes', () => this.db.raw('DELETE FROM store_probes WHERE store_id = ? AND probed_at < ? ORDER BY probed_at LIMIT ?', [storeId, probes, BATCH]))) &&
        (await this.pruneOrders(storeId, orders, batches));
      if (!done) return { deleted, unfinished: true };
    }
    return { deleted, unfinished: false };
  }

  /** Orders and their roll-ups go by whole hours, so the roll-ups stay equal to a recount of what is left. */
  private async pruneOrders(storeId: string, before: Date, batches: (name: string, statement: () => Knex.Raw) => Promise<boolean>): Promise<boolean> {
    const hour = Math.floor(before.getTime() / HOUR_MS);
    const edge = new Date(hour * HOUR_MS);
    return (
      (await batches('orders', () => this.db.raw('DELETE FROM orders WHERE store_id = ? AND created_at < ? ORDER BY created_at LIMIT ?', [storeId, edge, BATCH]))) &&
      (await batches('order_hourly', () => this.db.raw('DELETE FROM order_hourly WHERE store_id = ? AND hour < ? ORDER BY hour LIMIT ?', [storeId, hour, BATCH])))
    );
  }

  private async openAlertStarts(): Promise<Map<string, Date>> {
    const rows: Array<{ store_id: string; opened: Date }> = await this.db('alerts').where({ state: 'open' }).groupBy('store_id').select('store_id', this.db.raw('MIN(opened_at) AS opened'));
    return new Map(rows.map((r) => [r.store_id, new Date(r.opened)]));
  }
}
