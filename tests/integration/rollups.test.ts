import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { ingestBodySchema } from '../../sidecar/src/domain/events';
import { IngestGroups } from '../../sidecar/src/services/ingest-groups';
import { EventRepository } from '../../sidecar/src/store/events';
import { RollupRepository } from '../../sidecar/src/store/rollups';
import { StoreRepository } from '../../sidecar/src/store/stores';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let database: TestDatabase;
let events: EventRepository;
let groups: IngestGroups;
let rollups: RollupRepository;
let stores: StoreRepository;

beforeAll(async () => {
  database = await createTestDatabase();
  events = new EventRepository(database.db);
  groups = new IngestGroups(events);
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
/** `grouped`: through the bridge's group commit (services/ingest-groups), which writes concurrent batches of any stores together. */
async function playRandomHistory(storeId: string, seed: number, grouped: false | IngestGroups = false): Promise<void> {
  const rand = generator(seed);
  const now = Date.UTC(2026, 10, 20, 12);
  const created = new Map<number, { createdAt: number; total: string | null; via: string; method: string }>();
  const sent: Array<Record<string, unknown>> = [];
  const makeEvent = (): Record<string, unknown> => {
    if (sent.length > 0 && rand.next() < 0.1) return rand.pick(sent);
    const orderId = 1 + rand.int(120);
    let order = created.get(orderId);
    const earlier = [...created.values()];
    if (!order && earlier.length > 0 && rand.next() < 0.3) {
      // The same cart again a few minutes later (some just past the retry window): a retried cart.
      const first = rand.pick(earlier);
      order = { ...first, createdAt: first.createdAt + rand.int(12 * 60_000), via: rand.next() < 0.1 ? 'admin' : 'checkout' };
      created.set(orderId, order);
    } else if (!order) {
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
        const origin = rand.next() < 0.3 ? 'rest' : 'bridge';
        return grouped ? grouped.ingest({ storeId, events: parsed.events, receivedAt: new Date(now), origin }) : events.ingest(storeId, parsed.events, new Date(now), origin);
      }),
    );
  }
}

describe('hourly roll-ups', () => {
  it.each([
    [1, false],
    [7, false],
    [42, false],
    [1234, false],
    [99991, false],
    [3, true],
    [77, true],
    [4242, true],
  ])('equal a full recount of the orders after random, late, replayed and REST-recovered events (seed %i, batches grouped: %s)', async (seed, grouped) => {
    const store = await stores.create({ name: `Rollup ${seed}`, url: 'https://rollup.example', settings: defaultSettings('UTC') });
    // One group at a time: every batch that arrives meanwhile joins the next, several of them together.
    await playRandomHistory(store.id, seed, grouped && new IngestGroups(events, { parallel: 1, maxEvents: 2_000 }));
    const recount = await rollups.recount(store.id);
    expect(recount.length).toBeGreaterThan(20);
    // The history holds retried carts, so the comparison covers them too.
    expect(recount.reduce((sum, row) => sum + row.retried, 0)).toBeGreaterThan(0);
    expect(await rollups.rows(store.id)).toEqual(recount);
  });

  it('stay exact when many stores send at once, without deadlocks between their batches', async () => {
    // Under REPEATABLE READ the recount's delete took gap locks reaching into the next store's roll-up
    // rows: with stores sending at once, batches of two stores deadlocked (503 to the bridge).
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => stores.create({ name: `Many ${i}`, url: 'https://many.example', settings: defaultSettings('UTC') })));
    await Promise.all(many.map((store, i) => playRandomHistory(store.id, 500 + i)));
    for (const store of many) expect(await rollups.rows(store.id)).toEqual(await rollups.recount(store.id));
    // The same through the group commit: batches of several stores written in one transaction.
    const grouped = await Promise.all(Array.from({ length: 12 }, (_, i) => stores.create({ name: `Grouped ${i}`, url: 'https://many.example', settings: defaultSettings('UTC') })));
    await Promise.all(grouped.map((store, i) => playRandomHistory(store.id, 900 + i, groups)));
    for (const store of grouped) expect(await rollups.rows(store.id)).toEqual(await rollups.recount(store.id));
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
    // Orders 1 and 2 are one cart at one time: the lower id counts as the earlier attempt.
    expect(await rollups.rows(store.id)).toEqual([
      { hour, status: 'completed', orders: 1, revenue: 20, revenueOrders: 1, retried: 1 },
      { hour, status: 'failed', orders: 1, revenue: 20, revenueOrders: 1, retried: 0 },
    ]);
  });

  it('count a failed cart tried again within 10 minutes as retried, also across the hour and in a later batch', async () => {
    const store = await stores.create({ name: 'Rollup retries', url: 'https://retries.example', settings: defaultSettings('UTC') });
    const order = (orderId: number, to: string, createdAt: string, total = '30.00') => ({
      id: randomUUID(),
      type: 'order.created',
      order_id: orderId,
      to,
      total,
      currency: 'EUR',
      payment_method: 'stripe',
      created_via: 'checkout',
      created_at: createdAt,
      occurred_at: createdAt,
    });
    const send = (list: Array<Record<string, unknown>>) => events.ingest(store.id, ingestBodySchema.parse({ store: store.id, events: list }).events);
    await send([order(1, 'failed', '2026-11-20T10:05:00.000Z'), order(2, 'failed', '2026-11-20T10:30:00.000Z'), order(3, 'failed', '2026-11-20T10:56:00.000Z')]);
    // Tried again: 1 by a pending order 9 minutes later; 2 not (11 minutes, and another total); 3 in the next hour.
    await send([order(4, 'pending', '2026-11-20T10:14:00.000Z')]);
    await send([order(5, 'completed', '2026-11-20T10:41:00.000Z'), order(6, 'failed', '2026-11-20T10:31:00.000Z', '31.00')]);
    await send([order(7, 'completed', '2026-11-20T11:04:00.000Z')]);
    const hour = Math.floor(Date.parse('2026-11-20T10:00:00.000Z') / HOUR);
    const rows = await rollups.rows(store.id);
    expect(rows.filter((r) => r.hour === hour).map((r) => [r.status, r.orders, r.retried])).toEqual([
      ['completed', 1, 0],
      ['failed', 4, 2],
      ['pending', 1, 0],
    ]);
    expect(rows).toEqual(await rollups.recount(store.id));
  });
});
