import type { FieldError } from '../domain/settings';

/** The UTC instant of local midnight starting `date` (YYYY-MM-DD) in `timeZone`. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  // Two passes settle the offset even when midnight itself falls near a daylight-saving change.
  let instant = guess - offsetMs(new Date(guess), timeZone);
  instant = guess - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

function offsetMs(instant: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A period of whole local days, `from` to `to` inclusive; each bad field named. */
export function parsePeriod(
  query: { from?: unknown; to?: unknown },
  timeZone: string,
): { ok: true; from: Date; to: Date } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  for (const field of ['from', 'to'] as const) {
    const value = query[field];
    if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) {
      errors.push({ field, message: 'must be a date as YYYY-MM-DD' });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const from = startOfLocalDay(query.from as string, timeZone);
  const dayAfter = new Date(Date.parse(query.to as string) + 86_400_000).toISOString().slice(0, 10);
  const to = startOfLocalDay(dayAfter, timeZone);
  if (to <= from) return { ok: false, errors: [{ field: 'to', message: 'must not be before from' }] };
  return { ok: true, from, to };
}
