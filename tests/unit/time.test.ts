import { describe, expect, it } from 'vitest';
import { formatLocal, isKnownTimeZone, isPeakTime, localTime } from '../../sidecar/src/domain/time';

const everyDay = [1, 2, 3, 4, 5, 6, 7];

describe('localTime', () => {
  it('reads weekday and wall clock in the store zone, not UTC', () => {
    // 2026-11-23 is a Monday; 23:30 UTC is already Tuesday 00:30 in Berlin (UTC+1 in winter).
    expect(localTime(new Date('2026-11-23T23:30:00Z'), 'Europe/Berlin')).toEqual({ weekday: 2, minuteOfDay: 30 });
    expect(localTime(new Date('2026-11-23T23:30:00Z'), 'America/New_York')).toEqual({ weekday: 1, minuteOfDay: 18 * 60 + 30 });
  });
});

describe('isPeakTime', () => {
  const peak = { start: '09:00', end: '18:00', weekdays: everyDay };

  it('is peak from start inclusive to end exclusive in the store zone', () => {
    expect(isPeakTime(new Date('2026-11-23T08:00:00Z'), 'Europe/Berlin', peak)).toBe(true); // 09:00 local
    expect(isPeakTime(new Date('2026-11-23T07:59:00Z'), 'Europe/Berlin', peak)).toBe(false); // 08:59 local
    expect(isPeakTime(new Date('2026-11-23T16:59:00Z'), 'Europe/Berlin', peak)).toBe(true); // 17:59
    expect(isPeakTime(new Date('2026-11-23T17:00:00Z'), 'Europe/Berlin', peak)).toBe(false); // 18:00
  });

  it('honours the chosen weekdays', () => {
    const weekdaysOnly = { ...peak, weekdays: [1, 2, 3, 4, 5] };
    expect(isPeakTime(new Date('2026-11-23T10:00:00Z'), 'UTC', weekdaysOnly)).toBe(true); // Monday
    expect(isPeakTime(new Date('2026-11-22T10:00:00Z'), 'UTC', weekdaysOnly)).toBe(false); // Sunday
  });

  it('crosses midnight, and the hours after midnight belong to the day the period started', () => {
    const night = { start: '22:00', end: '02:00', weekdays: [5] }; // Friday night only
    expect(isPeakTime(new Date('2026-11-27T23:00:00Z'), 'UTC', night)).toBe(true); // Fri 23:00
    expect(isPeakTime(new Date('2026-11-28T01:30:00Z'), 'UTC', night)).toBe(true); // Sat 01:30, Friday's night
    expect(isPeakTime(new Date('2026-11-28T02:00:00Z'), 'UTC', night)).toBe(false); // Sat 02:00
    expect(isPeakTime(new Date('2026-11-27T01:30:00Z'), 'UTC', night)).toBe(false); // Fri 01:30 is Thursday's night
    expect(isPeakTime(new Date('2026-11-28T23:00:00Z'), 'UTC', night)).toBe(false); // Sat 23:00
  });

  it('follows the wall clock across the spring DST change (Europe/Berlin, 2026-03-29)', () => {
    // At 01:00 UTC clocks jump from 02:00 to 03:00 local. Peak 03:00-04:00 local.
    const early = { start: '03:00', end: '04:00', weekdays: everyDay };
    expect(isPeakTime(new Date('2026-03-29T00:59:00Z'), 'Europe/Berlin', early)).toBe(false); // 01:59 CET
    expect(isPeakTime(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin', early)).toBe(true); // 03:00 CEST
    expect(isPeakTime(new Date('2026-03-29T01:59:00Z'), 'Europe/Berlin', early)).toBe(true); // 03:59 CEST
    expect(isPeakTime(new Date('2026-03-29T02:00:00Z'), 'Europe/Berlin', early)).toBe(false); // 04:00 CEST
    // The same UTC hour is 09:00 local in summer and 08:00 local in winter.
    expect(isPeakTime(new Date('2026-07-01T07:00:00Z'), 'Europe/Berlin', peak)).toBe(true);
    expect(isPeakTime(new Date('2026-12-01T07:00:00Z'), 'Europe/Berlin', peak)).toBe(false);
  });

  it('follows the wall clock across the autumn DST change (America/New_York, 2026-11-01)', () => {
    // 01:00-02:00 local happens twice; both are peak for a 01:00-02:00 period, 02:00 is not.
    const oneAm = { start: '01:00', end: '02:00', weekdays: everyDay };
    expect(isPeakTime(new Date('2026-11-01T05:30:00Z'), 'America/New_York', oneAm)).toBe(true); // 01:30 EDT
    expect(isPeakTime(new Date('2026-11-01T06:30:00Z'), 'America/New_York', oneAm)).toBe(true); // 01:30 EST
    expect(isPeakTime(new Date('2026-11-01T07:00:00Z'), 'America/New_York', oneAm)).toBe(false); // 02:00 EST
  });
});

describe('time zones', () => {
  it('knows IANA names and refuses others', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('America/Sao_Paulo')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });

  it('formats instants for people in the store zone', () => {
    expect(formatLocal(new Date('2026-07-01T07:05:00Z'), 'Europe/Berlin')).toBe('2026-07-01 09:05 GMT+2');
    expect(formatLocal(new Date('2026-12-01T07:05:00Z'), 'UTC')).toBe('2026-12-01 07:05 UTC');
  });
});
