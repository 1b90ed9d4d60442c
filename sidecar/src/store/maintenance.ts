import type { Knex } from 'knex';
import type { MaintenanceWindow } from '../domain/maintenance';

interface WindowRow {
  id: number | string;
  store_id: string;
  starts_at: Date;
  ends_at: Date;
  reason: string | null;
  created_by: string;
  created_at: Date;
  ended_at: Date | null;
  ended_by: string | null;
}

const toWindow = (row: WindowRow): MaintenanceWindow => ({
  id: Number(row.id),
  storeId: row.store_id,
  startsAt: row.starts_at,
  endsAt: row.ends_at,
  reason: row.reason,
  createdBy: row.created_by,
  createdAt: row.created_at,
  endedAt: row.ended_at,
  endedBy: row.ended_by,
});

/** Maintenance windows, one row each; ending one early is an update of its row, never a delete. */
export class MaintenanceRepository {
  constructor(private readonly db: Knex) {}

  async create(w: { storeId: string; startsAt: Date; endsAt: Date; reason: string | null; createdBy: string; createdAt: Date }): Promise<MaintenanceWindow> {
    const [id] = await this.db('maintenance_windows').insert({
      store_id: w.storeId,
      starts_at: w.startsAt,
      ends_at: w.endsAt,
      reason: w.reason,
      created_by: w.createdBy.slice(0, 200),
      created_at: w.createdAt,
      ended_at: null,
      ended_by: null,
    });
    return (await this.find(w.storeId, Number(id)))!;
  }

  async find(storeId: string, id: number): Promise<MaintenanceWindow | null> {
    const row = await this.db<WindowRow>('maintenance_windows').where({ id, store_id: storeId }).first();
    return row ? toWindow(row) : null;
  }

  /** Windows not over at `now` (current and upcoming), soonest first. */
  async currentAndUpcoming(storeId: string, now: Date, trx: Knex = this.db): Promise<MaintenanceWindow[]> {
    const rows = await trx<WindowRow>('maintenance_windows')
      .where({ store_id: storeId })
      .andWhere('ends_at', '>', now)
      .andWhere((q) => q.whereNull('ended_at').orWhere('ended_at', '>', now))
      .orderBy('starts_at');
    return rows.map(toWindow);
  }

  /** currentAndUpcoming for many stores at once. */
  async currentAndUpcomingForStores(storeIds: readonly string[], now: Date): Promise<MaintenanceWindow[]> {
    if (storeIds.length === 0) return [];
    const rows = await this.db<WindowRow>('maintenance_windows')
      .whereIn('store_id', [...storeIds])
      .andWhere('ends_at', '>', now)
      .andWhere((q) => q.whereNull('ended_at').orWhere('ended_at', '>', now))
      .orderBy('starts_at');
    return rows.map(toWindow);
  }

  /** Compare-and-set: a window ends early once; ending one that is over changes nothing. */
  async end(storeId: string, id: number, by: string, now: Date): Promise<boolean> {
    const changed = await this.db('maintenance_windows')
      .where({ id, store_id: storeId })
      .andWhere('ends_at', '>', now)
      .whereNull('ended_at')
      .update({ ended_at: now, ended_by: by.slice(0, 200) });
    return changed > 0;
  }
}
