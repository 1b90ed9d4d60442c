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
      problems: string[];
      seenAt: string;
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

export function healthContent(store: StoreIdentity, settings: Settings, alertId: number, problems: readonly HealthProblem[], seenAt: Date): HealthContent {
  return {
    kind: 'health',
    ...audience(store, settings),
    alertId,
    problems: problems.map((p) => p.message),
    seenAt: formatLocal(seenAt, settings.timezone),
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
