import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CadenceRepository } from '../../sidecar/src/store/cadence';
import { eventually } from '../helpers/eventually';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { signed } from '../helpers/signing';

let sidecar: SidecarHandle;
beforeAll(async () => {
  sidecar = await startSidecar();
});
afterAll(async () => sidecar?.close());

/** Eight weeks of `perDay` customer orders a day, written straight into MariaDB, roll-ups counted once. */
async function storeSelling(name: string, perDay: number) {
  const shop = await sidecar.addStore({ name, url: 'https://cadence.example', timezone: 'UTC', settings: { mode: 'adaptive' } });
  const now = Date.now();
  const span = 56 * 86_400_000;
  const count = 56 * perDay;
  const rows = Array.from({ length: count }, (_, i) => {
    const at = new Date(now - span + Math.floor((i / count) * span));
    return { store_id: shop.id, order_id: i + 1, status: 'processing', total: 20, created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at };
  });
  for (let i = 0; i < rows.length; i += 2000) await sidecar.db('orders').insert(rows.slice(i, i + 2000));
  // Watched all along (created then too): its history is what the monitor saw, not old news.
  await sidecar.db('stores').where({ id: shop.id }).update({ first_contact_at: new Date(now - span), created_at: new Date(now - span) });
  await sidecar.container.rollups.rebuild(shop.id);
  return shop;
}

const everyMinutes = async (storeId: string) => {
  const schedule = (await sidecar.container.scheduler.list()).find((s) => s.id === sidecar.container.scheduler.idFor(storeId));
  return (schedule?.every ?? 0) / 60_000;
};

describe('check cadence from volume', () => {
  it("a store of ten orders a day is checked every 10-15 minutes once a check has learnt its volume, and its settings page says so", async () => {
    const shop = await storeSelling('Quiet', 10);
    // The schedule's own first run may have learnt it already; this one surely has.
    await sidecar.container.checks.run(shop.id, 'schedule');
    // Hours from a stop to its first evidence: one of the slow steps (10 or 15 minutes, by how the
    // baseline's smoothed busiest hour falls on the day the test runs), never every minute.
    const every = await everyMinutes(shop.id);
    expect([10, 15]).toContain(every);
    // A reconcile (every sidecar's upkeep, a restart) keeps it.
    await sidecar.container.registry.reconcileSchedules();
    expect(await everyMinutes(shop.id)).toBe(every);
    const page = await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/pages/settings`);
    expect(page.text).toContain(`Checked every ${every} minutes`);
  });

  it('a store of two thousand orders a day stays on every minute', async () => {
    const shop = await storeSelling('Busy', 2_000);
    await sidecar.container.checks.run(shop.id, 'schedule');
    expect(await everyMinutes(shop.id)).toBe(1);
    expect(await sidecar.db('store_cadence').where({ store_id: shop.id }).first()).toBeTruthy();
  });

  it('keeps the schedule of a store whose volume hovers at the edge between two cadences, and tells the check which it follows', async () => {
    const shop = await sidecar.addStore({ name: 'Edge', url: 'https://edge.example', timezone: 'UTC', settings: { mode: 'adaptive' } });
    // Its first check, run when it was added, wrote a figure: this test starts from none.
    await eventually(async () => (await sidecar.db('store_cadence').where({ store_id: shop.id }).del()) === 1);
    const settings = (await sidecar.container.settings.get(shop.id))!;
    const registry = sidecar.container.registry;
    // 180 minutes from a stop to its first evidence is the edge between checks every 10 and every 15 minutes.
    expect(await registry.observeVolume(shop.id, settings, 175)).toBe(175);
    expect(await everyMinutes(shop.id)).toBe(10);
    for (const hourly of [190, 178, 200]) {
      expect(await registry.observeVolume(shop.id, settings, hourly)).toBe(175);
      expect(await everyMinutes(shop.id)).toBe(10);
    }
    expect(await new CadenceRepository(sidecar.db).get(shop.id)).toBe(175);
    // Clear of the edge: the schedule moves, and so does the figure the settings page words.
    expect(await registry.observeVolume(shop.id, settings, 240)).toBe(240);
    expect(await everyMinutes(shop.id)).toBe(15);
    expect(await registry.cadenceMinutes(shop.id, settings)).toBe(15);
  });

  it('of two sidecars that learn the same change, only the one whose write lands reschedules the store', async () => {
    // Not checked after its first check (that would write its own figure): the two writers are this test's.
    const shop = await sidecar.addStore({ name: 'Twice', url: 'https://twice.example', timezone: 'UTC', settings: { mode: 'adaptive', enabled: false } });
    // Its first check, run when it was added, wrote a figure: this test starts from none.
    await eventually(async () => (await sidecar.db('store_cadence').where({ store_id: shop.id }).del()) === 1);
    const cadence = new CadenceRepository(sidecar.db);
    const [first, second] = [await cadence.get(shop.id), await cadence.get(shop.id)];
    expect(first).toBeUndefined();
    // Both read "no row", both write: one inserts, the other finds the row there.
    expect([await cadence.replace(shop.id, first, 240), await cadence.replace(shop.id, second, 240)]).toEqual([true, false]);
    // Both read 240, both learn 3 minutes: one update lands, the other's expected value is gone.
    expect([await cadence.replace(shop.id, 240, 3), await cadence.replace(shop.id, 240, 3)]).toEqual([true, false]);
    expect(await cadence.get(shop.id)).toBe(3);
    // A store that expects no order at all is stored as NULL and compared as such.
    expect(await cadence.replace(shop.id, 3, Number.POSITIVE_INFINITY)).toBe(true);
    expect(await cadence.replace(shop.id, Number.POSITIVE_INFINITY, 7.25)).toBe(true);
    expect(await cadence.get(shop.id)).toBe(7.25);
  });
});
