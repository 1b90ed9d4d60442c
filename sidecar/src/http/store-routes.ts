import { Router } from 'express';
import { checkMessage } from './check-message';
import type { Logger } from 'pino';
import type { CheckService } from '../services/check-service';
import { recordSkippedCheck, type ReportingMonitor } from '../services/reporting-monitor';
import type { StatusService } from '../services/status-service';
import type { StoreRegistry } from '../services/store-registry';
import type { TestNotificationService } from '../services/test-notification';
import type { SettingsRepository } from '../store/settings';
import { z } from 'zod';
import { restCredentialsSchema } from '../domain/rest-credentials';
import { toFieldErrors, type FieldError } from '../domain/settings';
import type { Metrics } from '../metrics';
import type { CheckScheduler } from '../queue/check-scheduler';
import { BACKFILL_DAYS, type OrderRecovery } from '../services/order-recovery';
import { MAX_CHANNELS_PER_STORE, type ChannelRecord, type ChannelRepository, type SalesFeedOptions } from '../store/channels';
import type { OutboundGuard } from '../notify/outbound-guard';
import { TEST_NOTIFICATIONS_PER_MINUTE } from '../services/test-notification';
import type { RestSyncRepository } from '../store/rest-sync';
import type { SalesFeed } from '../services/sales-feed';
import { parseJson } from './body';
import { sendError, sendInvalid } from './errors';

/** The sales feed's settings of a channel (services/sales-feed): off unless asked for. */
const salesFeedFields = {
  sales_feed: z.boolean({ message: 'must be true or false' }).optional().meta({ description: 'Post each successful order to this channel (default false)' }),
  sales_feed_batch_above: z
    .number({ message: 'must be a whole number from 1 to 1000' })
    .int({ message: 'must be a whole number from 1 to 1000' })
    .min(1, { message: 'must be a whole number from 1 to 1000' })
    .max(1000, { message: 'must be a whole number from 1 to 1000' })
    .optional()
    .meta({ description: 'Up to this many orders a minute are posted one by one; above it, one message a minute (default 10)' }),
};

export const channelSchema = z
  .object({
    type: z.enum(['slack', 'webhook'], { message: 'must be slack or webhook' }),
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. https://hooks.slack.com/services/...' }).max(1000),
    ...salesFeedFields,
  })
  .strict();

/** PATCH of a channel: its sales feed settings (its type and URL are fixed: remove it and add another). */
export const channelUpdateSchema = z.object(salesFeedFields).strict();

/** A PATCH that changes nothing is a mistake worth saying (a field name typed wrong is refused as unknown). */
export function emptyChannelUpdate(b: z.infer<typeof channelUpdateSchema>): FieldError[] {
  return b.sales_feed === undefined && b.sales_feed_batch_above === undefined ? [{ field: '(body)', message: 'must set sales_feed or sales_feed_batch_above' }] : [];
}

/** A channel as every API shows it: never its URL whole, never its secret. */
export function channelView(c: ChannelRecord) {
  return {
    id: c.id,
    type: c.type,
    url_hint: urlHint(c.url),
    created_at: c.createdAt.toISOString(),
    sales_feed: c.salesFeedSince !== null,
    sales_feed_batch_above: c.salesFeedBatchAbove,
  };
}

