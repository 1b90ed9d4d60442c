import { describe, expect, it } from 'vitest';
import { inMaintenance, parseMaintenanceRequest, windowState } from '../../sidecar/src/domain/maintenance';

const now = new Date('2026-11-24T10:00:00Z');
const fields = (body: unknown) => {
  const result = parseMaintenanceRequest(body, now);
  return result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.message}`);
};

describe('maintenance windows', () => {
  it('start now for N minutes, or as planned', () => {
    expect(parseMaintenanceRequest({ minutes: 30, reason: ' deploy ' }, now)).toEqual({
      ok: true,
      startsAt: now,
      endsAt: new Date('2026-11-24T10:30:00Z'),
      reason: 'deploy',
    });
    expect(parseMaintenanceRequest({ starts_at: '2026-11-25T01:00:00+01:00', ends_at: '2026-11-25T03:00:00+01:00' }, now)).toMatchObject({
      ok: true,
      startsAt: new Date('2026-11-25T00:00:00Z'),
      endsAt: new Date('2026-11-25T02:00:00Z'),
    });
  });

  it('name the field that is wrong', () => {
    expect(fields({ minutes: 0 })).toEqual(['minutes: must be 1 or more']);
    expect(fields({ minutes: 20_000 })).toEqual(['minutes: must be at most 10,080 (7 days)']);
    expect(fields({ minutes: '30' })).toEqual(['minutes: must be a number']);
    expect(fields({})).toEqual(['minutes: is required: minutes (start now), or starts_at and ends_at']);
    expect(fields({ starts_at: '2026-11-25T01:00:00Z' })).toEqual(['ends_at: is required with starts_at']);
    expect(fields({ starts_at: 'tomorrow', ends_at: '2026-11-25T01:00:00Z' })).toEqual([expect.stringMatching(/^starts_at: must be an ISO 8601 instant/)]);
    expect(fields({ starts_at: '2026-11-25T03:00:00Z', ends_at: '2026-11-25T01:00:00Z' })).toEqual(['ends_at: must be after starts_at']);
    expect(fields({ starts_at: '2026-11-25T00:00:00Z', ends_at: '2026-12-03T00:00:00Z' })).toEqual(['ends_at: must be at most 7 days after starts_at']);
    expect(fields({ starts_at: '2026-11-20T00:00:00Z', ends_at: '2026-11-21T00:00:00Z' })).toEqual([expect.stringMatching(/^ends_at: must be in the future/)]);
    expect(fields({ minutes: 5, ends_at: '2026-11-25T00:00:00Z' })).toEqual([expect.stringMatching(/^ends_at: must not be given with minutes/)]);
    expect(fields({ minutes: 5, until: 'later' })).toEqual(['until: is not a known field']);
    expect(fields([1])).toEqual([expect.stringMatching(/^\(body\): must be a JSON object/)]);
  });

  it('are active from their start until their end or until ended early; one ended before it began was cancelled', () => {
    const w = { startsAt: new Date('2026-11-24T09:00:00Z'), endsAt: new Date('2026-11-24T11:00:00Z'), endedAt: null };
    expect(windowState(w, now)).toBe('active');
    expect(windowState(w, new Date('2026-11-24T08:59:00Z'))).toBe('upcoming');
    expect(windowState(w, new Date('2026-11-24T11:00:00Z'))).toBe('over');
    expect(windowState({ ...w, endedAt: new Date('2026-11-24T09:30:00Z') }, now)).toBe('over');
    expect(windowState({ ...w, endedAt: new Date('2026-11-24T08:00:00Z') }, now)).toBe('cancelled');
    expect(inMaintenance([w], now)).toBe(true);
    expect(inMaintenance([{ ...w, endedAt: new Date('2026-11-24T09:30:00Z') }], now)).toBe(false);
  });
});
