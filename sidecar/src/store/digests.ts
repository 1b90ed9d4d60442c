import type { Knex } from 'knex';
import type { NotificationKind, NotificationRepository } from './notifications';

/** What a digest is claimed under: a store's daily or weekly digest, or the all-stores one. */
export type DigestKind = 'daily' | 'weekly' | 'all_stores';
/** The scope of the all-stores digest in digest_claims (store ids are 32 characters of base32). */
export const ALL_STORES_SCOPE = '*';

export const claimKey = (scope: string, kind: string, localDate: string): string => `${scope} ${kind} ${localDate}`;

export interface DigestClaim {
  scope: string;
  kind: DigestKind;
  localDate: string;
  notificationId: number | null;
}

/** digest_claims, the CLI's digest recipients, and the reads a digest needs beyond the daily figures. */
export class DigestRepository {
  constructor(
    private readonly db: Knex,
    private readonly notifications: NotificationRepository,
  ) {}

  async claimed(scope: string, kind: DigestKind, localDate: string): Promise<boolean> {
    return (await this.db('digest_claims').where({ scope, kind, local_date: localDate }).first('id')) !== undefined;
  }

  /** The claims of these local dates, as "scope kind date" keys: one query for every store's look. */
  async claimedOn(localDates: readonly string[]): Promise<Set<string>> {
    if (localDates.length === 0) return new Set();
    const rows: Array<{ scope: string; kind: string; local_date: string }> = await this.db('digest_claims')
      .whereIn('local_date', [...new Set(localDates)])
      .select('scope', 'kind', this.db.raw("DATE_FORMAT(local_date, '%Y-%m-%d') AS local_date"));
    return new Set(rows.map((r) => claimKey(r.scope, r.kind, r.local_date)));
  }

  /**
   * Claims (scope, kind, local date) and stores the digest's notification, in one transaction: the first
   * sender to insert the claim gets the notification's id, every other (a second sidecar, a restart, the
   * repeated autumn hour) gets null and sends nothing. The notification is then sent like every other,
   * through delivery_claims; if this process dies before it is queued, the upkeep job queues it.
   */
  async claim(
    c: { scope: string; kind: DigestKind; localDate: string; by: string; now: Date },
    n: { storeId: string | null; kind: NotificationKind; content: unknown },
  ): Promise<number | null> {
    return this.db.transaction(async (trx) => {
      const [inserted] = (await trx.raw('INSERT IGNORE INTO digest_claims (scope, kind, local_date, claimed_by, claimed_at) VALUES (?, ?, ?, ?, ?)', [
        c.scope,
        c.kind,
        c.localDate,
        c.by,
        c.now,
      ])) as [{ affectedRows: number }];
      if (inserted.affectedRows === 0) return null;
      const id = await this.notifications.create(trx, { storeId: n.storeId, alertId: null, kind: n.kind, content: n.content, createdAt: c.now });
      await trx('digest_claims').where({ scope: c.scope, kind: c.kind, local_date: c.localDate }).update({ notification_id: id });
      return id;
    });
  }

  async claims(scope?: string): Promise<DigestClaim[]> {
    const query = this.db('digest_claims').select('scope', 'kind', this.db.raw("DATE_FORMAT(local_date, '%Y-%m-%d') AS local_date"), 'notification_id').orderBy('id');
    if (scope) query.where({ scope });
    const rows: Array<{ scope: string; kind: DigestKind; local_date: string; notification_id: number | null }> = await query;
    return rows.map((r) => ({ scope: r.scope, kind: r.kind, localDate: r.local_date, notificationId: r.notification_id === null ? null : Number(r.notification_id) }));
  }

  /** Claims older than the last weeks are of no use (a day is never claimed again that late). */
  async prune(before: Date, allStoresNotificationsBefore: Date): Promise<void> {
    await this.db('digest_claims').where('claimed_at', '<', before).delete();
    // The all-stores digests belong to no store, so the per-store retention never sees them.
    await this.db('notifications').whereNull('store_id').andWhere('created_at', '<', allStoresNotificationsBefore).andWhereNot('status', 'pending').delete();
  }

  async alertsOpenedAndResolved(storeId: string, start: Date, end: Date): Promise<{ opened: number; resolved: number }> {
    const row = (await this.db('alerts')
      .where({ store_id: storeId })
      .andWhere((q) => q.whereBetween('opened_at', [start, end]).orWhereBetween('resolved_at', [start, end]))
      .select(
        this.db.raw('SUM(opened_at >= ? AND opened_at < ?) AS opened', [start, end]),
        this.db.raw('SUM(resolved_at IS NOT NULL AND resolved_at >= ? AND resolved_at < ?) AS resolved', [start, end]),
      )
      .first()) as { opened: string | number | null; resolved: string | number | null } | undefined;
    return { opened: Number(row?.opened ?? 0), resolved: Number(row?.resolved ?? 0) };
  }

  async openAlerts(storeIds: readonly string[]): Promise<Map<string, number>> {
    if (storeIds.length === 0) return new Map();
    const rows: Array<{ store_id: string; count: number | string }> = await this.db('alerts').where({ state: 'open' }).whereIn('store_id', [...storeIds]).groupBy('store_id').select('store_id', this.db.raw('COUNT(*) AS count'));
    return new Map(rows.map((r) => [r.store_id, Number(r.count)]));
  }

  /** The share of probe runs in [start, end) in which every page passed, in percent; null without runs. */
  async probeUptime(storeId: string, start: Date, end: Date): Promise<number | null> {
    const row = (await this.db('store_probes')
      .where({ store_id: storeId })
      .andWhere('run_at', '>=', start)
      .andWhere('run_at', '<', end)
      .select(this.db.raw('COUNT(DISTINCT run_at) AS total'), this.db.raw('COUNT(DISTINCT CASE WHEN ok = 0 THEN run_at END) AS failed'))
      .first()) as { total: number | string; failed: number | string } | undefined;
    const total = Number(row?.total ?? 0);
    if (total === 0) return null;
    return Math.round(((total - Number(row?.failed ?? 0)) / total) * 1000) / 10;
  }

  async addRecipient(email: string, now = new Date()): Promise<boolean> {
    const [result] = (await this.db.raw('INSERT IGNORE INTO digest_recipients (email, added_at) VALUES (?, ?)', [email, now])) as [{ affectedRows: number }];
    return result.affectedRows > 0;
  }

  async removeRecipient(email: string): Promise<boolean> {
    return (await this.db('digest_recipients').where({ email }).delete()) > 0;
  }

  async recipients(): Promise<string[]> {
    return this.db('digest_recipients').orderBy('email').pluck('email');
  }
}
