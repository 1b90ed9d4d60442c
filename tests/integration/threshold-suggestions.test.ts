import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings, type Settings } from '../../sidecar/src/domain/settings';
import { ThresholdSuggestions } from '../../sidecar/src/services/threshold-suggestions';
import { ReportRepository } from '../../sidecar/src/store/reports';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const HOUR = 3_600_000;
const now = new Date('2026-11-20T12:00:00Z');
let database: TestDatabase;
let suggestions: ThresholdSuggestions;
let nextOrderId = 1;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db('stores').insert({ id: 'shop', name: 'Shop', url: 'https://shop.example', secret: 'x', created_at: new Date(now.getTime() - 90 * 24 * HOUR) });
  suggestions = new ThresholdSuggestions(new ReportRepository(database.db));
});
afterAll(async () => database?.drop());

/** `perHour` paid orders in every hour between the two instants, evenly spread. */
async function trade(from: number, to: number, perHour: number): Promise<void> {
  const rows = [];
  for (let t = from; t < to; t += HOUR / perHour) {
    const at = new Date(t);
    rows.push({ store_id: 'shop', order_id: nextOrderId++, status: 'completed', created_at: at, status_changed_at: at, updated_at: at });
  }
  for (let i = 0; i < rows.length; i += 1000) await database.db('orders').insert(rows.slice(i, i + 1000));
}

const hybrid: Settings = { ...defaultSettings('UTC'), mode: 'hybrid' };

describe('suggested thresholds', () => {
  it('counts the alerts adaptive mode would have raised, from the 8 weeks before as history, with no second replay for thresholds it does not use', async () => {
    // 12 weeks of 4 orders an hour, then a 10-hour silence inside the 28 days judged.
    const silenceStart = now.getTime() - 10 * 24 * HOUR;
    await trade(now.getTime() - 84 * 24 * HOUR, silenceStart, 4);
    await trade(silenceStart + 10 * HOUR, now.getTime(), 4);
    const view = await suggestions.for('shop', defaultSettings('UTC'), now);
    expect(view).toMatchObject({ usesThresholds: false, days: 28 });
    expect(view!.falseAlarms.current).toBe(1);
    expect(view!.falseAlarms.suggested).toBe(view!.falseAlarms.current);
  });

  it('reuses an answer for an hour, and works afresh when the settings change or the hour has passed', async () => {
    const first = await suggestions.for('shop', hybrid, now);
    expect(first!.usesThresholds).toBe(true);
    // Orders recorded after the first answer: the cached answer does not know them yet.
    await trade(now.getTime() - 2 * HOUR, now.getTime(), 40);
    const cached = await suggestions.for('shop', hybrid, new Date(now.getTime() + 30 * 60_000));
    expect(cached!.orders).toBe(first!.orders);
    const changed = await suggestions.for('shop', { ...hybrid, threshold_peak: 3 }, now);
    expect(changed!.orders).toBe(first!.orders + 80);
    expect(changed!.peak.current).toBe(3);
    const later = await suggestions.for('shop', hybrid, new Date(now.getTime() + 61 * 60_000));
    expect(later!.orders).toBeGreaterThan(first!.orders);
  });
});
