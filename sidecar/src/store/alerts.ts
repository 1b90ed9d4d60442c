import type { Knex } from 'knex';
import type { OpenAlertFacts } from '../domain/alert-policy';

export const REPORTING_DETECTOR = 'reporting';
export const HEALTH_DETECTOR = 'health';
/** Problems of the store itself, each an alert of its own beside the (one) order alert. */
const STORE_DETECTORS = [REPORTING_DETECTOR, HEALTH_DETECTOR];

export interface AlertRecord {
  id: number;
  storeId: string;
  detector: string;
  severity: string;
  state: 'open' | 'resolved';
  openedAt: Date;
  resolvedAt: Date | null;
  lastNotifiedAt: Date | null;
  details: Record<string, unknown>;
}

interface AlertRow {
  id: number | string;
  store_id: string;
  detector: string;
  severity: string;
  state: 'open' | 'resolved';
  opened_at: Date;
  resolved_at: Date | null;
  last_notified_at: Date | null;
  details: string;
}

const toRecord = (row: AlertRow): AlertRecord => ({
  id: Number(row.id),
  storeId: row.store_id,
  detector: row.detector,
  severity: row.severity,
  state: row.state,
  openedAt: row.opened_at,
  resolvedAt: row.resolved_at,
  lastNotifiedAt: row.last_notified_at,
  details: JSON.parse(row.details) as Record<string, unknown>,
});

export interface CheckRunRecord {
  id: number;
  ranAt: Date;
  trigger: string;
  mode: string;
  results: unknown;
  decision: string;
  heldBy: string | null;
  alertId: number | null;
}

/** Alerts and check runs: the history of what WOOM saw and decided, one row per event. */
export class AlertRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Serialises every alert decision of one store: whoever holds this lock (a scheduled check, an
   * event-triggered check, a second sidecar) sees the state the previous one committed.
   */
  async lockStore(trx: Knex.Transaction, storeId: string): Promise<boolean> {
    const row = await trx('stores').where({ id: storeId }).forUpdate().first('id');
    return Boolean(row);
  }

  /**
   * The store's open order alert. "WordPress stopped reporting" and "checkout cannot work" are problems
   * of their own, with alerts of their own.
   */
  async openAlert(storeId: string, trx: Knex = this.db): Promise<AlertRecord | null> {
    const row = await trx<AlertRow>('alerts')
      .where({ store_id: storeId, state: 'open' })
      .whereNotIn('detector', STORE_DETECTORS)
      .orderBy('id', 'desc')
      .first();
    return row ? toRecord(row) : null;
  }

  async openStoreAlert(storeId: string, detector: (typeof STORE_DETECTORS)[number], trx: Knex = this.db): Promise<AlertRecord | null> {
    const row = await trx<AlertRow>('alerts').where({ store_id: storeId, state: 'open', detector }).first();
    return row ? toRecord(row) : null;
  }

  static openAlertFacts(alert: AlertRecord | null): OpenAlertFacts | null {
    return alert ? { id: alert.id, openedAt: alert.openedAt, lastNotifiedAt: alert.lastNotifiedAt } : null;
  }

  async insert(
    trx: Knex,
    alert: { storeId: string; detector: string; severity: string; openedAt: Date; notifiedAt: Date | null; details: unknown },
  ): Promise<number> {
    const [id] = await trx('alerts').insert({
      store_id: alert.storeId,
      detector: alert.detector,
      severity: alert.severity,
      state: 'open',
      opened_at: alert.openedAt,
      resolved_at: null,
      last_notified_at: alert.notifiedAt,
      details: JSON.stringify(alert.details),
    });
    return Number(id);
  }

  async markNotified(trx: Knex, alertId: number, at: Date, severity: string): Promise<void> {
    await trx('alerts').where({ id: alertId }).update({ last_notified_at: at, severity });
  }

  /** Compare-and-set: only an open alert resolves, so a second resolver changes nothing. */
  async resolve(trx: Knex, alertId: number, at: Date): Promise<boolean> {
    return (await trx('alerts').where({ id: alertId, state: 'open' }).update({ state: 'resolved', resolved_at: at })) > 0;
  }

  async find(alertId: number): Promise<AlertRecord | null> {
    const row = await this.db<AlertRow>('alerts').where({ id: alertId }).first();
    return row ? toRecord(row) : null;
  }

  async list(storeId: string, limit = 100): Promise<AlertRecord[]> {
    const rows = await this.db<AlertRow>('alerts').where({ store_id: storeId }).orderBy('id', 'desc').limit(limit);
    return rows.map(toRecord);
  }

  async recordCheckRun(
    trx: Knex,
    run: { storeId: string; ranAt: Date; trigger: string; mode: string; results: unknown; decision: string; heldBy: string | null; alertId: number | null },
  ): Promise<number> {
    const [id] = await trx('check_runs').insert({
      store_id: run.storeId,
      ran_at: run.ranAt,
      trigger: run.trigger,
      mode: run.mode,
      results: JSON.stringify(run.results),
      decision: run.decision,
      held_by: run.heldBy,
      alert_id: run.alertId,
    });
    return Number(id);
  }

  async lastCheckRun(storeId: string): Promise<CheckRunRecord | null> {
    const row = await this.db('check_runs').where({ store_id: storeId }).orderBy('id', 'desc').first();
    if (!row) return null;
    return {
      id: Number(row.id),
      ranAt: row.ran_at,
      trigger: row.trigger,
      mode: row.mode,
      results: JSON.parse(row.results),
      decision: row.decision,
      heldBy: row.held_by,
      alertId: row.alert_id === null ? null : Number(row.alert_id),
    };
  }
}
