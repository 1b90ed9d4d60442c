import { z } from 'zod';

/** The health snapshot a heartbeat carries (README: "Health snapshot"); unknown parts are ignored. */
const page = z.object({ set: z.boolean(), published: z.boolean(), url: z.string().nullable().optional() });
export const healthSnapshotSchema = z.object({
  wordpress_version: z.string().nullish(),
  woocommerce_version: z.string().nullish(),
  gateways_enabled: z.array(z.string()).optional(),
  gateways_available: z.array(z.string()).optional(),
  /** Payment method id => the title the checkout shows; pages name methods by it. */
  gateway_titles: z.record(z.string(), z.string().max(200)).optional(),
  pages: z.object({ shop: page.optional(), cart: page.optional(), checkout: page.optional() }).optional(),
  fatal_errors: z.number().int().min(0).optional(),
  /** The REST API's root as WordPress builds it (`/wp-json/`, or `/?rest_route=/` without pretty permalinks). */
  rest_url: z.string().nullish(),
  wp_cron_late_seconds: z.number().min(0).nullish(),
  action_scheduler_late_seconds: z.number().min(0).nullish(),
});

export type HealthSnapshot = z.infer<typeof healthSnapshotSchema>;

export interface HealthProblem {
  key: 'no_payment_method' | 'checkout_page_unset' | 'checkout_page_unpublished' | 'fatal_errors';
  message: string;
}

/**
 * What in a snapshot means checkout cannot work, in store terms. Pure: the caller passes the snapshot.
 * A part the bridge did not report (an older bridge) raises nothing. Fatal errors are not judged from
 * one snapshot (its count covers five minutes): `judgeFatalErrors` reads the heartbeats' history.
 */
export function healthProblems(snapshot: HealthSnapshot): HealthProblem[] {
  const problems: HealthProblem[] = [];
  if (snapshot.gateways_available && snapshot.gateways_available.length === 0) {
    const enabled = snapshot.gateways_enabled ?? [];
    problems.push({
      key: 'no_payment_method',
      message:
        enabled.length > 0
          ? `No payment method is available at checkout: customers cannot pay (enabled but not offered: ${enabled.map((id) => snapshot.gateway_titles?.[id] ?? id).join(', ')})`
          : 'No payment method is enabled: customers cannot pay (WooCommerce → Settings → Payments)',
    });
  }
  const checkout = snapshot.pages?.checkout;
  if (checkout && !checkout.set) {
    problems.push({ key: 'checkout_page_unset', message: 'The checkout page is not set (WooCommerce → Settings → Advanced → Page setup)' });
  } else if (checkout && !checkout.published) {
    problems.push({ key: 'checkout_page_unpublished', message: 'The checkout page is not published: customers cannot reach it' });
  }
  return problems;
}

const HOUR_MS = 3_600_000;
/** Fatal errors are news only where the heartbeats of the 24 hours before them carried none. */
export const FATAL_QUIET_MS = 24 * HOUR_MS;
/** Once told, fatal errors are over when the heartbeats show an hour without any. */
export const FATAL_CLEAN_MS = HOUR_MS;
/**
 * The heartbeats `judgeFatalErrors` needs: a run of fatal errors is news only if it began within the
 * last 24 hours, and then the 24 hours before its start must be in view too.
 */
export const FATAL_HISTORY_MS = 2 * FATAL_QUIET_MS;

/** One heartbeat's count: the fatal errors WooCommerce reported since the heartbeat before. */
export interface HeartbeatFatals {
  at: Date;
  fatalErrors: number;
}

export interface FatalErrorsJudgement {
  /** Whether the health alert should name fatal errors now. */
  present: boolean;
  /** Fatal errors the heartbeats of the last hour and of the last 24 hours counted. */
  lastHour: number;
  lastDay: number;
  problem: HealthProblem | null;
}

/**
 * Whether fatal errors are a problem to alert on. The bridge's counter starts again at every heartbeat,
 * so one snapshot says little: a store that logs a fatal error an hour would open and resolve an alert
 * each time. Judged on the heartbeats' history instead (pure: the caller passes it and the time):
 * - a *run* of fatal errors is the heartbeats that carry some, until one comes an hour or more after
 *   the run's last fatal error without any (an hour of clean heartbeats ends it);
 * - it is news (the alert names it) when it began within the last 24 hours and no heartbeat of the 24
 *   hours before its start carried a fatal error;
 * - once named (`alertNamesThem`), it stays while the run goes on, whatever its length: a store that
 *   always logs fatal errors is told once, not at every heartbeat, and not again while it keeps on;
 * - a run that was not news (fatal errors came back within a day) is never named: the admin was told
 *   of the first one, and is told again only after a clean day.
 * Without heartbeats nothing is clean: a silent store keeps its alert (the "WordPress stopped
 * reporting" alert covers the silence).
 */
export function judgeFatalErrors(beats: readonly HeartbeatFatals[], now: Date, alertNamesThem: boolean): FatalErrorsJudgement {
  const sorted = [...beats].sort((a, b) => a.at.getTime() - b.at.getTime());
  let run: { start: Date; last: Date; over: boolean } | null = null;
  let lastFatalBefore: Date | null = null;
  for (const beat of sorted) {
    if (beat.fatalErrors > 0) {
      if (!run || run.over) {
        lastFatalBefore = run?.last ?? null;
        run = { start: beat.at, last: beat.at, over: false };
      } else {
        run.last = beat.at;
      }
    } else if (run && !run.over && beat.at.getTime() - run.last.getTime() >= FATAL_CLEAN_MS) {
      run.over = true;
    }
  }
  const ongoing = run !== null && !run.over;
  const news =
    ongoing &&
    now.getTime() - run!.start.getTime() <= FATAL_QUIET_MS &&
    (lastFatalBefore === null || run!.start.getTime() - lastFatalBefore.getTime() > FATAL_QUIET_MS);
  const present = alertNamesThem ? ongoing : news;
  const countSince = (ms: number) => sorted.filter((b) => b.at.getTime() > now.getTime() - ms).reduce((sum, b) => sum + b.fatalErrors, 0);
  const lastHour = countSince(HOUR_MS);
  const lastDay = countSince(FATAL_QUIET_MS);
  return { present, lastHour, lastDay, problem: present ? { key: 'fatal_errors', message: fatalMessage(lastHour, lastDay) } : null };
}

function fatalMessage(lastHour: number, lastDay: number): string {
  const errors = (n: number) => `${n} PHP fatal ${n === 1 ? 'error' : 'errors'}`;
  const day = lastDay > lastHour ? `, ${lastDay} in the last 24 hours` : '';
  return `${errors(lastHour)} logged in the last hour${day} (WooCommerce → Status → Logs, source fatal-errors)`;
}
