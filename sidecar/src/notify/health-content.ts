import type { HealthProblem } from '../domain/store-health';
import type { Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import { audience, formatDuration, type storeFacts, type storeLinks, type StoreIdentity } from './content';

/** What the "checkout cannot work" notices say. */
export type HealthContent =
  | {
      kind: 'health';
      store: ReturnType<typeof storeFacts>;
      recipients: string[];
      alertId: number;
      /** Every cause now, the new ones first (the subject names the first). */
      problems: string[];
      seenAt: string;
      /** Set on an update: causes that appeared while the alert of `openedAt` was open. */
      update: { newProblems: string[]; openedAt: string } | null;
      links: ReturnType<typeof storeLinks>;
    }
  | {
      kind: 'health_resolved';
      store: ReturnType<typeof storeFacts>;
      recipients: string[];
      alertId: number;
      openedAt: string;
      resolvedAt: string;
      duration: string;
      links: ReturnType<typeof storeLinks>;
    };

/**
 * The alert, or with `update` the notice of causes that appeared while it was open (`untold`: their
 * keys), which lists the new ones first.
 */
export function healthContent(
  store: StoreIdentity,
  settings: Settings,
  alertId: number,
  problems: readonly HealthProblem[],
  seenAt: Date,
  update?: { untold: readonly string[]; openedAt: Date },
): HealthContent {
  const fresh = update ? problems.filter((p) => update.untold.includes(p.key)) : [];
  const ordered = [...fresh, ...problems.filter((p) => !fresh.includes(p))];
  return {
    kind: 'health',
    ...audience(store, settings),
    alertId,
    problems: ordered.map((p) => p.message),
    seenAt: formatLocal(seenAt, settings.timezone),
    update: update ? { newProblems: fresh.map((p) => p.message), openedAt: formatLocal(update.openedAt, settings.timezone) } : null,
  };
}

export function healthResolvedContent(store: StoreIdentity, settings: Settings, alertId: number, openedAt: Date, now: Date): HealthContent {
  return {
    kind: 'health_resolved',
    ...audience(store, settings),
    alertId,
    openedAt: formatLocal(openedAt, settings.timezone),
    resolvedAt: formatLocal(now, settings.timezone),
    duration: formatDuration(now.getTime() - openedAt.getTime()),
  };
}