/** Enough of a channel's URL to recognise it; the rest (a Slack token) is never shown again. */
export function urlHint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}/…${parsed.pathname.slice(-4)}`;
}

export interface StoreRouteDeps {
  settings: SettingsRepository;
  registry: StoreRegistry;
  checks: CheckService;
  reporting: ReportingMonitor;
  status: StatusService;
  testNotifications: TestNotificationService;
  restSync: RestSyncRepository;
  recovery: OrderRecovery;
  scheduler: CheckScheduler;
  metrics: Metrics;
  channels: ChannelRepository;
  /** Told when a channel's sales feed changes, so ingest here sees it at once. */
  salesFeed?: SalesFeed;
  outbound: OutboundGuard;
  log: Logger;
}

export type ManualCheck =
  | { ok: true; result: { ran_at: string; detectors: Record<string, unknown>; decision: string; held_by: string | null | undefined; alert_id: number | null; message: string } }
  | { ok: false; status: 404 | 409; error: string; message: string };

export type ChannelAdded =
  | { ok: true; channel: ChannelRecord }
  | { ok: false; status: 400 | 409; error: string; message: string; fields: Array<{ field: string; message: string }> };

/**
 * Adds a Slack or webhook channel for the WordPress tab, /api/v1 and the console alike: a URL that reaches
 * no public address is refused (the sidecar must not call into its own network on a store's say-so), and
 * a store has at most MAX_CHANNELS_PER_STORE channels.
 */
export async function addChannel(
  deps: Pick<StoreRouteDeps, 'outbound' | 'channels'>,
  storeId: string,
  type: ChannelRecord['type'],
  url: string,
  feed: SalesFeedOptions = {},
): Promise<ChannelAdded> {
  const refused = await deps.outbound.refusal(new URL(url));
  if (refused) {
    const message = `must be a public internet address (${refused.message})`;
    return { ok: false, status: 400, error: 'invalid_request', message: `Invalid request: url ${message}`, fields: [{ field: 'url', message }] };
  }
  const channel = await deps.channels.add(storeId, type, url, new Date(), feed);
  if (!channel) {
    return {
      ok: false,
      status: 409,
      error: 'too_many_channels',
      message: `A store has at most ${MAX_CHANNELS_PER_STORE} channels; remove one first`,
      fields: [{ field: '(channels)', message: `must be at most ${MAX_CHANNELS_PER_STORE}` }],
    };
  }
  return { ok: true, channel };
}

/** "Run check now", for the WordPress tab, /api/v1 and the console alike. */
export async function runManualCheck(deps: Pick<StoreRouteDeps, 'recovery' | 'reporting' | 'checks' | 'metrics' | 'log'>, storeId: string): Promise<ManualCheck> {
  // A manual check, like a scheduled one, first reads back orders the bridge may not have delivered.
  await deps.recovery.recover(storeId);
  // And, like a scheduled one, does not judge orders while WordPress is silent: it cannot see them, so
  // an order alert then would be a false alarm (the silence is an alert of its own).
  const reporting = await deps.reporting.check(storeId);
  if (reporting?.breached) {
    recordSkippedCheck(deps.log, deps.metrics, storeId, 'manual', reporting.summary);
    return {
      ok: false,
      status: 409,
      error: 'wordpress_silent',
      message: `Not run: ${reporting.summary}. Order checks pause while WordPress is silent, because orders cannot be seen; they run again once it reports`,
    };
  }
  const outcome = await deps.checks.run(storeId, 'manual');
  if (!outcome) return { ok: false, status: 404, error: 'not_found', message: 'Store not found' };
  deps.metrics.recordCheck(outcome.storeId, outcome.trigger, outcome.decision);
  const detectors = Object.fromEntries(outcome.evaluations.map((result) => [result.detector, result]));
  return {
    ok: true,
    result: {
      ran_at: outcome.ranAt.toISOString(),
      detectors,
      decision: outcome.decision.action,
      held_by: 'heldBy' in outcome.decision ? outcome.decision.heldBy : null,
      alert_id: outcome.alertId,
      message: checkMessage(outcome.evaluations, outcome.decision),
    },
  };
}

/** Mounted at /v1/stores/:id behind the signature and same-store checks. */
export function storeRoutes(deps: StoreRouteDeps): Router {
  const router = Router({ mergeParams: true });

  router.get('/settings', async (req, res) => {
    res.json({ settings: await deps.settings.get(req.store!.id) });
  });

  router.put('/settings', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const actor = req.get('X-Woom-Actor')?.trim() || `api:${req.store!.id}`;
    const result = await deps.registry.updateSettings(req.store!.id, parsed.value, actor);
    if (!result) return sendError(res, 404, 'not_found', 'Store not found');
    if (!result.ok) return sendInvalid(res, result.errors);
    res.json({ settings: result.settings });
  });

  router.get('/status', async (req, res) => {
    const settings = await deps.settings.get(req.store!.id);
    res.json(await deps.status.status(req.store!, settings!));
  });

  router.get('/alerts', async (req, res) => {
    res.json({ alerts: await deps.status.alertHistory(req.store!.id) });
  });

  router.put('/rest-credentials', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const valid = restCredentialsSchema.safeParse(parsed.value);
    if (!valid.success) return sendInvalid(res, toFieldErrors(valid.error));
    const backfillFrom = new Date(Date.now() - BACKFILL_DAYS * 86_400_000);
    await deps.restSync.saveCredentials(req.store!.id, { consumerKey: valid.data.consumer_key, consumerSecret: valid.data.consumer_secret }, backfillFrom);
    await deps.scheduler.triggerRecovery(req.store!.id).catch((error: Error) => deps.log.warn({ err: error.message }, 'could not queue the backfill; the next check reads the orders'));
    res.json({ ok: true, message: `Saved. Orders modified since ${backfillFrom.toISOString()} are being read back.` });
  });

  router.post('/check', async (req, res) => {
    const ran = await runManualCheck(deps, req.store!.id);
    if (!ran.ok) return sendError(res, ran.status, ran.error, ran.message);
    res.json(ran.result);
  });

  router.get('/channels', async (req, res) => {
    const channels = await deps.channels.list(req.store!.id);
    res.json({ channels: channels.map(channelView) });
  });

  router.post('/channels', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const valid = channelSchema.safeParse(parsed.value);
    if (!valid.success) return sendInvalid(res, toFieldErrors(valid.error));
    const { type, url, ...feed } = valid.data;
    const added = await addChannel(deps, req.store!.id, type, url, feed);
    if (added.ok && feed.sales_feed) deps.salesFeed?.forget(req.store!.id);
    if (!added.ok) return added.status === 400 ? sendInvalid(res, added.fields) : sendError(res, added.status, added.error, added.message, added.fields);
    const { channel } = added;
    res.status(201).json({
      channel: channelView(channel),
      // Shown once: the receiver needs it to check X-Woom-Signature.
      ...(channel.secret ? { secret: channel.secret } : {}),
    });
  });

  router.patch('/channels/:channelId', async (req, res) => {
    const parsed = parseJson(req.rawBody ?? '');
    if (!parsed.ok) return sendInvalid(res, [{ field: '(body)', message: parsed.message }]);
    const valid = channelUpdateSchema.safeParse(parsed.value);
    if (!valid.success) return sendInvalid(res, toFieldErrors(valid.error));
    if (emptyChannelUpdate(valid.data).length > 0) return sendInvalid(res, emptyChannelUpdate(valid.data));
    const channel = await deps.channels.updateSalesFeed(req.store!.id, Number(req.params.channelId), valid.data);
    if (!channel) return sendError(res, 404, 'not_found', 'No such channel for this store');
    deps.salesFeed?.forget(req.store!.id);
    res.json({ channel: channelView(channel) });
  });

  router.delete('/channels/:channelId', async (req, res) => {
    const removed = await deps.channels.remove(req.store!.id, Number(req.params.channelId));
    if (!removed) return sendError(res, 404, 'not_found', 'No such channel for this store');
    res.status(204).end();
  });

  router.post('/test-notification', async (req, res) => {
    const wait = await deps.testNotifications.waitSeconds(req.store!.id);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      return sendError(res, 429, 'rate_limited', `At most ${TEST_NOTIFICATIONS_PER_MINUTE} test notifications a minute; try again in ${wait} s`);
    }
    const settings = await deps.settings.get(req.store!.id);
    res.json(await deps.testNotifications.send(req.store!, settings!));
  });

  return router;
}
