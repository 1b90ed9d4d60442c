import type { Knex } from 'knex';
import type { ProbeFailure, ProbeResult, ProbeTarget } from '../domain/probe';

interface ProbeRow {
  store_id: string;
  run_at: Date;
  target: ProbeTarget;
  url: string;
  probed_at: Date;
  ok: number | boolean;
  failure: ProbeFailure | null;
  status: number | null;
  ttfb_ms: number | null;
  detail: string;
}

const toResult = (row: ProbeRow): ProbeResult => ({
  target: row.target,
  url: row.url,
  at: row.probed_at,
  ok: Boolean(row.ok),
  failure: row.failure,
  status: row.status,
  ttfbMs: row.ttfb_ms,
  detail: row.detail,
});

export interface UptimeCounts {
  byTarget: Array<{ target: ProbeTarget; total: number; passed: number }>;
  /** Runs, and runs in which every target passed. */
  runs: { total: number; passed: number };
}

/** What the store probe saw: one row per request, kept 35 days. */
export class ProbeRepository {
  constructor(private readonly db: Knex) {}

  async insertRun(storeId: string, runAt: Date, results: readonly ProbeResult[]): Promise<void> {
    if (results.length === 0) return;
    await this.db('store_probes').insert(
      results.map((r) => ({
        store_id: storeId,
        run_at: runAt,
        target: r.target,
        url: r.url.slice(0, 2000),
        probed_at: r.at,
        ok: r.ok,
        failure: r.failure,
        status: r.status,
        ttfb_ms: r.ttfbMs,
        detail: r.detail.slice(0, 500),
      })),
    );
  }

  /**
   * Claims a probe run of the store: moves `stores.probe_claimed_at` to `now` only if the last run
   * began at least `minMs` before (compare-and-set in one UPDATE, so of two runs at once exactly one
   * wins). False: a run began less than `minMs` ago, or the store is gone.
   */
  async claimRun(storeId: string, now: Date, minMs: number): Promise<boolean> {
    const changed = await this.db('stores')
      .where({ id: storeId })
      .andWhere((q) => q.whereNull('probe_claimed_at').orWhere('probe_claimed_at', '<=', new Date(now.getTime() - minMs)))
      .update({ probe_claimed_at: now });
    return changed === 1;
  }

  /** The results of the last `runs` runs, newest first. */
  async recent(storeId: string, runs: number): Promise<ProbeResult[]> {
    const runTimes = await this.db('store_probes').where({ store_id: storeId }).distinct('run_at').orderBy('run_at', 'desc').limit(runs);
    if (runTimes.length === 0) return [];
    const oldest = runTimes[runTimes.length - 1]!.run_at as Date;
    const rows = await this.db<ProbeRow>('store_probes').where({ store_id: storeId }).where('run_at', '>=', oldest).orderBy('id', 'desc');
    return rows.map(toResult);
  }

  async uptime(storeId: string, since: Date): Promise<UptimeCounts> {
    const [byTarget, [runs]] = await Promise.all([
      this.db('store_probes')
        .where({ store_id: storeId })
        .where('probed_at', '>=', since)
        .groupBy('target')
        .select('target', this.db.raw('COUNT(*) AS total'), this.db.raw('SUM(ok) AS passed')),
      this.db('store_probes')
        .where({ store_id: storeId })
        .where('probed_at', '>=', since)
        .select(this.db.raw('COUNT(DISTINCT run_at) AS total'), this.db.raw('COUNT(DISTINCT CASE WHEN ok = 0 THEN run_at END) AS failed')),
    ]);
    return {
      byTarget: (byTarget as Array<{ target: ProbeTarget; total: number | string; passed: number | string | null }>).map((r) => ({
        target: r.target,
        total: Number(r.total),
        passed: Number(r.passed ?? 0),
      })),
      runs: { total: Number(runs?.total ?? 0), passed: Number(runs?.total ?? 0) - Number(runs?.failed ?? 0) },
    };
  }

  /** Every result since `since`, oldest first: the response-time chart. */
  async since(storeId: string, since: Date): Promise<ProbeResult[]> {
    const rows = await this.db<ProbeRow>('store_probes').where({ store_id: storeId }).where('probed_at', '>=', since).orderBy('probed_at');
    return rows.map(toResult);
  }

  /** Rows older than `before` go: the status page shows 30 days. */
  async prune(before: Date): Promise<number> {
    return this.db('store_probes').where('probed_at', '<', before).delete();
  }
}
