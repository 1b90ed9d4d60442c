/**
 * Wall-clock questions about an instant in a store's own time zone. Instants stay UTC everywhere else;
 * Intl does the zone arithmetic, so daylight-saving changes need no special casing here.
 */

export interface LocalTime {
  /** ISO weekday: 1 = Monday ... 7 = Sunday. */
  weekday: number;
  /** Minutes since local midnight, 0..1439. */
  minuteOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export function isKnownTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.trim() !== timeZone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export function localTime(instant: Date, timeZone: string): LocalTime {
  let weekday = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minuteOfDay: hour * 60 + minute };
}

/** "09:30" -> 570. The settings schema guarantees the format. */
export function parseClock(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

export interface PeakHours {
  start: string;
  end: string;
  weekdays: readonly number[];
}

/**
 * Peak hours may cross midnight (22:00-02:00). The hours after midnight then belong to the day the
 * period started on, so "Friday 22:00-02:00" covers Saturday 01:00 and not Friday 01:00.
 */
export function isPeakTime(instant: Date, timeZone: string, peak: PeakHours): boolean {
  const { weekday, minuteOfDay } = localTime(instant, timeZone);
  const start = parseClock(peak.start);
  const end = parseClock(peak.end);
  if (start < end) return minuteOfDay >= start && minuteOfDay < end && peak.weekdays.includes(weekday);
  if (minuteOfDay >= start) return peak.weekdays.includes(weekday);
  const previousDay = weekday === 1 ? 7 : weekday - 1;
  return minuteOfDay < end && peak.weekdays.includes(previousDay);
}

const displayFormatters = new Map<string, Intl.DateTimeFormat>();

/** "2026-11-23 20:15 CET", for people reading alerts. */
export function formatLocal(instant: Date, timeZone: string): string {
  let formatter = displayFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    displayFormatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}
