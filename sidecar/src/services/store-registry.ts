import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { followedDetection, volumeCadenceMinutes } from '../domain/cadence';
import { checkCadenceMinutes, defaultSettings, type Settings, type SettingsResult } from '../domain/settings';
import { isKnownTimeZone } from '../domain/time';
import type { CheckScheduler, ScheduledStore } from '../queue/check-scheduler';
import type { ProbeSchedule, ProbeScheduler } from '../queue/probe-scheduler';
import type { CadenceRepository } from '../store/cadence';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';

export class RegistrationError extends Error {}

/** `stopDetection`: domain/cadence minimumStopDetectionMinutes of the store's last baseline, if known. */
const scheduledStore = (id: string, settings: Settings, stopDetection?: number): ScheduledStore => ({
  id,
  enabled: settings.enabled,
  intervalMinutes: volumeCadenceMinutes(settings, stopDetection ?? null),
});

/** Settings saved before a setting existed take its default, as SettingsRepository reads them. */
const withDefaults = (stored: Settings): Settings => ({ ...defaultSettings(stored.timezone), ...stored });

const probeSchedule = (id: string, settings: Settings): ProbeSchedule => ({
  id,
  enabled: settings.enabled && settings.probe_enabled,
  intervalMinutes: settings.probe_interval_minutes,
});

/** Suffixed with the database name: sidecars of one deployment share it, other deployments do not. */
const SCHEDULE_LOCK = 'woom_schedules_';
const SCHEDULE_LOCK_WAIT_SECONDS = 30;

/**
 * Registering, changing and removing stores, keeping each store's check schedule in step with its
 * settings. MariaDB is the truth: every change to the schedules reads the settings as they are *now*,
 * under a MariaDB named lock, so a periodic reconcile that read the settings a moment earlier can never
 * bring back the schedule of a store just removed or disabled (in this process, another sidecar or the
 * command line). If Redis misses an update, the next reconcile repairs it.
 */
export class StoreRegistry {
  constructor(
    private readonly db: Knex,
    private readonly stores: StoreRepository,
    private readonly settings: SettingsRepository,
    private readonly scheduler: CheckScheduler,
    /** The store probe's schedules follow the same settings, under the same lock. */
    private readonly probeScheduler: ProbeScheduler | null = null,
    private readonly log: Pick<Logger, 'warn'> | null = null,
    /** What each store's volume says about its cadence; without it adaptive stores are checked every minute. */
    private readonly cadence: CadenceRepository | null = null,
  ) {}

  /** Minutes between the store's scheduled checks, as its schedule has them. */
  async cadenceMinutes(storeId: string, settings: Settings): Promise<number> {
    return volumeCadenceMinutes(settings, (await this.cadence?.get(storeId)) ?? null);
  }

  /**
   * A check learnt the store's volume anew (once an hour, with its baseline). Written, and the schedule
   * changed, only when the cadence moves, and only once the volume is clear of the edge between two
   * cadences (domain/cadence followedDetection): most hours cost one read. Returns the detection time the
   * schedule follows, for the silence calibration, which must assume the checks the schedule makes.
   */
  async observeVolume(storeId: string, settings: Settings, stopDetection: number): Promise<number> {
    if (!this.cadence) return stopDetection;
    const stored = await this.cadence.get(storeId);
    const followed = followedDetection(settings, stored, stopDetection);
    if (followed === stored) return followed;
    const before = volumeCadenceMinutes(settings, stored ?? null);
    const won = await this.cadence.replace(storeId, stored, followed);
    // Not run at once, nor at the new interval's next slot if that is close: the check that learnt the
    // volume has just run. (With a run at once, every first check of a store whose cadence changed ran
    // twice within a second: 132-141 in bench:scale's phase 2 at 1,000 stores; at the next slot, 11-18.)
    if (won && before !== volumeCadenceMinutes(settings, followed)) await this.syncSchedule(storeId, { runNow: false, justRan: true });
    return followed;
  }

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
    await this.syncSchedule(store.id);
    return store;
  }

  async remove(storeId: string): Promise<boolean> {
    const removed = await this.stores.remove(storeId);
    await this.syncSchedule(storeId);
    return removed;
  }

  /**
   * Once the change is committed it is the answer, even if Redis then fails: the maintenance job's
   * reconcile brings the schedule in step within a minute, and a 500 would tell the admin that nothing
   * was saved when it was.
   */
  async updateSettings(storeId: string, change: unknown, changedBy: string): Promise<SettingsResult | null> {
    const result = await this.settings.update(storeId, change, changedBy);
    if (result?.ok) {
      await this.syncSchedule(storeId).catch((error: Error) =>
        this.log?.warn({ storeId, err: error.message }, 'settings saved; the schedule follows at the next reconcile'),
      );
    }
    return result;
  }

  /**
   * Makes one store's schedule match its settings as committed (none for a removed store). `runNow`: a
   * store added or changed is checked (and probed) at once, then at its own point of the interval.
   * `justRan`: a check of the store has just run (StoreJobSchedules.apply).
   */
  async syncSchedule(storeId: string, { runNow = true, justRan = false }: { runNow?: boolean; justRan?: boolean } = {}): Promise<void> {
    await this.withScheduleLock(async (trx) => {
      const settings = await this.settings.get(storeId, trx);
      if (settings) await this.scheduler.apply(scheduledStore(storeId, settings, await this.cadence?.get(storeId, trx)), { runNow, justRan });
      else await this.scheduler.remove(storeId);
      await this.probeScheduler?.apply(settings ? probeSchedule(storeId, settings) : { id: storeId, enabled: false, intervalMinutes: 1 }, { runNow });
    });
  }

  /** `afterRedisLoss`: the schedules Redis lost run once at once (StoreJobSchedules.reconcile). */
  async reconcileSchedules({ afterRedisLoss = false }: { afterRedisLoss?: boolean } = {}): Promise<{ scheduled: number; removed: number; ranNow: number }> {
    return this.withScheduleLock(async (trx) => {
      const rows = await trx('store_settings').select('store_id', 'settings');
      const stored = rows.map((row) => ({ id: row.store_id as string, settings: withDefaults(JSON.parse(row.settings as string) as Settings) }));
      const volumes = (await this.cadence?.all(trx)) ?? new Map<string, number>();
      const options = { runMissingNow: afterRedisLoss };
      const checks = await this.scheduler.reconcile(stored.map((s) => scheduledStore(s.id, s.settings, volumes.get(s.id))), options);
      await this.probeScheduler?.reconcile(stored.map((s) => probeSchedule(s.id, s.settings)), options);
      return checks;
    });
  }

  /** GET_LOCK belongs to one connection, so the work runs inside a transaction that pins one. */
  private async withScheduleLock<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      const [[row]] = (await trx.raw('SELECT GET_LOCK(CONCAT(?, DATABASE()), ?) AS got', [SCHEDULE_LOCK, SCHEDULE_LOCK_WAIT_SECONDS])) as [[{ got: number | null }]];
      if (row?.got !== 1) throw new Error(`Could not take the schedule lock within ${SCHEDULE_LOCK_WAIT_SECONDS} s`);
      try {
        return await work(trx);
      } finally {
        await trx.raw('SELECT RELEASE_LOCK(CONCAT(?, DATABASE()))', [SCHEDULE_LOCK]);
      }
    });
  }
}
