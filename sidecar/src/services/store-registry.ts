import type { Knex } from 'knex';
import { defaultSettings, type Settings, type SettingsResult } from '../domain/settings';
import { isKnownTimeZone } from '../domain/time';
import type { CheckScheduler, ScheduledStore } from '../queue/check-scheduler';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';

export class RegistrationError extends Error {}

const scheduledStore = (id: string, settings: Settings): ScheduledStore => ({
  id,
  enabled: settings.enabled,
  intervalMinutes: settings.check_interval_minutes,
});

/**
 * Registering, changing and removing stores, keeping each store's check schedule in step with its
 * settings. MariaDB is the truth: if Redis misses an update, the next reconcile repairs it.
 */
export class StoreRegistry {
  constructor(
    private readonly db: Knex,
    private readonly stores: StoreRepository,
    private readonly settings: SettingsRepository,
    private readonly scheduler: CheckScheduler,
  ) {}

  async add(input: { name: string; url: string; timezone: string }): Promise<StoreRecord> {
    const name = input.name.trim();
    if (!name) throw new RegistrationError('--name is required, e.g. --name "My Shop"');
    if (!isKnownTimeZone(input.timezone)) {
      throw new RegistrationError(`Unknown time zone "${input.timezone}": use an IANA name such as Europe/Berlin or America/New_York`);
    }
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new RegistrationError(`--url must be the store's address, e.g. https://shop.example (got "${input.url}")`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RegistrationError('--url must start with https:// or http://');
    const settings = defaultSettings(input.timezone);
    const store = await this.stores.create({ name, url: url.toString(), settings });
    await this.scheduler.apply(scheduledStore(store.id, settings));
    return store;
  }

  async remove(storeId: string): Promise<boolean> {
    const removed = await this.stores.remove(storeId);
    await this.scheduler.remove(storeId);
    return removed;
  }

  async updateSettings(storeId: string, change: unknown, changedBy: string): Promise<SettingsResult | null> {
    const result = await this.settings.update(storeId, change, changedBy);
    if (result?.ok) await this.scheduler.apply(scheduledStore(storeId, result.settings));
    return result;
  }

  async reconcileSchedules(): Promise<{ scheduled: number; removed: number }> {
    const rows = await this.db('store_settings').select('store_id', 'settings');
    const wanted = rows.map((row) => scheduledStore(row.store_id as string, JSON.parse(row.settings as string) as Settings));
    return this.scheduler.reconcile(wanted);
  }
}
