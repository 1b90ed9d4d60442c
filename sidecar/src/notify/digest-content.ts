import type { AllStoresLine, DigestContent, WeeklyDigestContent, ZeroDay } from '../domain/digest';
import type { Settings } from '../domain/settings';
import { formatLocal } from '../domain/time';
import { audience, type StoreIdentity } from './content';

type Audience = ReturnType<typeof audience>;

/** A zero day as a person reads it: "Sunday 2026-11-22: no orders (critical)". */
export interface ZeroDayLine extends ZeroDay {
  text: string;
  critical: boolean;
}

/** What the store digests say, fixed when they are decided, so a retry sends the same words. */
export type DigestNotificationContent =
  | (Audience & {
      kind: 'digest';
      day: string;
      weekday: string;
      /** "all good", or what stands out: the subject's end. */
      headline: string;
      lines: string[];
      zeroDays: ZeroDayLine[];
      alertsLine: string | null;
      probeLine: string | null;
      allGood: boolean;
      allGoodLine: string | null;
      sentAt: string;
    })
  | (Audience & {
      kind: 'weekly_digest';
      from: string;
      to: string;
      headline: string;
      lines: string[];
      days: Array<{ day: string; weekday: string; text: string }>;
      zeroDays: ZeroDayLine[];
      alertsLine: string | null;
      allGood: boolean;
      sentAt: string;
    });

/** The all-stores digest: no store of its own, one line per store, problems first. */
export interface AllStoresDigestContent {
  kind: 'all_stores_digest';
  recipients: string[];
  day: string;
  sentAt: string;
  headline: string;
  problems: AllStoresLine[];
  fine: AllStoresLine[];
  total: number;
}

const WEEKDAY = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const weekdayName = (day: string) => WEEKDAY[(new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7]!;

function zeroDayLines(zeros: readonly ZeroDay[]): ZeroDayLine[] {
  return zeros.map((z) => ({ ...z, text: `${weekdayName(z.day)} ${z.day}: ${z.kind} (${z.severity})`, critical: z.severity === 'critical' }));
}

function headlineOf(allGood: boolean, zeros: readonly ZeroDay[], alertsLine: string | null): string {
  if (allGood) return 'all good';
  const critical = zeros.filter((z) => z.severity === 'critical');
  if (critical.length > 0) return `${critical.length} days without ${critical[0]!.kind === 'no orders' ? 'orders' : 'revenue'}`;
  if (zeros.length > 0) return `a day with ${zeros[0]!.kind}`;
  if (alertsLine) return alertsLine;
  return 'worth a look';
}

export function storeDigestContent(store: StoreIdentity, settings: Settings, c: DigestContent, now: Date): DigestNotificationContent {
  return {
    kind: 'digest',
    ...audience(store, settings),
    day: c.day,
    weekday: c.weekday,
    headline: headlineOf(c.allGood, c.zeroDays, c.alertsLine),
    lines: c.lines,
    zeroDays: zeroDayLines(c.zeroDays),
    alertsLine: c.alertsLine,
    probeLine: c.probeLine,
    allGood: c.allGood,
    allGoodLine: c.allGoodLine,
    sentAt: formatLocal(now, settings.timezone),
  };
}

export function weeklyDigestNotice(store: StoreIdentity, settings: Settings, c: WeeklyDigestContent, now: Date): DigestNotificationContent {
  return {
    kind: 'weekly_digest',
    ...audience(store, settings),
    from: c.from,
    to: c.to,
    headline: headlineOf(c.allGood, c.zeroDays, c.alertsLine),
    lines: c.lines,
    days: c.days,
    zeroDays: zeroDayLines(c.zeroDays),
    alertsLine: c.alertsLine,
    allGood: c.allGood,
    sentAt: formatLocal(now, settings.timezone),
  };
}

export function allStoresDigestContent(recipients: readonly string[], day: string, lines: readonly AllStoresLine[], now: Date, timeZone: string): AllStoresDigestContent {
  const problems = lines.filter((l) => l.problem);
  return {
    kind: 'all_stores_digest',
    recipients: [...recipients],
    day,
    sentAt: formatLocal(now, timeZone),
    headline: problems.length === 0 ? `all ${lines.length} stores good` : `${problems.length} of ${lines.length} stores need a look`,
    problems,
    fine: lines.filter((l) => !l.problem),
    total: lines.length,
  };
}
