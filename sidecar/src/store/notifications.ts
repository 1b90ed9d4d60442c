import type { Knex } from 'knex';

export type NotificationKind =
  | 'alert'
  | 'reminder'
  | 'escalation'
  | 'resolved'
  | 'test'
  | 'blind'
  | 'blind_resolved'
  | 'health'
  | 'health_resolved'
  | 'probe'
  | 'probe_resolved'
  | 'digest'
  | 'weekly_digest'
  | 'all_stores_digest'
  | 'sale'
  | 'sales';
/** `held`: decided during a maintenance window, sent when it is over if its problem still is (or `suppressed`). */
export type NotificationStatus = 'pending' | 'held' | 'suppressed' | 'sent' | 'failed' | 'partial' | 'no_recipients';
export type DeliveryStatus = 'sent' | 'retrying' | 'failed';

export interface NotificationRecord<Content = unknown> {
  id: number;
  /** Null for the all-stores digest, which belongs to no store. */
  storeId: string | null;
  alertId: number | null;
  kind: NotificationKind;
  status: NotificationStatus;
  content: Content;
  createdAt: Date;
  completedAt: Date | null;
}

export interface DeliveryRecord {
  id: number;
  notificationId: number;
  channel: string;
  recipient: string;
  attempt: number;
  status: DeliveryStatus;
  response: string | null;
  attemptedAt: Date;
}

function toNotification(row: Record<string, any>): NotificationRecord {
  return {
    id: Number(row.id),
    storeId: row.store_id,
    alertId: row.alert_id === null ? null : Number(row.alert_id),
    kind: row.kind,
    status: row.status,
    content: JSON.parse(row.content),
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

/** What alerting kinds count against the cooldown and the daily limit (a recovery notice does not). */
const ALERTING_KINDS: NotificationKind[] = ['alert', 'reminder'];

export class NotificationRepository {
  constructor(private readonly db: Knex) {}

  async create<Content>(
    trx: Knex,
    n: { storeId: string | null; alertId: number | null; kind: NotificationKind; content: Content; createdAt: Date; status?: 'pending' | 'held' },
  ): Promise<number> {
    const [id] = await trx('notifications').insert({
      store_id: n.storeId,
      alert_id: n.alertId,
      kind: n.kind,
      status: n.status ?? 'pending',
      content: JSON.stringify(n.content),
      created_at: n.createdAt,
      completed_at: null,
    });
    return Number(id);
  }

  async find<Content>(id: number): Promise<NotificationRecord<Content> | null> {
    const row = await this.db('notifications').where({ id }).first();
    return row ? (toNotification(row) as NotificationRecord<Content>) : null;
  }

  async complete(id: number, status: Exclude<NotificationStatus, 'pending'>, at: Date): Promise<void> {
    await this.db('notifications').where({ id }).update({ status, completed_at: at });
  }

  async alertingStats(trx: Knex, storeId: string, now: Date): Promise<{ lastNotifiedAt: Date | null; last24h: number }> {
    const since = new Date(now.getTime() - 24 * 3600_000);
    const row = await trx('notifications')
      .where({ store_id: storeId })
      .whereIn('kind', ALERTING_KINDS)
      .select(trx.raw('MAX(created_at) AS last'), trx.raw('SUM(created_at > ?) AS recent', [since]))
      .first();
    return { lastNotifiedAt: row?.last ?? null, last24h: Number(row?.recent ?? 0) };
  }

  /** Notices held back by a maintenance window, oldest first. */
  async held(limit = 200): Promise<Array<{ id: number; storeId: string; alertId: number | null }>> {
    const rows = await this.db('notifications').where('status', 'held').orderBy('id').limit(limit).select('id', 'store_id', 'alert_id');
    return rows.map((r) => ({ id: Number(r.id), storeId: r.store_id as string, alertId: r.alert_id === null ? null : Number(r.alert_id) }));
  }

  /** Compare-and-set: a held notice is released or suppressed once. */
  async releaseHeld(trx: Knex, id: number, to: 'pending' | 'suppressed', at: Date): Promise<boolean> {
    const changed = await trx('notifications')
      .where({ id, status: 'held' })
      .update(to === 'pending' ? { status: 'pending', created_at: at } : { status: 'suppressed', completed_at: at });
    return changed > 0;
  }

  /** Notifications still waiting to be sent, e.g. because Redis was down when they were created. */
  async pendingIds(olderThan: Date, limit = 200): Promise<number[]> {
    const ids = await this.db('notifications').where('status', 'pending').andWhere('created_at', '<', olderThan).orderBy('id').limit(limit).pluck('id');
    return ids.map(Number);
  }

  async recordDelivery(d: Omit<DeliveryRecord, 'id'>): Promise<void> {
    await this.db('deliveries').insert({
      notification_id: d.notificationId,
      channel: d.channel,
      recipient: d.recipient,
      attempt: d.attempt,
      status: d.status,
      response: d.response,
      attempted_at: d.attemptedAt,
    });
  }

  /**
   * Compare-and-set: takes the right to send `notificationId` to `recipient` now. Only one sender holds
   * it at a time: the first to insert the claim, or the one that takes over a claim left `retrying`, or
   * one whose holder's lease ran out (it died while sending). A claim that ended `sent` or `failed` is
   * never taken again.
   */
  async claimTarget(notificationId: number, recipient: string, by: string, now: Date, leaseMs: number): Promise<boolean> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const [inserted] = (await this.db.raw(
      'INSERT IGNORE INTO delivery_claims (notification_id, recipient, state, claimed_by, lease_until, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [notificationId, recipient, 'sending', by, leaseUntil, now],
    )) as [{ affectedRows: number }];
    if (inserted.affectedRows > 0) return true;
    const taken = await this.db('delivery_claims')
      .where({ notification_id: notificationId, recipient })
      .andWhere((q) => q.where('state', 'retrying').orWhere((expired) => expired.where('state', 'sending').andWhere('lease_until', '<', now)))
      .update({ state: 'sending', claimed_by: by, lease_until: leaseUntil, updated_at: now });
    return taken > 0;
  }

  /** Ends the caller's own claim with the attempt's result; a claim taken over by another is left alone. */
  async settleClaim(notificationId: number, recipient: string, by: string, state: DeliveryStatus, now: Date): Promise<void> {
    await this.db('delivery_claims')
      .where({ notification_id: notificationId, recipient, claimed_by: by, state: 'sending' })
      .update({ state, lease_until: null, updated_at: now });
  }

  async deliveries(notificationIds: readonly number[]): Promise<DeliveryRecord[]> {
    if (notificationIds.length === 0) return [];
    const rows = await this.db('deliveries').whereIn('notification_id', notificationIds).orderBy('id');
    return rows.map((row) => ({
      id: Number(row.id),
      notificationId: Number(row.notification_id),
      channel: row.channel,
      recipient: row.recipient,
      attempt: row.attempt,
      status: row.status,
      response: row.response,
      attemptedAt: row.attempted_at,
    }));
  }

  async forAlerts(alertIds: readonly number[]): Promise<NotificationRecord[]> {
    if (alertIds.length === 0) return [];
    const rows = await this.db('notifications').whereIn('alert_id', alertIds).orderBy('id');
    return rows.map(toNotification);
  }
}
