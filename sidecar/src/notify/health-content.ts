import type { HealthProblem } from '../domain/store-health';
import type { Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import { formatDuration, storeFacts, storeLinks, type StoreIdentity } from './content';

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
    store: storeFacts(store, settings),
    recipients: [...settings.alert_emails],
    alertId,
    problems: problems.map((p) => p.message),
    seenAt: formatLocal(seenAt, settings.timezone),
    links: storeLinks(store.url),
  };
}

export function healthResolvedContent(store: StoreIdentity, settings: Settings, alertId: number, openedAt: Date, now: Date): HealthContent {
  return {
    kind: 'health_resolved',
    store: storeFacts(store, settings),
    recipients: [...settings.alert_emails],
    alertId,
    openedAt: formatLocal(openedAt, settings.timezone),
    resolvedAt: formatLocal(now, settings.timezone),
    duration: formatDuration(now.getTime() - openedAt.getTime()),
    links: storeLinks(store.url),
  };
}
