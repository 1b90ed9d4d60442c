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

/** Building an Intl formatter is costly next to using one: each (purpose, zone) is built once. */
function cachedFormatter(purpose: string, timeZone: string, locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${purpose}|${timeZone}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone, hourCycle: 'h23', ...options });
    formatters.set(key, formatter);
  }
  return formatter;
}

const formatterFor = (timeZone: string) => cachedFormatter('clock', timeZone, 'en-US', { weekday: 'short', hour: '2-digit', minute: '2-digit' });

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/**
 * Zones already found valid: building a DateTimeFormat costs about a millisecond of CPU, and every
 * settings read (each check) validates the store's zone. Intl also accepts spellings of one zone in any
 * letter case, so the set is emptied when it outgrows the IANA list (about 600 names).
 */
const knownZones = new Set<string>();

export function isKnownTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.trim() !== timeZone) return false;
  if (knownZones.has(timeZone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return false;
  }
  if (knownZones.size >= 2_000) knownZones.clear();
  knownZones.add(timeZone);
  return true;
}

const QUARTER_MS = 15 * 60_000;
/** Local time at the start of recent quarter hours, per zone: bounded, cleared when full. */
const quarterStarts = new Map<string, LocalTime>();
const MAX_CACHED_QUARTERS = 20_000;

/**
 * Zone offsets change only on quarter-hour boundaries (every zone's offset is a multiple of 15 minutes), so
 * the local time of an instant is its quarter hour's start plus the minutes since. Intl's formatToParts was
 * most of a replay's time: a backtest asks this at every simulated minute.
 */
export function localTime(instant: Date, timeZone: string): LocalTime {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) return formattedLocalTime(instant, timeZone);
  const quarter = Math.floor(ms / QUARTER_MS);
  const key = `${timeZone}|${quarter}`;
  let start = quarterStarts.get(key);
  if (!start) {
    if (quarterStarts.size >= MAX_CACHED_QUARTERS) quarterStarts.clear();
    start = formattedLocalTime(new Date(quarter * QUARTER_MS), timeZone);
    quarterStarts.set(key, start);
  }
  const minuteOfDay = start.minuteOfDay + Math.floor((ms - quarter * QUARTER_MS) / 60_000);
  if (minuteOfDay < 1440) return { weekday: start.weekday, minuteOfDay };
  return { weekday: (start.weekday % 7) + 1, minuteOfDay: minuteOfDay - 1440 };
}

function formattedLocalTime(instant: Date, timeZone: string): LocalTime {
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

/** "2026-11-23", the store's calendar date at an instant. */
export const localDate = (instant: Date, timeZone: string): string => formatLocal(instant, timeZone).slice(0, 10);

/** "2026-11-23 20:15 CET", for people reading alerts. */
export function formatLocal(instant: Date, timeZone: string): string {
  const formatter = cachedFormatter('display', timeZone, 'en-CA', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

export const HOUR_MS = 3_600_000;

/** Whole UTC hours since the epoch: the buckets the adaptive baseline counts in. */
export const hourIndex = (instant: Date | number): number => Math.floor(Number(instant) / HOUR_MS);

const hourOfWeekCache = new Map<string, Map<number, number>>();

/**
 * The local hour of week (0 = Monday 00:00 ... 167) of a UTC hour bucket. Cached because the baseline asks
 * for every hour of eight weeks at each rebuild; the cache is dropped when it grows large, never wrong.
 */
export function hourOfWeek(utcHour: number, timeZone: string): number {
  let zone = hourOfWeekCache.get(timeZone);
  if (!zone) {
    zone = new Map();
    hourOfWeekCache.set(timeZone, zone);
  }
  let slot = zone.get(utcHour);
  if (slot === undefined) {
    // The middle of the hour, so zones with half-hour offsets fall in the hour most of it belongs to.
    const { weekday, minuteOfDay } = localTime(new Date(utcHour * HOUR_MS + 30 * 60_000), timeZone);
    slot = (weekday - 1) * 24 + Math.floor(minuteOfDay / 60);
    if (zone.size > 200_000) zone.clear();
    zone.set(utcHour, slot);
  }
  return slot;
}

/** The zone's offset from UTC at an instant, in minutes (Berlin in winter: 60). */
function offsetMinutes(instant: Date, timeZone: string): number {
  const formatter = cachedFormatter('offset', timeZone, 'en-US', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const p = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/**
 * Why a calendar date and time cannot exist ("February 2017 has 28 days", "hour 25"), or null when it can.
 * Date.UTC rolls such values over silently: one 2017-02-30 would become 2 March.
 */
export function impossibleDateTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): string | null {
  if (month < 1 || month > 12) return `month ${month} (1-12)`;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) return `day ${day} (${new Date(Date.UTC(year, month - 1, 1)).toLocaleString('en-US', { month: 'long', timeZone: 'UTC' })} ${year} has ${days} days)`;
  if (hour > 23) return `hour ${hour} (0-23)`;
  if (minute > 59) return `minute ${minute} (0-59)`;
  if (second > 59) return `second ${second} (0-59)`;
  return null;
}

/**
 * A wall-clock time without offset ("2017-03-05T14:20:00", as exports often write it) read in a zone. In
 * the hour skipped by a daylight-saving change it lands an hour later; in the repeated hour, on the first.
 * A date that cannot exist (2017-02-30, month 13, hour 25) is null, never rolled over.
 */
export function zonedToUtc(wallClock: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(wallClock.trim());
  if (!m) return null;
  if (impossibleDateTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))) return null;
  const naive = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(naive)) return null;
  // Two rounds settle the offset everywhere except inside a skipped hour, which the second round moves past.
  let guess = naive - offsetMinutes(new Date(naive), timeZone) * 60_000;
  guess = naive - offsetMinutes(new Date(guess), timeZone) * 60_000;
  return new Date(guess);
}

/**
 * Where in a period of `spanMs` a key's recurring work falls: spread evenly by a hash of the key (FNV-1a),
 * the same on every process and restart, so ten thousand stores' checks, probes or calibrations do not all
 * fall due in the same second.
 */
export function spreadOver(key: string, spanMs: number): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i += 1) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619) >>> 0;
  return hash % Math.max(1, Math.floor(spanMs));
}
