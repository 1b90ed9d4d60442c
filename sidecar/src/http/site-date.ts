/**
 * Dates as the WordPress site writes them: its "Date format" and "Time format" settings are PHP date()
 * formats (Settings → General), sent by the bridge with each page request. Only the letters WordPress's
 * settings screen offers and their close kin are known; any other character is printed as it is, as PHP
 * prints a character it does not know.
 */
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const formatters = new Map<string, Intl.DateTimeFormat>();
function partsIn(instant: Date, timeZone: string): Record<string, string> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
      timeZoneName: 'short',
    });
    formatters.set(timeZone, f);
  }
  return Object.fromEntries(f.formatToParts(instant).map((p) => [p.type, p.value]));
}

const ordinal = (day: number) => (day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th');
const two = (n: number) => String(n).padStart(2, '0');

/** A format the site may send: PHP date letters, at most 100 characters. */
export function isSiteDateFormat(format: string): boolean {
  return format.length > 0 && format.length <= 100 && !/[\u0000-\u001f<>]/.test(format);
}

export function formatSiteDate(instant: Date, timeZone: string, format: string): string {
  const p = partsIn(instant, timeZone);
  const year = Number(p.year);
  const month = Number(p.month);
  const day = Number(p.day);
  const hour = Number(p.hour) % 24;
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday ?? '');
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;
  let out = '';
  for (let i = 0; i < format.length; i += 1) {
    const c = format[i]!;
    switch (c) {
      case '\\': out += format[i + 1] ?? ''; i += 1; break;
      case 'd': out += two(day); break;
      case 'j': out += String(day); break;
      case 'S': out += ordinal(day); break;
      case 'D': out += DAYS[weekday]?.slice(0, 3) ?? ''; break;
      case 'l': out += DAYS[weekday] ?? ''; break;
      case 'm': out += two(month); break;
      case 'n': out += String(month); break;
      case 'F': out += MONTHS[month - 1] ?? ''; break;
      case 'M': out += MONTHS[month - 1]?.slice(0, 3) ?? ''; break;
      case 'Y': out += String(year); break;
      case 'y': out += two(year % 100); break;
      case 'a': out += hour < 12 ? 'am' : 'pm'; break;
      case 'A': out += hour < 12 ? 'AM' : 'PM'; break;
      case 'g': out += String(hour12); break;
      case 'h': out += two(hour12); break;
      case 'G': out += String(hour); break;
      case 'H': out += two(hour); break;
      case 'i': out += p.minute ?? ''; break;
      case 's': out += p.second ?? ''; break;
      case 'T': out += p.timeZoneName ?? ''; break;
      case 'e': out += timeZone; break;
      default: out += c;
    }
  }
  return out;
}
