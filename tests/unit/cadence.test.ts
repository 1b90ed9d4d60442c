import { describe, expect, it } from 'vitest';
import { CADENCE_MARGIN, cadenceSentence, followedDetection, minimumStopDetectionMinutes, volumeCadenceMinutes } from '../../sidecar/src/domain/cadence';
import { defaultSettings } from '../../sidecar/src/domain/settings';

/** A week of hourly rates: `perDay` orders a day, all in 12 open hours (peak rate perDay / 12). */
const baselineOf = (perDay: number) => ({ ratePerHour: Float64Array.from({ length: 168 }, (_, slot) => (slot % 24 >= 8 && slot % 24 < 20 ? perDay / 12 : 0)) });
const adaptive = { ...defaultSettings('UTC'), mode: 'adaptive' as const };
const cadenceAt = (perDay: number) => volumeCadenceMinutes(adaptive, minimumStopDetectionMinutes(baselineOf(perDay)));

describe('check cadence from volume', () => {
  it('checks a busy store every minute: a stop shows within minutes', () => {
    expect(minimumStopDetectionMinutes(baselineOf(2_000))).toBeLessThan(2);
    expect(cadenceAt(2_000)).toBe(1);
    expect(cadenceAt(100)).toBe(1);
  });

  it('checks a store of ten orders a day every 15 minutes: a stop takes hours to tell from a quiet spell', () => {
    expect(minimumStopDetectionMinutes(baselineOf(10))).toBeGreaterThan(200);
    expect(cadenceAt(10)).toBe(15);
  });

  it('steps through 5 and 10 minutes between them, never more than a twelfth of the detection time', () => {
    expect(cadenceAt(30)).toBe(5); // peak 2.5 an hour: 72 minutes
    expect(cadenceAt(18)).toBe(10); // peak 1.5 an hour: 120 minutes
    for (const perDay of [1, 5, 10, 18, 30, 60, 100, 2_000]) {
      const detection = minimumStopDetectionMinutes(baselineOf(perDay));
      expect(cadenceAt(perDay) === 1 || cadenceAt(perDay) * 12 <= Math.max(detection, 180)).toBe(true);
    }
  });

  it('checks every minute until the volume is known, and a store with no orders at all every 15 minutes', () => {
    expect(volumeCadenceMinutes(adaptive, null)).toBe(1);
    expect(volumeCadenceMinutes(adaptive, minimumStopDetectionMinutes(baselineOf(0)))).toBe(15);
  });

  it('keeps check_interval_minutes as the upper bound, and the fixed modes on their own interval', () => {
    expect(volumeCadenceMinutes({ ...adaptive, check_interval_minutes: 5 }, minimumStopDetectionMinutes(baselineOf(10)))).toBe(5);
    expect(volumeCadenceMinutes({ ...adaptive, mode: 'hybrid', check_interval_minutes: 30 }, minimumStopDetectionMinutes(baselineOf(2_000)))).toBe(30);
  });

  it('moves a schedule only once the volume is clear of the edge between two cadences', () => {
    // The edge between 10 and 15 minutes is a detection time of 180 minutes (15 x 12).
    const follow = (followed: number | undefined, detection: number) => followedDetection(adaptive, followed, detection);
    const every = (detection: number) => volumeCadenceMinutes(adaptive, detection);
    expect([every(179), every(180)]).toEqual([10, 15]);
    // A store hovering around the edge, its baseline rebuilt every hour, stays where it is.
    let followed = follow(undefined, 175);
    for (const detection of [185, 178, 195, 172, 200, 181]) followed = follow(followed, detection);
    expect(every(followed)).toBe(10);
    // Clearly past it (more than CADENCE_MARGIN), it moves, and then holds on the other side.
    expect(180 * CADENCE_MARGIN).toBeLessThan(215);
    followed = follow(followed, 215);
    expect([followed, every(followed)]).toEqual([215, 15]);
    for (const detection of [175, 165, 190]) followed = follow(followed, detection);
    expect(every(followed)).toBe(15);
    followed = follow(followed, 150);
    expect([followed, every(followed)]).toEqual([150, 10]);
    // A store that became busy leaves the slow steps at once, and a first measurement is taken as it is.
    expect(every(follow(Number.POSITIVE_INFINITY, 2))).toBe(1);
    expect(follow(undefined, 179)).toBe(179);
    // The fixed modes keep their own interval whatever the volume: nothing to move.
    expect(followedDetection({ ...adaptive, mode: 'hybrid' }, 100, 400)).toBe(100);
  });

  it('says how often the store is checked', () => {
    expect(cadenceSentence(1, 'adaptive')).toMatch(/^Checked every minute/);
    expect(cadenceSentence(15, 'adaptive')).toMatch(/^Checked every 15 minutes/);
    expect(cadenceSentence(30, 'hybrid')).toMatch(/^Checked every 30 minutes \(the check interval\)/);
  });
});
