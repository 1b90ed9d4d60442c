import { z } from 'zod';
import { instant } from './events';
import { toFieldErrors, type FieldError } from './settings';

/**
 * Maintenance windows: while one covers `now`, checks run and alerts open and are recorded, but nothing
 * is sent (README, "Alert lifecycle"). A window is planned (starts_at, ends_at) and may be ended early
 * (ended_at); ended before it began, it was cancelled.
 */
export interface MaintenanceWindow {
  id: number;
  storeId: string;
  startsAt: Date;
  endsAt: Date;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
  endedAt: Date | null;
  endedBy: string | null;
}

/** A window longer than this is a monitor switched off by accident; pause monitoring instead. */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;

export type WindowState = 'upcoming' | 'active' | 'over' | 'cancelled';

/** When the window stops holding alerts: its planned end, or earlier if it was ended early. */
export function effectiveEnd(window: Pick<MaintenanceWindow, 'endsAt' | 'endedAt'>): Date {
  return window.endedAt && window.endedAt < window.endsAt ? window.endedAt : window.endsAt;
}

export function windowState(window: Pick<MaintenanceWindow, 'startsAt' | 'endsAt' | 'endedAt'>, now: Date): WindowState {
  if (window.endedAt && window.endedAt <= window.startsAt) return 'cancelled';
  if (now < window.startsAt) return 'upcoming';
  return now < effectiveEnd(window) ? 'active' : 'over';
}

export const inMaintenance = (windows: ReadonlyArray<Pick<MaintenanceWindow, 'startsAt' | 'endsAt' | 'endedAt'>>, now: Date): boolean =>
  windows.some((w) => windowState(w, now) === 'active');

const requestSchema = z
  .object({
    minutes: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be 1 or more')
      .max(MAX_WINDOW_MINUTES, `must be at most ${MAX_WINDOW_MINUTES.toLocaleString('en')} (7 days)`)
      .optional(),
    starts_at: instant.optional(),
    ends_at: instant.optional(),
    reason: z.string({ error: 'must be text' }).max(200, 'must be at most 200 characters').optional(),
  })
  .strict();

export type MaintenanceRequest = { ok: true; startsAt: Date; endsAt: Date; reason: string | null } | { ok: false; errors: FieldError[] };

/**
 * `{"minutes": N}` starts a window now; `{"starts_at", "ends_at"}` plans one. The end must follow the
 * start, lie in the future, and be at most 7 days after the start.
 */
export function parseMaintenanceRequest(body: unknown, now: Date): MaintenanceRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object: {"minutes": 60} or {"starts_at": ..., "ends_at": ...}' }] };
  }
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: toFieldErrors(parsed.error) };
  const { minutes, starts_at: startsAt, ends_at: endsAt } = parsed.data;
  const reason = parsed.data.reason?.trim() || null;
  if (minutes !== undefined) {
    if (startsAt || endsAt) {
      const field = startsAt ? 'starts_at' : 'ends_at';
      return { ok: false, errors: [{ field, message: 'must not be given with minutes: either minutes (start now) or starts_at and ends_at' }] };
    }
    return { ok: true, startsAt: now, endsAt: new Date(now.getTime() + minutes * 60_000), reason };
  }
  const missing = (field: string, message: string): MaintenanceRequest => ({ ok: false, errors: [{ field, message }] });
  if (!startsAt && !endsAt) return missing('minutes', 'is required: minutes (start now), or starts_at and ends_at');
  if (!startsAt) return missing('starts_at', 'is required with ends_at');
  if (!endsAt) return missing('ends_at', 'is required with starts_at');
  if (endsAt <= startsAt) return { ok: false, errors: [{ field: 'ends_at', message: 'must be after starts_at' }] };
  if (endsAt.getTime() - startsAt.getTime() > MAX_WINDOW_MINUTES * 60_000) {
    return { ok: false, errors: [{ field: 'ends_at', message: 'must be at most 7 days after starts_at' }] };
  }
  if (endsAt <= now) return { ok: false, errors: [{ field: 'ends_at', message: 'must be in the future: the window would be over already' }] };
  return { ok: true, startsAt, endsAt, reason };
}
export { requestSchema as maintenanceRequestSchema };
