import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { calibrationOffsetMs } from '../../sidecar/src/services/silence-calibration';

describe('when in the day each store is recalibrated', () => {
  it('is the same for a store every time and spread over the day across stores', () => {
    const ids = Array.from({ length: 2400 }, () => randomBytes(12).toString('hex'));
    expect(ids.map(calibrationOffsetMs)).toEqual(ids.map(calibrationOffsetMs));
    const perHour = new Array<number>(24).fill(0);
    for (const id of ids) {
      const offset = calibrationOffsetMs(id);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(86_400_000);
      perHour[Math.floor(offset / 3_600_000)]! += 1;
    }
    // 100 a hour expected; all at midnight (the old behaviour) would put 2,400 in one hour.
    expect(Math.max(...perHour)).toBeLessThan(160);
    expect(Math.min(...perHour)).toBeGreaterThan(50);
  });
});
