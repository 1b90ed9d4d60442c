import type { Knex } from 'knex';
import type { OpenAlertFacts } from '../domain/alert-policy';

export const REPORTING_DETECTOR = 'reporting';
export const HEALTH_DETECTOR = 'health';
/** The store probe's alert: the store's own pages fail when requested (README: "Store probe"). */
export const PROBE_DETECTOR = 'probe';
/** Problems of the store itself, each an alert of its own beside the (one) order alert. */
/** An alert an operator opened by hand (API or console): recorded and shown, never judged by a check. */
export const MANUAL_DETECTOR = 'manual';
/** The store's own alerts (WordPress silent, its health, the probe, a manual one): not the order check's. */
export const STORE_DETECTORS = [REPORTING_DETECTOR, HEALTH_DETECTOR, PROBE_DETECTOR, MANUAL_DETECTOR];

export interface AlertRecord {
  id: number;
  storeId: string;
  detector: string;
  severity: string;
  state: 'open' | 'resolved';
  openedAt: Date;
  resolvedAt: Date | null;
  lastNotifiedAt: Date | null;
  firstNotifiedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  escalatedAt: Date | null;
  details: Record<string, unknown>;
  /** Set when a person resolved it by hand. */
  resolvedBy?: string | null;
  resolutionNote?: string | null;
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
  first_notified_at?: Date | null;
  acknowledged_at?: Date | null;
  acknowledged_by?: string | null;
  escalated_at?: Date | null;
  details: string;
  resolved_by?: string | null;
  resolution_note?: string | null;
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
  firstNotifiedAt: row.first_notified_at ?? null,
  acknowledgedAt: row.acknowledged_at ?? null,
  acknowledgedBy: row.acknowledged_by ?? null,
  escalatedAt: row.escalated_at ?? null,
  details: JSON.parse(row.details) as Record<string, unknown>,
  resolvedBy: row.resolved_by ?? null,
  resolutionNote: row.resolution_note ?? null,
});

