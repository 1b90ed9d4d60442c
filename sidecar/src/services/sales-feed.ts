import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { salesFeedStep } from '../domain/sales-feed';
import { storeFacts } from '../notify/content';
import { saleContent, salesBatchContent, type SaleLine } from '../notify/sales-content';
import type { ChannelRecord, ChannelRepository } from '../store/channels';
import type { NotificationRepository } from '../store/notifications';
import type { FeedOrder, SalesFeedRepository } from '../store/sales-feed';
import type { SettingsRepository } from '../store/settings';
import type { StoreRepository } from '../store/stores';
import { paymentTitles } from './alert-evidence';

/** Orders decided per channel and run; a flash sale's backlog is worked off by the runs that follow. */
const ORDERS_PER_RUN = 2000;
/** A late order is still news for a week (REST read-back after an outage); older ones are not posted. */
const MAX_AGE_MS = 7 * 86_400_000;
/** How long a store's "has a sales feed" answer is trusted by ingest before it is read again. */
const HAS_FEED_TTL_MS = 30_000;

export interface SalesFeedQueue {
  /** Runs the feed for the store soon; `delayMs` later when the minute's batch is not due yet. */
  triggerSalesFeed(storeId: string, delayMs?: number): Promise<void>;
}

/**
 * The sales feed: each successful order posted to the Slack and webhook channels that asked for it, or
 * above the channel's rate one message a minute. It only decides and stores the posts; each post is a
 * notification, delivered by the NotificationService through the same notifiers, retries and delivery
 * claims as an alert, so a receiver that is down gets it when it is back, once.
 *
 * Ingest only queues a run (after its answer is sent); a periodic sweep catches a run Redis lost.
 */
export class SalesFeed {
  private readonly hasFeedCache = new Map<string, { value: boolean; until: number }>();
  private lastPruneAt = 0;

  constructor(
    private readonly deps: {
      db: Knex;
      feed: SalesFeedRepository;
      channels: ChannelRepository;
      stores: StoreRepository;
      settings: SettingsRepository;
      notifications: NotificationRepository;
      dispatch: (notificationIds: readonly number[]) => Promise<void>;
      queue: SalesFeedQueue;
      log: Logger;
    },
  ) {}

  /** Called after ingest with new order events: queues a run when one of the store's channels has the feed on. */
  async trigger(storeId: string, now = Date.now()): Promise<void> {
    let known = this.hasFeedCache.get(storeId);
    if (!known || known.until < now) {
      const value = (await this.deps.channels.list(storeId)).some((c) => c.salesFeedSince !== null);
      known = { value, until: now + HAS_FEED_TTL_MS };
      this.hasFeedCache.set(storeId, known);
    }
    if (known.value) await this.deps.queue.triggerSalesFeed(storeId);
  }

  /** A channel's feed was turned on or off here: ingest on this sidecar knows at once. */
  forget(storeId: string): void {
    this.hasFeedCache.delete(storeId);
  }

  /** Every store with a feed: what a lost trigger would have done, at most a minute late. */
  async sweep(now = new Date()): Promise<void> {
    if (now.getTime() - this.lastPruneAt > 3_600_000) {
      this.lastPruneAt = now.getTime();
      // A day beyond the look-back, so an order is never both unrecorded and still within it.
      await this.deps.feed.prune(new Date(now.getTime() - MAX_AGE_MS - 86_400_000));
    }
    for (const storeId of await this.deps.channels.storesWithSalesFeed()) {
      await this.run(storeId, now).catch((error: Error) => this.deps.log.warn({ storeId, err: error.message }, 'sales feed run failed; the next one tries again'));
    }
  }

