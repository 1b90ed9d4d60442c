import { describe, expect, it } from 'vitest';
import { ingestBodySchema } from '../../sidecar/src/domain/events';
import { toFieldErrors } from '../../sidecar/src/domain/settings';

const event = {
  id: '5b0e8a52-8f0e-4c7e-9a37-0f8f3f0c1a11',
  type: 'order.status_changed',
  order_id: 12,
  from: 'pending',
  to: 'wc-failed',
  total: '49.90',
  currency: 'eur',
  created_at: '2026-11-23T19:02:11Z',
  occurred_at: '2026-11-23T20:03:40+01:00',
};

describe('event contract', () => {
  it('accepts a contract event, strips the wc- prefix and reads offsets', () => {
    const parsed = ingestBodySchema.parse({ store: 'st_1', events: [event] });
    const [first] = parsed.events;
    expect(first).toMatchObject({ to: 'failed', total: 49.9, order_id: 12 });
    expect(first!.occurred_at.toISOString()).toBe('2026-11-23T19:03:40.000Z');
  });

  it('names the index and field of each bad event', () => {
    const result = ingestBodySchema.safeParse({
      store: 'st_1',
      events: [event, { ...event, occurred_at: '23/11/2026' }, { ...event, order_id: 'twelve', id: 'nope' }, { ...event, type: 'order.deleted' }],
    });
    expect(result.success).toBe(false);
    const fields = result.success ? [] : toFieldErrors(result.error).map((e) => e.field).sort();
    expect(fields).toEqual(['events[1].occurred_at', 'events[2].id', 'events[2].order_id', 'events[3].type']);
  });

  it('requires from on a status change but not on a new order, and nothing but id and time on a heartbeat', () => {
    const { from: _from, ...withoutFrom } = event;
    expect(ingestBodySchema.safeParse({ store: 's', events: [withoutFrom] }).success).toBe(false);
    expect(ingestBodySchema.safeParse({ store: 's', events: [{ ...withoutFrom, type: 'order.created' }] }).success).toBe(true);
    expect(ingestBodySchema.safeParse({ store: 's', events: [{ id: event.id, type: 'heartbeat', occurred_at: event.occurred_at }] }).success).toBe(true);
  });
});
