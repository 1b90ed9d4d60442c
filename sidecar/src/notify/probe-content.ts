import { byPriority, probeCause, type ProbeAssessment, type ProbeTarget } from '../domain/probe';
import type { Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import { storeDownChecks } from './advice';
import { audience, formatDuration, type NotificationContent, type storeFacts, type storeLinks, type StoreIdentity } from './content';

const PAGE_NAMES: Record<ProbeTarget, string> = { home: 'Home page', store_api: 'Product list', cart: 'Cart page', checkout: 'Checkout page' };

/** What the store probe's notices say: which page fails, what it returned, since when. */
export type ProbeContent =
  | {
      kind: 'probe';
      store: ReturnType<typeof storeFacts>;
      recipients: string[];
      alertId: number;
      headline: string;
      failures: Array<{ label: string; message: string; returned: string; url: string; since: string }>;
      /** Set on an update: problems that appeared while the alert of `openedAt` was open. */
      update: { newProblems: string[]; openedAt: string } | null;
      /** The first things to check. */
      checks?: string[];
      links: ReturnType<typeof storeLinks>;
    }
  | {
      kind: 'probe_resolved';
      store: ReturnType<typeof storeFacts>;
      recipients: string[];
      alertId: number;
      headline: string;
      openedAt: string;
      resolvedAt: string;
      duration: string;
      links: ReturnType<typeof storeLinks>;
    };

/**
 * The alert, or with `update` the notice of problems that appeared while it was open (`untold`: their
 * `probeCause` keys), whose headline is the first new one.
 */
export function probeContent(
  store: StoreIdentity,
  settings: Settings,
  alertId: number,
  assessment: ProbeAssessment,
  update?: { untold: readonly string[]; openedAt: Date },
): ProbeContent {
  const fresh = update ? byPriority(assessment.failing.filter((p) => update.untold.includes(probeCause(p)))) : [];
  return {
    kind: 'probe',
    ...audience(store, settings),
    alertId,
    headline: fresh[0]?.message ?? assessment.headline ?? 'store probe failing',
    failures: assessment.failing.map((p) => ({
      label: PAGE_NAMES[p.target],
      message: p.message,
      returned: p.detail,
      url: p.url,
      since: formatLocal(p.since, settings.timezone),
    })),
    update: update ? { newProblems: fresh.map((p) => p.message), openedAt: formatLocal(update.openedAt, settings.timezone) } : null,
    checks: storeDownChecks(
      assessment.headline === 'store unreachable',
      formatLocal(new Date(Math.min(...assessment.failing.map((p) => p.since.getTime()), Date.now())), settings.timezone),
    ),
  };
}

export function probeResolvedContent(store: StoreIdentity, settings: Settings, alertId: number, headline: string, openedAt: Date, now: Date): ProbeContent {
  return {
    kind: 'probe_resolved',
    ...audience(store, settings),
    alertId,
    headline,
    openedAt: formatLocal(openedAt, settings.timezone),
    resolvedAt: formatLocal(now, settings.timezone),
    duration: formatDuration(now.getTime() - openedAt.getTime()),
  };
}

/**
 * An order alert (or its reminder or escalation) sent while the probe alert is open says what the probe
 * sees: "No orders where about 6 were expected, and the checkout page has returned 500 since ...".
 */
export function withProbeExplanation(content: NotificationContent, note: string | null): NotificationContent {
  if (!note || (content.kind !== 'alert' && content.kind !== 'reminder' && content.kind !== 'escalation')) return content;
  return { ...content, headline: `${content.headline}, and ${note}`, probe: note };
}