  /** Decides and stores the posts due for each of the store's feed channels, then queues their delivery. */
  async run(storeId: string, now = new Date()): Promise<{ posted: number; waiting: number }> {
    const channels = (await this.deps.channels.list(storeId)).filter((c) => c.salesFeedSince !== null);
    if (channels.length === 0) return { posted: 0, waiting: 0 };
    const [store, settings] = await Promise.all([this.deps.stores.find(storeId), this.deps.settings.get(storeId)]);
    if (!store || !settings) return { posted: 0, waiting: 0 };
    const facts = storeFacts(store, settings);
    const titles = paymentTitles(store.health);
    const line = (o: FeedOrder): SaleLine => ({
      order_number: o.orderId,
      amount: o.total,
      currency: o.currency,
      payment_method: o.paymentMethod,
      payment_method_title: o.paymentMethod ? (titles[o.paymentMethod] ?? null) : null,
    });

    let posted = 0;
    let waiting = 0;
    const created: number[] = [];
    let nextRun: number | null = null;
    for (const channel of channels) {
      const outcome = await this.deps.db.transaction(async (trx) => {
        if (!(await this.deps.feed.lockChannel(trx, channel.id))) return { ids: [] as number[], posted: 0, waiting: 0, until: null as Date | null, more: false };
        const since = new Date(Math.max(channel.salesFeedSince!.getTime(), now.getTime() - MAX_AGE_MS));
        const pending = await this.deps.feed.pending(trx, storeId, channel.id, settings.success_statuses, since, ORDERS_PER_RUN);
        const recent = await this.deps.feed.lastMinute(trx, channel.id, now);
        const lastBatchAt = await this.deps.feed.lastBatchAt(trx, channel.id, now);
        const step = salesFeedStep({
          pending: pending.length,
          postedLastMinute: recent.count,
          oldestPostAt: recent.oldest,
          lastBatchAt,
          batchAbove: channel.salesFeedBatchAbove,
          now,
        });
        const more = pending.length === ORDERS_PER_RUN;
        if (step.action === 'none') return { ids: [], posted: 0, waiting: 0, until: null, more: false };
        if (step.action === 'wait') return { ids: [], posted: 0, waiting: pending.length, until: step.until, more: false };
        const ids: number[] = [];
        if (step.action === 'each') {
          for (const order of pending) ids.push(await this.store(trx, channel, salesContentFor('each', facts, channel, [line(order)]), [order.orderId], now));
        } else {
          ids.push(await this.store(trx, channel, salesContentFor('batch', facts, channel, pending.map(line)), pending.map((o) => o.orderId), now));
        }
        return { ids, posted: pending.length, waiting: 0, until: null, more };
      });
      created.push(...outcome.ids);
      posted += outcome.posted;
      waiting += outcome.waiting;
      if (outcome.until) nextRun = Math.min(nextRun ?? Infinity, outcome.until.getTime() - now.getTime() + 50);
      if (outcome.more) nextRun = Math.min(nextRun ?? Infinity, 1_000);
    }
    // After the commit: a notification that never reaches the queue is queued again by the upkeep job.
    if (created.length > 0) {
      await this.deps.dispatch(created).catch((error: Error) => this.deps.log.warn({ storeId, err: error.message }, 'sales feed posts stored; queueing them failed, the upkeep job will'));
    }
    if (nextRun !== null) await this.deps.queue.triggerSalesFeed(storeId, Math.max(0, nextRun));
    return { posted, waiting };
  }

  private async store(trx: Knex.Transaction, channel: ChannelRecord, content: ReturnType<typeof saleContent>, orderIds: number[], now: Date): Promise<number> {
    const id = await this.deps.notifications.create(trx, { storeId: channel.storeId, alertId: null, kind: content.kind, content, createdAt: now });
    await this.deps.feed.record(trx, channel.id, orderIds, id, now);
    return id;
  }
}

function salesContentFor(mode: 'each' | 'batch', facts: ReturnType<typeof storeFacts>, channel: ChannelRecord, lines: SaleLine[]) {
  return mode === 'each' ? saleContent(facts, channel.id, lines[0]!) : salesBatchContent(facts, channel.id, lines);
}
