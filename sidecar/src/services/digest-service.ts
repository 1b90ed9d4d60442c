import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DAILY_FIGURES_RETENTION_DAYS, localDayBounds, shiftDay, weekdayOf, type DailyFigures } from '../domain/daily-figures';
import { allStoresLines, digestContent, digestDue, weeklyDigestContent, type DigestContent, type StoreDigestSummary } from '../domain/digest';
import type { Settings } from '../domain/settings';
import { localDate } from '../domain/time';
import { allStoresDigestContent, storeDigestContent, weeklyDigestNotice } from '../notify/digest-content';
import type { DailyFiguresRepository } from '../store/daily-figures';
import { ALL_STORES_SCOPE, claimKey, type DigestKind, type DigestRepository } from '../store/digests';
import type { OperatorRepository } from '../store/operators';
import type { SettingsRepository } from '../store/settings';
import type { StoreRecord, StoreRepository } from '../store/stores';
import type { DailyFiguresService } from './daily-figures-service';

/** Same-weekday days the usual is taken from: eight weeks back. */
const HISTORY_DAYS = 56;
/** How long one run may spend on store digests before it leaves the rest to the next (a minute later). */
const DIGEST_RUN_BUDGET_MS = 10_000;
/** A claim is only ever checked for today's local date; kept as long as the daily figures all the same. */
const CLAIMS_KEPT_MS = DAILY_FIGURES_RETENTION_DAYS * 86_400_000;

export interface DigestSent {
  scope: string;
  kind: DigestKind;
  localDate: string;
  notificationId: number;
}

/**
 * Sends each store's digest once its local digest hour has come (and on Mondays the weekly one, if asked
 * for), and the all-stores digest to the operators who asked for it, each exactly once per local day: a
 * digest is claimed in digest_claims together with its notification, which the notification queue then
 * delivers like any alert (e-mail, Slack, webhook; retried, each recipient claimed before it is sent).
 */
export class DigestService {
  private lastPruneAt = 0;

  constructor(
    private readonly deps: {
      stores: StoreRepository;
      settings: SettingsRepository;
      figures: DailyFiguresRepository;
      rollUp: DailyFiguresService;
      digests: DigestRepository;
      operators: OperatorRepository;
      dispatch: (ids: number[]) => Promise<void>;
      allStores: { at: string; timezone: string };
      notificationsKeptDays: number;
      log: Logger;
    },
  ) {}

