import { describe, expect, it } from 'vitest';
import { describeStoreState, type StoreStateInput } from '../../sidecar/src/domain/store-state';

const now = new Date('2026-12-02T15:00:00Z'); // 16:00 in Berlin
const base: StoreStateInput = {
  timezone: 'Europe/Berlin',
  paused: false,
  maintenanceUntil: null,
  openAlerts: [],
  lastContactAt: new Date('2026-12-02T14:58:00Z'),
  learningDaysLeft: null,
  ordersToday: 42,
  lastOrderAt: new Date('2026-12-02T14:57:00Z'),
};

describe('describeStoreState', () => {
  it('all good: orders today and the last one, green', () => {
    const state = describeStoreState(base, now);
    expect(state).toMatchObject({ kind: 'ok', tone: 'green', sentence: 'All good: 42 orders today, the last 3 min ago.' });
  });

  it('a critical order alert names its start in the store time zone and its finding', () => {
    const state = describeStoreState(
      { ...base, openAlerts: [{ detector: 'order_flow', severity: 'critical', openedAt: new Date('2026-12-02T13:05:00Z'), summary: 'no paid order for 47 min, about 30 were expected' }] },
      now,
    );
    expect(state).toMatchObject({ kind: 'critical', tone: 'red', sentence: 'Critical since 14:05: no paid order for 47 min, about 30 were expected' });
  });

  it('WordPress silent outranks a warning and says for how long', () => {
    const state = describeStoreState(
      {
        ...base,
        lastContactAt: new Date('2026-12-02T14:40:00Z'),
        openAlerts: [
          { detector: 'failure_rate', severity: 'warning', openedAt: new Date('2026-12-02T14:00:00Z'), summary: 'x' },
          { detector: 'reporting', severity: 'warning', openedAt: new Date('2026-12-02T14:55:00Z'), summary: null },
        ],
      },
      now,
    );
    expect(state.kind).toBe('silent');
    expect(state.sentence).toContain('WordPress has not checked in for 20 min');
  });

  it('learning says how many days are left; paused and maintenance win over everything', () => {
    expect(describeStoreState({ ...base, learningDaysLeft: 11.2 }, now).sentence).toContain("Learning your shop's rhythm: 12 days left");
    const alerting = { ...base, openAlerts: [{ detector: 'order_flow', severity: 'critical', openedAt: now, summary: null }] };
    expect(describeStoreState({ ...alerting, paused: true }, now).kind).toBe('paused');
    const maintenance = describeStoreState({ ...alerting, maintenanceUntil: new Date('2026-12-02T17:30:00Z') }, now);
    expect(maintenance).toMatchObject({ kind: 'maintenance', sentence: 'Maintenance until 18:30: alerts wait until it ends.' });
  });

  it('a warning and a failing probe read amber; a store that never reported waits for WordPress', () => {
    expect(describeStoreState({ ...base, openAlerts: [{ detector: 'probe', severity: 'warning', openedAt: now, summary: 'Checkout answers 500' }] }, now)).toMatchObject({ kind: 'probe_failing', tone: 'amber' });
    expect(describeStoreState({ ...base, openAlerts: [{ detector: 'failure_rate', severity: 'warning', openedAt: now, summary: null }] }, now)).toMatchObject({ kind: 'warning', tone: 'amber' });
    expect(describeStoreState({ ...base, lastContactAt: null, ordersToday: 0, lastOrderAt: null }, now).sentence).toContain('Waiting for WordPress');
  });
});
