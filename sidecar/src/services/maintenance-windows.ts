import { effectiveEnd, parseMaintenanceRequest, windowState, type MaintenanceWindow } from '../domain/maintenance';
import type { FieldError } from '../domain/settings';
import type { MaintenanceRepository } from '../store/maintenance';

export function windowView(w: MaintenanceWindow, now: Date) {
  return {
    id: w.id,
    state: windowState(w, now),
    starts_at: w.startsAt.toISOString(),
    ends_at: effectiveEnd(w).toISOString(),
    planned_end: w.endsAt.toISOString(),
    reason: w.reason,
    created_by: w.createdBy,
    created_at: w.createdAt.toISOString(),
    ended_at: w.endedAt?.toISOString() ?? null,
    ended_by: w.endedBy,
  };
}

/** Starting, listing and ending a store's maintenance windows, for the API and the status page alike. */
export class MaintenanceWindows {
  constructor(private readonly repo: MaintenanceRepository) {}

  async start(storeId: string, body: unknown, by: string, now = new Date()): Promise<{ ok: true; window: MaintenanceWindow } | { ok: false; errors: FieldError[] }> {
    const request = parseMaintenanceRequest(body, now);
    if (!request.ok) return request;
    const window = await this.repo.create({ storeId, startsAt: request.startsAt, endsAt: request.endsAt, reason: request.reason, createdBy: by, createdAt: now });
    return { ok: true, window };
  }

  /** The current window (if any) and the upcoming ones, soonest first. */
  async currentAndUpcoming(storeId: string, now = new Date()): Promise<MaintenanceWindow[]> {
    return (await this.repo.currentAndUpcoming(storeId, now)).filter((w) => windowState(w, now) !== 'cancelled');
  }

  /** Ends a window now (or cancels one not begun); false when there is no such window still to come. */
  async end(storeId: string, id: number, by: string, now = new Date()): Promise<MaintenanceWindow | null> {
    if (!Number.isSafeInteger(id) || !(await this.repo.end(storeId, id, by, now))) return null;
    return this.repo.find(storeId, id);
  }
}
