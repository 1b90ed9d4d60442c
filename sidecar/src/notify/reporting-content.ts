import { formatLocal } from '../domain/time';
import type { Settings } from '../domain/settings';
import { audience, formatDuration, type storeFacts, type storeLinks, type StoreIdentity } from './content';

/** What the "WordPress stopped reporting" notices say: never an order alert. */
export type ReportingContent =
  | {
      kind: 'blind';
      store: ReturnType<typeof storeFacts>;
      recipients: string[];
      alertId: number;
      lastContactAt: string;
      silentFor: string;
      /** What the sidecar saw when it asked the store itself, or null without REST keys. */
      siteAnswer: string | null;
      links: ReturnType<typeof storeLinks>;
    }
  | {
      kind: 'blind_resolved';
      store: ReturnType<typeof storeFacts>;
      recipients: string[];
      alertId: number;
      lastContactAt: string;
      silentFor: string;
      links: ReturnType<typeof storeLinks>;
    };

export function blindContent(
  store: StoreIdentity,
  settings: Settings,
  alertId: number,
  lastContactAt: Date,
  now: Date,
  siteAnswer: string | null,
): ReportingContent {
  return {
    kind: 'blind',
    ...audience(store, settings),
    alertId,
    lastContactAt: formatLocal(lastContactAt, settings.timezone),
    silentFor: formatDuration(now.getTime() - lastContactAt.getTime()),
    siteAnswer,
  };
}

export function blindResolvedContent(store: StoreIdentity, settings: Settings, alertId: number, silentSince: Date, now: Date): ReportingContent {
  return {
    kind: 'blind_resolved',
    ...audience(store, settings),
    alertId,
    lastContactAt: formatLocal(now, settings.timezone),
    silentFor: formatDuration(now.getTime() - silentSince.getTime()),
  };
}
