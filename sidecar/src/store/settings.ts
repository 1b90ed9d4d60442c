import type { Knex } from 'knex';
import { defaultSettings, mergeSettings, settingsSchema, type Settings, type SettingsResult } from '../domain/settings';

/** Parsed settings kept by their stored text: a few per store. */
const PARSED_KEPT = 20_000;

export class SettingsRepository {
  constructor(private readonly db: Knex) {}

  async get(storeId: string, trx: Knex = this.db): Promise<Settings | null> {
    const row = await trx('store_settings').where({ store_id: storeId }).first('settings');
    return row ? this.parse(row.settings as string) : null;
  }

  /**
   * Many stores' settings at once, to read only (the console's overview): the kept instances themselves,
   * frozen, so a 1,000-store view copies nothing.
   */
  async getMany(storeIds: readonly string[]): Promise<Map<string, Readonly<Settings>>> {
    if (storeIds.length === 0) return new Map();
    const rows: Array<{ store_id: string; settings: string }> = await this.db('store_settings').whereIn('store_id', [...storeIds]).select('store_id', 'settings');
    return new Map(rows.map((r) => [r.store_id, this.kept(r.settings)]));
  }

  /**
   * Validates the change against the current settings under a row lock, so two concurrent PUTs cannot
   * interleave, then writes the new settings and a history row together, or nothing at all.
   */
  async update(storeId: string, change: unknown, changedBy: string, now = new Date()): Promise<SettingsResult | null> {
    return this.db.transaction(async (trx) => {
      const row = await trx('store_settings').where({ store_id: storeId }).forUpdate().first('settings');
      if (!row) return null;
      const current = this.parse(row.settings as string);
      const result = mergeSettings(current, change);
      if (!result.ok) return result;
      if (JSON.stringify(current) === JSON.stringify(result.settings)) return result;
      await trx('store_settings')
        .where({ store_id: storeId })
        .update({ settings: JSON.stringify(result.settings), updated_at: now });
      await trx('settings_history').insert({
        store_id: storeId,
        changed_by: changedBy.slice(0, 200),
        changed_at: now,
        old_value: JSON.stringify(current),
        new_value: JSON.stringify(result.settings),
      });
      return result;
    });
  }


  /**
   * Settings added by later versions take their defaults for stores saved before them. The schema's
   * check costs about half a millisecond a store, which a 1,000-store overview paid on every view, so the
   * result is kept by the stored text (the same text always gives the same settings); each caller gets a
   * copy of its own.
   */
  /** Settings from their stored text, read by another query (a check's first read, stores.findForCheck). */
  fromStored(json: string): Settings {
    return this.parse(json);
  }

  private parse(json: string): Settings {
    return structuredClone(this.kept(json)) as Settings;
  }

  private kept(json: string): Readonly<Settings> {
    let parsed = this.parsed.get(json);
    if (!parsed) {
      const stored = JSON.parse(json) as Settings;
      parsed = deepFreeze(settingsSchema.parse({ ...defaultSettings(stored.timezone), ...stored }));
      if (this.parsed.size >= PARSED_KEPT) this.parsed.clear();
      this.parsed.set(json, parsed);
    }
    return parsed;
  }

  private readonly parsed = new Map<string, Readonly<Settings>>();
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object)) deepFreeze(inner);
  }
  return value;
}
