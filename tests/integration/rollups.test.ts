import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { ingestBodySchema } from '../../sidecar/src/domain/events';
import { EventRepository } from '../../sidecar/src/store/events';
import { RollupRepository } from '../../sidecar/src/store/rollups';
import { StoreRepository } from '../../sidecar/src/store/stores';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;
let events: EventRepository;
let rollups: RollupRepository;
let stores: StoreRepository;

beforeAll(async () => {
  database = await createTestDatabase();
  events = new EventRepository(database.db);
  rollups = new RollupRepository(database.db);
  stores = new StoreRepository(database.db);
});
afterAll(async () => database?.drop());

const STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled', 'on-hold', 'refunded'];
const HOUR = 3_600_000;

/** A seeded generator, so a failing seed can be run again. */
function generator(seed: number) {
  let state = seed;
  const next = () => (state = (state * 48271) % 2147483647) / 2147483647;
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]! };
}

/**
 * Random batches as a bridge and the REST read-back send them: new orders over ten days, status changes
 * (some older than the status they would replace), events sent again, admin orders, orders without a
 * total, a created_at the first event fixed, several batches of one store at once.
 */
async function playRandomHistory(storeId: string, seed: number): Promise<void> {
  const rand = generator(seed);
  const now = Date.UTC(2026, 10, 20, 12);
  const created = new Map<number, { createdAt: number; total: string | null; via: string; method: string }>();
  const sent: Array<Record<string, unknown>> = [];
  const makeEvent = (): Record<string, unknown> => {
    if (sent.length > 0 && rand.next() < 0.1) return rand.pick(sent);
    const orderId = 1 + rand.int(120);
    let order = created.get(orderId);
    if (!order) {
      order = {
        createdAt: now - rand.int(10 * 24 * HOUR),
        total: rand.next() < 0.15 ? null : (5 + rand.int(200)).toFixed(2),
        via: rand.next() < 0.1 ? 'admin' : rand.next() < 0.05 ? 'subscription' : 'checkout',
        method: rand.pick(['stripe', 'paypal', 'cod']),
      };
      created.set(orderId, order);
    }
    // A late event: it happened before the status it arrives after, and must not replace it.
    const occurred = order.createdAt + rand.int(3 * 24 * HOUR);
    const event = {
      id: randomUUID(),
      type: rand.next() < 0.5 ? 'order.created' : 'order.status_changed',
      order_id: orderId,
      from: 'pending',
      to: rand.pick(STATUSES),
      total: order.total,
      currency: 'EUR',
      payment_method: order.method,
      created_via: order.via,
      // The first event of an order fixes its creation time; a later one saying otherwise changes nothing.
      created_at: new Date(rand.next() < 0.05 ? order.createdAt + HOUR : order.createdAt).toISOString(),
      occurred_at: new Date(occurred).toISOString(),
    };
    sent.push(event);
    return event;
  };
  for (let round = 0; round < 12; round += 1) {
    const batches = Array.from({ length: 1 + rand.int(4) }, () => Array.from({ length: 1 + rand.int(40) }, makeEvent));
    await Promise.all(
      batches.map((batch) => {
        const parsed = ingestBodySchema.parse({ store: storeId, events: batch });
        return events.ingest(storeId, parsed.events, new Date(now), rand.next() < 0.3 ? 'rest' : 'bridge');
      }),
    );
  }
}

describe('hourly roll-ups', () => {
  it.each([1, 7, 42, 1234, 99991])('equal a full recount of the orders after random, late, replayed and REST-recovered events (seed %i)', async (seed) => {
    const store = await stores.create({ name: `Rollup ${seed}`, url: 'https://rollup.example', settings: defaultSettings('UTC') });
    await playRandomHistory(store.id, seed);
    const recount = await rollups.recount(store.id);
    expect(recount.length).toBeGreaterThan(20);
    expect(await rollups.rows(store.id)).toEqual(recount);
  });

  it('stay exact when many stores send at once, without deadlocks between their batches', async () => {
    // Under REPEATABLE READ the recount's delete took gap locks reaching into the next store's roll-up
    // rows: with stores sending at once, batches of two stores deadlocked (503 to the bridge).
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => stores.create({ name: `Many ${i}`, url: 'https://many.example', settings: defaultSettings('UTC') })));
    await Promise.all(many.map((store, i) => playRandomHistory(store.id, 500 + i)));
    for (const store of many) expect(await rollups.rows(store.id)).toEqual(await rollups.recount(store.id));
  });

  it('count only customer orders, by their current status', async () => {
    const store = await stores.create({ name: 'Rollup fixed', url: 'https://rollup.example', settings: defaultSettings('UTC') });
    const at = '2026-11-20T10:15:00.000Z';
    const event = (orderId: number, to: string, occurred: string, via = 'checkout') => ({
      id: randomUUID(),
      type: 'order.status_changed',
      order_id: orderId,
      from: 'pending',
      to,
      total: '20.00',
      currency: 'EUR',
      payment_method: 'stripe',
      created_via: via,
      created_at: at,
      occurred_at: occurred,
    });
    const send = (list: Array<Record<string, unknown>>) => events.ingest(store.id, ingestBodySchema.parse({ store: store.id, events: list }).events);
    await send([event(1, 'pending', at), event(2, 'failed', at), event(3, 'completed', at, 'admin')]);
    await send([event(1, 'completed', '2026-11-20T10:20:00.000Z')]);
    // Older than the change above: order 1 stays completed.
    await send([event(1, 'failed', '2026-11-20T10:16:00.000Z')]);
    const hour = Math.floor(Date.parse(at) / HOUR);
    expect(await rollups.rows(store.id)).toEqual([
      { hour, status: 'completed', orders: 1, revenue: 20, revenueOrders: 1 },
      { hour, status: 'failed', orders: 1, revenue: 20, revenueOrders: 1 },
    ]);
  });
});
