import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;
let other: StoreCredentials;

beforeAll(async () => {
  sidecar = await startSidecar();
  shop = await sidecar.addStore({ name: 'Shop', url: 'https://shop.example', timezone: 'Europe/Berlin' });
  other = await sidecar.addStore({ name: 'Other', url: 'https://other.example', timezone: 'UTC' });
});
afterAll(async () => sidecar?.close());

const post = (store: StoreCredentials, body: unknown) => signed(sidecar.app, store, 'POST', '/v1/events', body);
const eventCount = async () => Number((await sidecar.db('order_events').count({ n: '*' }).first())?.n);
const statusOf = async (storeId: string, orderId: number) =>
  (await sidecar.db('orders').where({ store_id: storeId, order_id: orderId }).first())?.status as string | undefined;

describe('POST /v1/events', () => {
  it('stores signed events and answers 202 with accepted and duplicates', async () => {
    const events = [orderEvent({ order_id: 1 }), orderEvent({ order_id: 2, to: 'failed' })];
    const res = await post(shop, { store: shop.id, events });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0 });
    expect(await statusOf(shop.id, 1)).toBe('processing');
    expect(await statusOf(shop.id, 2)).toBe('failed');
    const stored = await sidecar.db('order_events').where({ store_id: shop.id, id: events[1]!.id }).first();
    expect(stored).toMatchObject({ type: 'order.created', order_id: 2, to_status: 'failed', total: 25, currency: 'EUR' });
    expect((await sidecar.db('stores').where({ id: shop.id }).first()).last_contact_at).toBeInstanceOf(Date);
  });

  it('fills in an order\'s total and payment method from a later order.updated, without touching its status', async () => {
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    // wc_create_order() and wp-admin's "Add order": woocommerce_new_order fires on the first, empty save.
    const empty = orderEvent({ order_id: 4101, to: 'pending', total: '0.00', payment_method: '', created_at: createdAt, occurred_at: createdAt });
    expect((await post(shop, { store: shop.id, events: [empty] })).status).toBe(202);
    const changedAt = (await sidecar.db('orders').where({ store_id: shop.id, order_id: 4101 }).first()).status_changed_at;
    const later = new Date(Date.now() - 30_000).toISOString();
    const updated = { ...orderEvent({ order_id: 4101, to: 'pending', total: '49.90', payment_method: 'cod', created_at: createdAt, occurred_at: later }), type: 'order.updated' };
    expect((await post(shop, { store: shop.id, events: [updated] })).body).toEqual({ accepted: 1, duplicates: 0 });
    expect(await sidecar.db('orders').where({ store_id: shop.id, order_id: 4101 }).first()).toMatchObject({ status: 'pending', total: 49.9, payment_method: 'cod', status_changed_at: changedAt });
    // A later status change without a payment method (an empty string) keeps the one known.
    const paid = orderEvent({ order_id: 4101, type: 'order.status_changed', from: 'pending', to: 'processing', payment_method: '', total: '49.90', created_at: createdAt, occurred_at: new Date().toISOString() });
    expect((await post(shop, { store: shop.id, events: [paid] })).status).toBe(202);
    expect(await sidecar.db('orders').where({ store_id: shop.id, order_id: 4101 }).first()).toMatchObject({ status: 'processing', payment_method: 'cod' });
    // An order.updated for an order no event told of creates it with the status it names.
    const unknown = { ...orderEvent({ order_id: 4102, to: 'on-hold', created_at: createdAt, occurred_at: later }), type: 'order.updated' };
    expect((await post(shop, { store: shop.id, events: [unknown] })).status).toBe(202);
    expect(await statusOf(shop.id, 4102)).toBe('on-hold');
    // The type is named when it is wrong.
    const bad = await post(shop, { store: shop.id, events: [{ ...updated, id: crypto.randomUUID(), type: 'order.touched' }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('order.updated');
  });

  it('counts an event id sent twice once, also inside one batch', async () => {
    const event = orderEvent({ order_id: 3 });
    expect((await post(shop, { store: shop.id, events: [event, event] })).body).toEqual({ accepted: 1, duplicates: 1 });
    expect((await post(shop, { store: shop.id, events: [event] })).body).toEqual({ accepted: 0, duplicates: 1 });
    expect(await sidecar.db('order_events').where({ id: event.id }).count({ n: '*' }).first()).toEqual({ n: 1 });
  });

  it('never lets an older event overwrite a newer status, whatever the arrival order', async () => {
    const created = '2026-11-23T10:00:00Z';
    const paid = orderEvent({ order_id: 4, type: 'order.status_changed', from: 'pending', to: 'processing', created_at: created, occurred_at: '2026-11-23T10:01:00Z' });
    const completed = orderEvent({ order_id: 4, type: 'order.status_changed', from: 'processing', to: 'completed', created_at: created, occurred_at: '2026-11-23T10:05:00Z' });
    const born = orderEvent({ order_id: 4, type: 'order.created', to: 'pending', created_at: created, occurred_at: created });
    await post(shop, { store: shop.id, events: [completed] });
    await post(shop, { store: shop.id, events: [paid, born] });
    expect(await statusOf(shop.id, 4)).toBe('completed');
    // A replay of the older event after all of that still changes nothing.
    await post(shop, { store: shop.id, events: [{ ...paid, id: crypto.randomUUID() }] });
    expect(await statusOf(shop.id, 4)).toBe('completed');
    const row = await sidecar.db('orders').where({ store_id: shop.id, order_id: 4 }).first();
    expect(row.created_at.toISOString()).toBe('2026-11-23T10:00:00.000Z');
  });

  it('writes batches that arrive together in one go, answering each with its own counts and refusing a replay alone', async () => {
    const raw = (store: StoreCredentials, body: string, headers = signedHeaders(store, 'POST', '/v1/events', body)) =>
      request(sidecar.app).post('/v1/events').set({ ...headers, 'Content-Type': 'application/json' }).send(body);
    // Accepted once; the same signed request again, among the others below, must be refused alone.
    const replayedBody = JSON.stringify({ store: shop.id, events: [orderEvent({ order_id: 600 })] });
    const replayedHeaders = signedHeaders(shop, 'POST', '/v1/events', replayedBody);
    expect((await raw(shop, replayedBody, replayedHeaders)).status).toBe(202);
    const shared = orderEvent({ order_id: 601, to: 'failed' });
    const batches = [
      { store: shop, events: [shared, orderEvent({ order_id: 602 })] },
      { store: shop, events: [shared, orderEvent({ order_id: 603 })] },
      ...Array.from({ length: 8 }, (_, i) => ({ store: i % 2 ? shop : other, events: [orderEvent({ order_id: 610 + i }), orderEvent({ order_id: 620 + i, to: 'failed' })] })),
    ];
    // The replay last: the first batches are written alone while the rest gather into a group with it.
    const answers = await Promise.all([
      ...batches.map((b) => raw(b.store, JSON.stringify({ store: b.store.id, events: b.events }))),
      raw(shop, replayedBody, replayedHeaders),
    ]);
    const replay = answers.pop()!;
    expect(replay.status).toBe(409);
    expect(answers.map((a) => a.status)).toEqual(batches.map(() => 202));
    // The event both of the first two batches carry is accepted once, for one of them.
    expect(answers.slice(0, 2).map((a) => a.body.accepted).sort()).toEqual([1, 2]);
    expect(answers.slice(2).map((a) => a.body)).toEqual(batches.slice(2).map(() => ({ accepted: 2, duplicates: 0 })));
    expect(await sidecar.db('order_events').where({ store_id: shop.id, id: shared.id }).count({ n: '*' }).first()).toEqual({ n: 1 });
    expect(await statusOf(shop.id, 601)).toBe('failed');
    expect(await statusOf(other.id, 620)).toBe('failed');
    expect(await statusOf(shop.id, 617)).toBe('processing');
    // Every order of the groups is in the roll-ups as a recount has it.
    for (const store of [shop, other]) expect(await sidecar.container.rollups.rows(store.id)).toEqual(await sidecar.container.rollups.recount(store.id));
  });

  it('keeps the same order id of two stores apart', async () => {
    await post(other, { store: other.id, events: [orderEvent({ order_id: 1, to: 'cancelled' })] });
    expect(await statusOf(shop.id, 1)).toBe('processing');
    expect(await statusOf(other.id, 1)).toBe('cancelled');
  });

  it('accepts heartbeats and records the contact', async () => {
    const res = await post(other, { store: other.id, events: [{ id: crypto.randomUUID(), type: 'heartbeat', occurred_at: new Date().toISOString(), data: { outbox_size: 0 } }] });
    expect(res.status).toBe(202);
  });

  describe('refuses, and stores nothing', () => {
    const body = () => JSON.stringify({ store: shop.id, events: [orderEvent({ order_id: 99 })] });

    async function expectNothingStored(res: request.Response, status: number) {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/json/);
      expect(await statusOf(shop.id, 99)).toBeUndefined();
      return res;
    }

    it('401 for an unknown store, a bad signature, a stale timestamp or missing headers', async () => {
      const before = await eventCount();
      const text = body();
      const unknown = await request(sidecar.app).post('/v1/events').set(signedHeaders({ id: 'st_nope', secret: shop.secret }, 'POST', '/v1/events', text)).send(text);
      await expectNothingStored(unknown, 401);
      const forged = await request(sidecar.app).post('/v1/events').set(signedHeaders({ id: shop.id, secret: 'wrong' }, 'POST', '/v1/events', text)).send(text);
      await expectNothingStored(forged, 401);
      const stale = await request(sidecar.app).post('/v1/events').set(signedHeaders(shop, 'POST', '/v1/events', text, new Date(Date.now() - 301_000))).send(text);
      await expectNothingStored(stale, 401);
      const future = await request(sidecar.app).post('/v1/events').set(signedHeaders(shop, 'POST', '/v1/events', text, new Date(Date.now() + 301_000))).send(text);
      await expectNothingStored(future, 401);
      await expectNothingStored(await request(sidecar.app).post('/v1/events').send(text), 401);
      // Signed for one body, sent with another.
      const tampered = await request(sidecar.app).post('/v1/events').set(signedHeaders(shop, 'POST', '/v1/events', text)).send(text.replace('"to":"processing"', '"to":"failed"'));
      await expectNothingStored(tampered, 401);
      expect(await eventCount()).toBe(before);
    });

    it('400 for malformed JSON, naming the body', async () => {
      const res = await expectNothingStored(await post(shop, '{"store": "x", "events": [}'), 400);
      expect(res.body.errors).toEqual([{ field: '(body)', message: expect.stringMatching(/not valid JSON/) }]);
    });

    it('400 naming each bad field and its index; the good events of the batch are not stored either', async () => {
      const good = orderEvent({ order_id: 99 });
      const { order_id: _omit, ...noOrderId } = orderEvent({});
      const events = [good, noOrderId, orderEvent({ occurred_at: 'yesterday' }), orderEvent({ total: 'ten euros' }), { ...orderEvent({}), type: 'order.refunded' }];
      const res = await expectNothingStored(await post(shop, { store: shop.id, events }), 400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['events[1].order_id', 'events[2].occurred_at', 'events[3].total', 'events[4].type']);
      expect(await sidecar.db('order_events').where({ id: good.id }).first()).toBeUndefined();
    });

    it('400 when events is missing, empty or not a list', async () => {
      for (const bad of [{ store: shop.id }, { store: shop.id, events: [] }, { store: shop.id, events: 'many' }]) {
        const res = await expectNothingStored(await post(shop, bad), 400);
        expect(res.body.errors[0].field).toBe('events');
      }
    });

    it('413 for more than 500 events', async () => {
      const events = Array.from({ length: 501 }, (_, i) => orderEvent({ order_id: 10_000 + i }));
      const res = await expectNothingStored(await post(shop, { store: shop.id, events }), 413);
      expect(res.body.errors).toEqual([{ field: 'events', message: 'must hold at most 500 events, got 501' }]);
    });

    it('400 for JSON that is not an object, 413 for a body over 1 MiB', async () => {
      for (const bad of ['null', '[]', '"events"', '42']) {
        const res = await expectNothingStored(await post(shop, bad), 400);
        expect(res.body.error).toBe('invalid_request');
      }
      const huge = JSON.stringify({ store: shop.id, events: [orderEvent({ order_id: 99, payment_method: 'x'.repeat(1_100_000) })] });
      const res = await expectNothingStored(await post(shop, huge), 413);
      expect(res.body.errors[0].field).toBe('(body)');
    });

    it('403 when the body names another store than the signature', async () => {
      const res = await expectNothingStored(await post(shop, { store: other.id, events: [orderEvent({ order_id: 99 })] }), 403);
      expect(res.body.error).toBe('forbidden');
    });
  });

  it('accepts exactly 500 events in one batch', async () => {
    const events = Array.from({ length: 500 }, (_, i) => orderEvent({ order_id: 20_000 + i }));
    const res = await post(shop, { store: shop.id, events });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 500, duplicates: 0 });
  });
});
