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
      /** The first things to check, one per cause. */
      checks?: string[];
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
    checks: [...new Set(ordered.map((p) => HEALTH_CHECKS[p.key]))],
  };
}

/** What to do about each cause, in the owner's words. */
const HEALTH_CHECKS: Record<HealthProblem['key'], string> = {
  no_payment_method:
    'Open WooCommerce → Settings → Payments and make sure at least one payment method is enabled and fully set up; a method can also hide itself for some countries, currencies or order totals.',
  checkout_page_unset: 'Open WooCommerce → Settings → Advanced → Page setup and choose your checkout page.',
  checkout_page_unpublished: 'Open Pages, find your checkout page and publish it again (it may have been moved to draft or to the bin).',
  fatal_errors:
    'Open WooCommerce → Status → Logs, choose the "fatal-errors" log and read the newest entry: it names the plugin or theme file that failed. Undo its latest update, or contact its author.',
};

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
