/**
 * A time zone where it is neither the first nor the last hour of the day now: tests whose orders of the
 * last minutes must all be "today", and whose days before today must be whole, run at any hour (in
 * Berlin at 22:00-24:00 UTC they were not).
 */
export function zoneAwayFromMidnight(now = new Date()): string {
  return ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo'].find((zone) => {
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(now));
    return hour >= 1 && hour <= 22;
  })!;
}