  /**
   * Every digest due at `now` that nobody has claimed yet: claimed, stored and queued.
   *
   * `budgetMs`: once a run has sent some and spent this long, it leaves the rest to the next run (a
   * minute later), which finds them unclaimed. Thousands of stores with one digest hour otherwise made
   * one run of minutes that held a check worker and the event loop while checks fell late.
   */
  async runDue(now = new Date(), { budgetMs = DIGEST_RUN_BUDGET_MS }: { budgetMs?: number } = {}): Promise<DigestSent[]> {
    const started = Date.now();
    const { stores, settings: settingsRepo, log } = this.deps;
    const all = await stores.list();
    const settings = await settingsRepo.getMany(all.map((s) => s.id));
    // Every store's claims of its local today in one query: once the day's digests are out, a look costs
    // two or three queries whatever the number of stores.
    const dates = [...settings.values()].map((s) => localDate(now, s.timezone));
    const claimed = await this.deps.digests.claimedOn([...dates, localDate(now, this.deps.allStores.timezone)]);
    const sent: DigestSent[] = [];
    for (const [i, store] of all.entries()) {
      const s = settings.get(store.id);
      if (!s) continue;
      if (sent.length > 0 && Date.now() - started >= budgetMs) {
        log.info({ storesLeft: all.length - i }, 'digest run out of time; the next run goes on');
        break;
      }
      try {
        sent.push(...(await this.storeDigests(store, s, now, claimed)));
      } catch (error) {
        log.warn({ storeId: store.id, err: (error as Error).message }, 'store digest failed; the next run tries again');
      }
    }
    try {
      const allStores = await this.allStoresDigest(all, settings, now, claimed);
      if (allStores) sent.push(allStores);
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'all-stores digest failed; the next run tries again');
    }
    if (sent.length > 0) {
      log.info({ digests: sent.map((d) => `${d.kind}:${d.scope}:${d.localDate}`) }, 'digests decided');
      await this.deps.dispatch(sent.map((d) => d.notificationId)).catch((error: Error) => log.warn({ err: error.message }, 'could not queue digests; the pending sweep will'));
    }
    await this.pruneIfDue(now);
    return sent;
  }

  /** `claimed`: the claims known at the start of this look; the claim itself is what decides. */
  private async storeDigests(store: StoreRecord, settings: Settings, now: Date, claimed: Set<string>): Promise<DigestSent[]> {
    if (!settings.digest_enabled) return [];
    const due = digestDue(now, settings.timezone, settings.digest_hour);
    if (!due) return [];
    // A store registered today has no yesterday to tell.
    if (store.createdAt >= localDayBounds(due.day, settings.timezone).end) return [];
    const daily = !claimed.has(claimKey(store.id, 'daily', due.sendDay));
    const weeklyDue = settings.digest_weekly && weekdayOf(due.sendDay) === 1 && !claimed.has(claimKey(store.id, 'weekly', due.sendDay));
    if (!daily && !weeklyDue) return [];
    // The days told are rolled up first, so a digest never waits for the roll-up job.
    await this.deps.rollUp.rollUp(store.id, now);
    const out: DigestSent[] = [];
    const by = randomUUID();
    if (daily) {
      const { content } = await this.storeDay(store, settings, due.day);
      const id = await this.deps.digests.claim(
        { scope: store.id, kind: 'daily', localDate: due.sendDay, by, now },
        { storeId: store.id, kind: 'digest', content: storeDigestContent(store, settings, content, now) },
      );
      if (id !== null) out.push({ scope: store.id, kind: 'daily', localDate: due.sendDay, notificationId: id });
    }
    if (weeklyDue) {
      const weekStart = shiftDay(due.sendDay, -7);
      const days = await this.deps.figures.list(store.id, shiftDay(weekStart, -7), due.day);
      const { start } = localDayBounds(weekStart, settings.timezone);
      const { end } = localDayBounds(due.day, settings.timezone);
      const alerts = await this.deps.digests.alertsOpenedAndResolved(store.id, start, end);
      const weekly = weeklyDigestContent({ weekStart, days, alertsOpened: alerts.opened, alertsResolved: alerts.resolved });
      const id = await this.deps.digests.claim(
        { scope: store.id, kind: 'weekly', localDate: due.sendDay, by, now },
        { storeId: store.id, kind: 'weekly_digest', content: weeklyDigestNotice(store, settings, weekly, now) },
      );
      if (id !== null) out.push({ scope: store.id, kind: 'weekly', localDate: due.sendDay, notificationId: id });
    }
    return out;
  }

  /** A store's `day` as its digest tells it, from the daily figures rolled up. */
  private async storeDay(store: StoreRecord, settings: Settings, day: string): Promise<{ content: DigestContent; figures: DailyFigures | null }> {
    const rows = await this.deps.figures.list(store.id, shiftDay(day, -HISTORY_DAYS), day);
    const figures = rows.find((d) => d.day === day) ?? null;
    const { start, end } = localDayBounds(day, settings.timezone);
    const alerts = await this.deps.digests.alertsOpenedAndResolved(store.id, start, end);
    const probeUptimePct = settings.probe_enabled ? await this.deps.digests.probeUptime(store.id, start, end) : null;
    const content = digestContent({
      day,
      figures,
      history: rows.filter((d) => d.day < day),
      alertsOpened: alerts.opened,
      alertsResolved: alerts.resolved,
      probeUptimePct,
    });
    return { content, figures };
  }

  /**
   * One message a day to the operators who asked for it and the CLI's recipients: a line per store for
   * the store's own yesterday, problems first. Nothing is claimed while there is nobody to send it to.
   */
  private async allStoresDigest(stores: readonly StoreRecord[], settings: Map<string, Settings>, now: Date, claimed: Set<string>): Promise<DigestSent | null> {
    const { at, timezone } = this.deps.allStores;
    const due = digestDue(now, timezone, at);
    if (!due || claimed.has(claimKey(ALL_STORES_SCOPE, 'all_stores', due.sendDay))) return null;
    const recipients = [...new Set([...(await this.deps.operators.digestOptedIn()), ...(await this.deps.digests.recipients())].map((e) => e.toLowerCase()))].sort();
    if (recipients.length === 0) return null;
    const open = await this.deps.digests.openAlerts(stores.map((s) => s.id));
    const summaries: StoreDigestSummary[] = [];
    for (const store of stores) {
      const s = settings.get(store.id);
      if (!s) continue;
      const day = shiftDay(localDate(now, s.timezone), -1);
      await this.deps.rollUp.rollUp(store.id, now);
      const { content, figures } = await this.storeDay(store, s, day);
      summaries.push({ name: store.name, content, figures, openAlerts: open.get(store.id) ?? 0 });
    }
    const content = allStoresDigestContent(recipients, due.day, allStoresLines(summaries), now, timezone);
    const id = await this.deps.digests.claim(
      { scope: ALL_STORES_SCOPE, kind: 'all_stores', localDate: due.sendDay, by: randomUUID(), now },
      { storeId: null, kind: 'all_stores_digest', content },
    );
    return id === null ? null : { scope: ALL_STORES_SCOPE, kind: 'all_stores', localDate: due.sendDay, notificationId: id };
  }

  private async pruneIfDue(now: Date): Promise<void> {
    if (now.getTime() - this.lastPruneAt < 3_600_000) return;
    this.lastPruneAt = now.getTime();
    await this.deps.digests.prune(new Date(now.getTime() - CLAIMS_KEPT_MS), new Date(now.getTime() - this.deps.notificationsKeptDays * 86_400_000));
  }
}
