import { describe, expect, it } from 'vitest';
import { formatSiteDate, isSiteDateFormat } from '../../sidecar/src/http/site-date';

describe('dates in the WordPress site\'s own format', () => {
  const instant = new Date('2026-12-02T13:05:09Z');

  it('writes the formats WordPress offers in Settings → General, in the given time zone', () => {
    expect(formatSiteDate(instant, 'Europe/Berlin', 'F j, Y g:i a')).toBe('December 2, 2026 2:05 pm');
    expect(formatSiteDate(instant, 'Europe/Berlin', 'Y-m-d H:i')).toBe('2026-12-02 14:05');
    expect(formatSiteDate(instant, 'America/New_York', 'm/d/Y g:i A')).toBe('12/02/2026 8:05 AM');
    expect(formatSiteDate(instant, 'Europe/Berlin', 'd/m/Y H:i')).toBe('02/12/2026 14:05');
    expect(formatSiteDate(instant, 'Asia/Tokyo', 'l, jS \\o\\f F Y, G:i:s T')).toBe('Wednesday, 2nd of December 2026, 22:05:09 GMT+9');
  });

  it('turns midnight and noon into 12 on a 12-hour clock', () => {
    expect(formatSiteDate(new Date('2026-12-02T00:30:00Z'), 'UTC', 'g:i a')).toBe('12:30 am');
    expect(formatSiteDate(new Date('2026-12-02T12:30:00Z'), 'UTC', 'h:i A')).toBe('12:30 PM');
  });

  it('refuses a format with markup or control characters', () => {
    expect(isSiteDateFormat('F j, Y g:i a')).toBe(true);
    expect(isSiteDateFormat('<b>Y</b>')).toBe(false);
    expect(isSiteDateFormat('')).toBe(false);
  });
});
