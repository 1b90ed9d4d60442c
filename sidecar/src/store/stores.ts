import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Settings } from '../domain/settings';

export interface StoreRecord {
  id: string;
  name: string;
  url: string;
  secret: string;
  createdAt: Date;
  firstContactAt: Date | null;
  lastContactAt: Date | null;
  /** The last health snapshot from the bridge, as it sent it, and when it was taken. */
  health: unknown;
  healthAt: Date | null;
}

/** What the console's overview needs of a store. */
export type StoreSummary = Pick<StoreRecord, 'id' | 'name' | 'url' | 'lastContactAt'>;

interface StoreRow {
  id: string;
  name: string;
  url: string;
  secret: string;
  created_at: Date;
  first_contact_at: Date | null;
  last_contact_at: Date | null;
  health?: string | null;
  health_at?: Date | null;
}

const toRecord = (row: StoreRow): StoreRecord => ({
  id: row.id,
  name: row.name,
  url: row.url,
  secret: row.secret,
  createdAt: row.created_at,
  firstContactAt: row.first_contact_at,
  lastContactAt: row.last_contact_at,
  health: row.health ? JSON.parse(row.health) : null,
  healthAt: row.health_at ?? null,
});

export const newStoreId = (): string => `st_${randomBytes(8).toString('hex')}`;
export const newStoreSecret = (): string => `woomsk_${randomBytes(32).toString('base64url')}`;

export class StoreRepository {
  constructor(private readonly db: Knex) {}

  /** Creates the store with its first settings in one transaction; the secret is returned only here. */
  async create(input: { name: string; url: string; settings: Settings }, now = new Date()): Promise<StoreRecord> {
    const row: StoreRow = {
      id: newStoreId(),
      name: input.name,
      url: input.url.replace(/\/+$/, ''),
      secret: newStoreSecret(),
      created_at: now,
      first_contact_at: null,
      last_contact_at: null,
    };
    await this.db.transaction(async (trx) => {
      await trx('stores').insert(row);
      await trx('store_settings').insert({ store_id: row.id, settings: JSON.stringify(input.settings), updated_at: now });
      await trx('settings_history').insert({
        store_id: row.id,
        changed_by: 'registration',
        changed_at: now,
        old_value: null,
        new_value: JSON.stringify(input.settings),
      });
    });
    return toRecord(row);
  }

  async find(id: string): Promise<StoreRecord | null> {
    const row = await this.db<StoreRow>('stores').where({ id }).first();
    return row ? toRecord(row) : null;
  }

  /**
   * What every scheduled check reads first, in one round trip: the store, its stored settings (as text,
   * for the settings repository to parse), the detectors of its open alerts (the order alert's and the
   * store's own problems'), and whether it has WooCommerce REST keys (whether there is anything to read
   * back before the check).
   */
  async findForCheck(id: string): Promise<{ store: StoreRecord; settings: string | null; openAlertDetectors: string[]; hasRestCredentials: boolean } | null> {
    const row: (StoreRow & { woom_settings: string | null; woom_open: string | null; woom_rest: number | string }) | undefined = await this.db('stores as s')
      .leftJoin('store_settings as ss', 'ss.store_id', 's.id')
      .select(
        's.*',
        'ss.settings as woom_settings',
        // '|'-separated: an order alert's detector may name several, comma-separated ("time_based,rolling_average").
        this.db.raw(`(SELECT GROUP_CONCAT(DISTINCT a.detector SEPARATOR '|') FROM alerts a WHERE a.store_id = s.id AND a.state = 'open') AS woom_open`),
        this.db.raw('EXISTS (SELECT 1 FROM store_rest_credentials c WHERE c.store_id = s.id) AS woom_rest'),
      )
      .where('s.id', id)
      .first();
    if (!row) return null;
    return {
      store: toRecord(row),
      settings: row.woom_settings,
      openAlertDetectors: row.woom_open ? row.woom_open.split('|') : [],
      hasRestCredentials: Number(row.woom_rest) === 1,
    };
  }

  /** Every store as the overview shows it: no secret, no health snapshot to parse. */
  async summaries(): Promise<StoreSummary[]> {
    const rows: Array<Pick<StoreRow, 'id' | 'name' | 'url' | 'last_contact_at'>> = await this.db('stores').select('id', 'name', 'url', 'last_contact_at').orderBy('created_at');
    return rows.map((r) => ({ id: r.id, name: r.name, url: r.url, lastContactAt: r.last_contact_at }));
  }

  /** Every store's id and name, by name: the lists and filters of pages that show no more of a store. */
  async names(): Promise<Array<{ id: string; name: string }>> {
    return this.db('stores').select('id', 'name').orderBy('name');
  }

  async list(): Promise<StoreRecord[]> {
    const rows = await this.db<StoreRow>('stores').orderBy('created_at');
    return rows.map(toRecord);
  }

  /** A page of stores in id order, after `afterId` (the cursor). */
  async page(limit: number, afterId?: string, onlyIds?: readonly string[]): Promise<StoreRecord[]> {
    const query = this.db<StoreRow>('stores').orderBy('id').limit(limit);
    if (afterId) query.where('id', '>', afterId);
    if (onlyIds) query.whereIn('id', [...onlyIds]);
    return (await query).map(toRecord);
  }

  async updateDetails(id: string, change: { name?: string; url?: string }): Promise<boolean> {
    const values = { ...(change.name !== undefined ? { name: change.name } : {}), ...(change.url !== undefined ? { url: change.url.replace(/\/+$/, '') } : {}) };
    if (Object.keys(values).length === 0) return (await this.find(id)) !== null;
    return (await this.db('stores').where({ id }).update(values)) > 0 || (await this.find(id)) !== null;
  }

  async rotateSecret(id: string): Promise<string | null> {
    const secret = newStoreSecret();
    const changed = await this.db('stores').where({ id }).update({ secret });
    return changed ? secret : null;
  }

  /** Everything the store owns goes with it (foreign keys cascade). */
  async remove(id: string): Promise<boolean> {
    return (await this.db('stores').where({ id }).delete()) > 0;
  }

}

/**
 * Records what batches say about when WordPress was talking, for several stores in one statement: the
 * first contact is set once, from a store's earliest event; the last contact only moves forward, so a
 * late batch never makes WordPress look silent for longer. `latest` is null for events that did not come
 * from WordPress itself. Its row locks are taken in the primary key's order, so two of these over
 * overlapping stores queue instead of deadlocking.
 */
export async function recordContacts(db: Knex, contacts: ReadonlyMap<string, { earliest: Date; latest: Date | null }>): Promise<void> {
  if (contacts.size === 0) return;
  const ids = [...contacts.keys()];
  const firstCases = ids.map(() => 'WHEN ? THEN ?').join(' ');
  const withLatest = ids.filter((id) => contacts.get(id)!.latest !== null);
  const lastCases = withLatest.map(() => 'WHEN ? THEN GREATEST(COALESCE(last_contact_at, ?), ?)').join(' ');
  await db.raw(
    `UPDATE stores SET first_contact_at = COALESCE(first_contact_at, CASE id ${firstCases} END)` +
      (withLatest.length > 0 ? `, last_contact_at = CASE id ${lastCases} ELSE last_contact_at END` : '') +
      ` WHERE id IN (${ids.map(() => '?').join(', ')})`,
    [
      ...ids.flatMap((id) => [id, contacts.get(id)!.earliest]),
      ...withLatest.flatMap((id) => [id, contacts.get(id)!.latest, contacts.get(id)!.latest]),
      ...ids,
    ],
  );
}
