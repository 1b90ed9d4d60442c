import type { FieldError } from '../domain/settings';
import { zonedToUtc } from '../domain/time';

/** The UTC instant of local midnight starting `date` (YYYY-MM-DD) in `timeZone`. */
const startOfLocalDay = (date: string, timeZone: string): Date => zonedToUtc(`${date}T00:00`, timeZone)!;

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