export type AcknowledgeResult =
  | { result: 'acknowledged'; alert: AlertRecord }
  | { result: 'already_acknowledged'; alert: AlertRecord }
  | { result: 'resolved'; alert: AlertRecord }
  | { result: 'not_found' };

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

  /** Every open alert of the store: the order alert and the store's own problems. */
  async openAlerts(storeId: string): Promise<AlertRecord[]> {
    const rows = await this.db<AlertRow>('alerts').where({ store_id: storeId, state: 'open' }).orderBy('id', 'desc');
    return rows.map(toRecord);
  }

  static openAlertFacts(alert: AlertRecord | null): OpenAlertFacts | null {
    if (!alert) return null;
    return {
      id: alert.id,
      openedAt: alert.openedAt,
      lastNotifiedAt: alert.lastNotifiedAt,
      severity: alert.severity === 'critical' ? 'critical' : 'warning',
      firstNotifiedAt: alert.firstNotifiedAt,
      acknowledgedAt: alert.acknowledgedAt,
      escalatedAt: alert.escalatedAt,
      detectors: alert.detector.split(','),
    };
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
      first_notified_at: alert.notifiedAt,
      details: JSON.stringify(alert.details),
    });
    return Number(id);
  }

  /**
   * The admin was told now. The alert's severity is the worst it was told, so a warning that became
   * critical is news once (domain/alert-policy), not each time the numbers swing back and forth. The
   * first notice of an alert held until now (`firstNotice`) sets it as told.
   *
   * Compare-and-set on what the caller decided from: the alert must still be open and, when
   * `decidedFrom` is given, still last notified when the caller saw it. The store's row lock already
   * orders decisions; this makes a notice decided from a stale view of the alert (a second sidecar
   * whose lock did not hold, a retried job) change nothing and send nothing. False when it did not apply.
   */
  async markNotified(trx: Knex, alertId: number, at: Date, severity: string, firstNotice = false, decidedFrom?: Date | null): Promise<boolean> {
    const query = trx('alerts').where({ id: alertId, state: 'open' });
    if (decidedFrom !== undefined) query.andWhereRaw('last_notified_at <=> ?', [decidedFrom]);
    const changed = await query.update({
      last_notified_at: at,
      first_notified_at: trx.raw('COALESCE(first_notified_at, ?)', [at]),
      severity: severity === 'critical' || firstNotice ? severity : trx.raw('severity'),
    });
    return changed > 0;
  }

  /** Compare-and-set: only the first caller escalates an open, unacknowledged, never escalated alert. */
  async markEscalated(trx: Knex, alertId: number, at: Date): Promise<boolean> {
    const changed = await trx('alerts')
      .where({ id: alertId, state: 'open' })
      .whereNull('escalated_at')
      .whereNull('acknowledged_at')
      .update({ escalated_at: at });
    return changed > 0;
  }

  /**
   * Compare-and-set, under the store's row lock so it is ordered with the alert decisions: a check that
   * runs after it sees the acknowledgement, one that ran before has committed its notices.
   */
  async acknowledge(alertId: number, by: string, at: Date, storeId?: string): Promise<AcknowledgeResult> {
    return this.db.transaction(async (trx) => {
      const row = await trx<AlertRow>('alerts').where({ id: alertId }).first();
      if (!row || (storeId !== undefined && row.store_id !== storeId)) return { result: 'not_found' };
      await this.lockStore(trx, row.store_id);
      const changed = await trx('alerts')
        .where({ id: alertId, state: 'open' })
        .whereNull('acknowledged_at')
        .update({ acknowledged_at: at, acknowledged_by: by.slice(0, 320) });
      const alert = toRecord((await trx<AlertRow>('alerts').where({ id: alertId }).first())!);
      if (changed > 0) return { result: 'acknowledged', alert };
      return alert.state === 'resolved' && !alert.acknowledgedAt ? { result: 'resolved', alert } : { result: 'already_acknowledged', alert };
    });
  }

  /** Compare-and-set: only an open alert resolves, so a second resolver changes nothing. */
  async resolve(trx: Knex, alertId: number, at: Date): Promise<boolean> {
    return (await trx('alerts').where({ id: alertId, state: 'open' }).update({ state: 'resolved', resolved_at: at })) > 0;
  }

  /** What an open alert says now (its findings), while it stays open; a resolved one is left as it ended. */
  async updateDetails(trx: Knex, alertId: number, details: unknown): Promise<boolean> {
    return (await trx('alerts').where({ id: alertId, state: 'open' }).update({ details: JSON.stringify(details) })) > 0;
  }

  /** Every store's open alert of one store-problem kind, for upkeep across stores. */
  async openStoreAlertsOfKind(detector: (typeof STORE_DETECTORS)[number]): Promise<AlertRecord[]> {
    const rows = await this.db<AlertRow>('alerts').where({ state: 'open', detector }).orderBy('id');
    return rows.map(toRecord);
  }

  async find(alertId: number, trx: Knex = this.db): Promise<AlertRecord | null> {
    const row = await trx<AlertRow>('alerts').where({ id: alertId }).first();
    return row ? toRecord(row) : null;
  }

  async list(storeId: string, limit = 100): Promise<AlertRecord[]> {
    const rows = await this.db<AlertRow>('alerts').where({ store_id: storeId }).orderBy('id', 'desc').limit(limit);
    return rows.map(toRecord);
  }

  /** An alert opened by hand: recorded and shown; no check judges it and no notice goes out. */
  async openManual(input: { storeId: string; severity: string; summary: string; by: string; at: Date }): Promise<number> {
    return this.insert(this.db, {
      storeId: input.storeId,
      detector: MANUAL_DETECTOR,
      severity: input.severity,
      openedAt: input.at,
      notifiedAt: null,
      details: { findings: [{ summary: input.summary }], opened_by: input.by },
    });
  }

  /** Every open alert of many stores (the console's overview), newest first. */
  async openAlertsForStores(storeIds: readonly string[]): Promise<AlertRecord[]> {
    if (storeIds.length === 0) return [];
    const rows = await this.db<AlertRow>('alerts').whereIn('store_id', [...storeIds]).andWhere({ state: 'open' }).orderBy('id', 'desc');
    return rows.map(toRecord);
  }

  /**
   * Alerts across stores, newest first, filtered; `beforeId` is the cursor (the last id of the previous
   * page), so a page never repeats or skips an alert while new ones open.
   */
  async listAcross(filter: { storeIds?: readonly string[]; state?: string; severity?: string; from?: Date; to?: Date; beforeId?: number }, limit: number): Promise<AlertRecord[]> {
    const query = this.db<AlertRow>('alerts').orderBy('id', 'desc').limit(limit);
    if (filter.storeIds) query.whereIn('store_id', [...filter.storeIds]);
    if (filter.state) query.andWhere('state', filter.state);
    if (filter.severity) query.andWhere('severity', filter.severity);
    if (filter.from) query.andWhere('opened_at', '>=', filter.from);
    if (filter.to) query.andWhere('opened_at', '<', filter.to);
    if (filter.beforeId !== undefined) query.andWhere('id', '<', filter.beforeId);
    return (await query).map(toRecord);
  }

  /**
   * Resolved by a person, with who and why. Compare-and-set under the store's lock like every alert
   * decision: a second resolver, or a check that resolved it first, changes nothing (false).
   */
  async resolveByHand(alertId: number, by: string, note: string, at: Date): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const row = await trx<AlertRow>('alerts').where({ id: alertId }).first('store_id');
      if (!row) return false;
      await this.lockStore(trx, row.store_id);
      const changed = await trx('alerts')
        .where({ id: alertId, state: 'open' })
        .update({ state: 'resolved', resolved_at: at, resolved_by: by.slice(0, 320), resolution_note: note });
      return changed > 0;
    });
  }

  /** The newest check's results of many stores (their learning state). */
  async lastCheckResultsForStores(storeIds: readonly string[]): Promise<Map<string, unknown>> {
    if (storeIds.length === 0) return new Map();
    // MAX(ran_at) reads one entry per store from the (store_id, ran_at) index; MAX(id) per store read
    // every check run a store ever had (a run a minute, kept for weeks).
    const latest = this.db('check_runs').whereIn('store_id', [...storeIds]).groupBy('store_id').select('store_id').max({ at: 'ran_at' }).as('m');
    const rows: Array<{ store_id: string; results: string }> = await this.db('check_runs as c')
      .join(latest, (j) => j.on('c.store_id', '=', 'm.store_id').andOn('c.ran_at', '=', 'm.at'))
      .select('c.store_id', 'c.results')
      .orderBy('c.id');
    // Two runs in one millisecond: the later row wins.
    return new Map(rows.map((r) => [r.store_id, JSON.parse(r.results)]));
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

  /** Whether a scheduled check of the store was recorded at or after `since`. */
  async scheduledCheckSince(storeId: string, since: Date): Promise<boolean> {
    const row = await this.db('check_runs').where({ store_id: storeId, trigger: 'schedule' }).where('ran_at', '>=', since).first('id');
    return row !== undefined;
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
