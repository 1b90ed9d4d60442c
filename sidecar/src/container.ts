import { Queue, QueueEvents, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from './config';
import { createLogger } from './logger';
import { Metrics } from './metrics';
import { EmailNotifier } from './notify/email-notifier';
import { SlackNotifier } from './notify/slack-notifier';
import { WebhookNotifier } from './notify/webhook-notifier';
import { OutboundGuard } from './notify/outbound-guard';
import { ChannelRepository } from './store/channels';
import type { Notifier } from './notify/notifier';
import { EmailRenderer } from './notify/renderer';
import { CheckScheduler } from './queue/check-scheduler';
import { createRedis } from './queue/connections';
import { CHECK_QUEUE, MAINTENANCE_JOB, NOTIFY_QUEUE, PROBE_QUEUE, type CheckJobData, type NotifyJobData, type ProbeJobData } from './queue/names';
import { ProbeScheduler } from './queue/probe-scheduler';
import { ProbeMonitor } from './services/probe-monitor';
import { ProbeRepository } from './store/probes';
import { AlertEvidenceReader } from './services/alert-evidence';
import { NotificationQueue } from './queue/notification-queue';
import { startWorkers } from './queue/workers';
import { IngestGroups } from './services/ingest-groups';
import { CheckService } from './services/check-service';
import { NotificationService } from './services/notification-service';
import { StatusService } from './services/status-service';
import { StoreRegistry } from './services/store-registry';
import { TestNotificationService } from './services/test-notification';
import { AlertRepository } from './store/alerts';
import { createDatabaseClient } from './store/database';
import { EventRepository } from './store/events';
import { NotificationRepository } from './store/notifications';
import { OrderRepository } from './store/orders';
import { ReportRepository } from './store/reports';
import { RestSyncRepository } from './store/rest-sync';
import { OrderRecovery } from './services/order-recovery';
import { ReportingMonitor } from './services/reporting-monitor';
import { HealthMonitor } from './services/health-monitor';
import { HeartbeatRepository } from './store/heartbeats';
import { StoreProblemAlerts } from './services/store-problem-alerts';
import { SettingsRepository } from './store/settings';
import { MaintenanceRepository } from './store/maintenance';
import { Acknowledgements } from './services/acknowledgements';
import { MaintenanceWindows } from './services/maintenance-windows';
import { StoreRepository } from './store/stores';
import { SignedRequestRepository } from './store/signed-requests';
import { RollupRepository } from './store/rollups';
import { CadenceRepository } from './store/cadence';
import { CalibrationRepository } from './store/calibrations';
import { RetentionRepository } from './store/retention';
import { minimumStopDetectionMinutes } from './domain/cadence';
import { rewriteSecrets, SecretBox } from './store/secret-box';
import { TEMPLATES_DIR, TemplateSet } from './templates';
import { DailyFiguresRepository } from './store/daily-figures';
import { DailyFiguresService } from './services/daily-figures-service';
import { SalesFeed } from './services/sales-feed';
import { SilenceCalibrationCache } from './services/silence-calibration';
import { SalesFeedRepository } from './store/sales-feed';
import { RulePreview } from './services/rule-preview';
import { RuleOrderQueries } from './store/rule-orders';
import { DAILY_FIGURES_JOB, DIGEST_JOB } from './queue/names';
import { DigestRepository } from './store/digests';
import { DigestService } from './services/digest-service';
import { OperatorRepository, SessionRepository } from './store/operators';
import { ApiTokenRepository } from './store/api-tokens';
import { IdempotencyRepository } from './store/idempotency';
import { OperatorAccounts, type LoginLimits } from './services/operator-accounts';
import { ApiTokens } from './services/api-tokens';
import { OverviewService } from './services/overview';
import { LiveEvents } from './services/live-events';

export interface ContainerOptions {
  /** Length of one "minute" of check_interval_minutes; tests shorten it to see schedules fire. */
  minuteMs?: number;
  maintenanceEveryMs?: number;
  /** Pending notifications older than this are queued again by maintenance. */
  pendingAfterMs?: number;
  /** How long the test-notification button waits for every target (services/test-notification.ts). */
  testNotificationBudgetMs?: number;
  /** How often the daily figures roll-up runs (5 minutes). */
  dailyFiguresEveryMs?: number;
  /** How often due digests are looked for (a minute). */
  digestEveryMs?: number;
  log?: Logger;
  /** How often the retention job may run (store/retention); an hour unless set. */
  retentionEveryMs?: number;
  /** Operator console: failed sign-ins allowed and the session idle time (tests shorten them). */
  loginLimits?: LoginLimits;
  sessionIdleMs?: number;
  /** How often the check worker looks for jobs a dead sidecar held (BullMQ's 30 s unless set; tests shorten it). */
  stalledIntervalMs?: number;
}

/**
 * Builds every service once, in dependency order, and knows how to take them down in reverse:
 * workers first (finish what they hold), then queues, then Redis, then the database.
 */
export class Container {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly db: Knex;
  readonly redis: Redis;
  readonly stores: StoreRepository;
  readonly signedRequests: SignedRequestRepository;
  readonly settings: SettingsRepository;
  readonly events: EventRepository;
  readonly ingestGroups: IngestGroups;
  readonly orders: OrderRepository;
  readonly rollups: RollupRepository;
  readonly alerts: AlertRepository;
  readonly notifications: NotificationRepository;
  readonly reports: ReportRepository;
  readonly restSync: RestSyncRepository;
  readonly maintenanceWindows: MaintenanceRepository;
  readonly maintenanceService: MaintenanceWindows;
  readonly acknowledgements: Acknowledgements;
  readonly storeProblems: StoreProblemAlerts;
  readonly recovery: OrderRecovery;
  readonly reporting: ReportingMonitor;
  readonly health: HealthMonitor;
  readonly probes: ProbeRepository;
  readonly probeMonitor: ProbeMonitor;
  readonly probeQueue: Queue<ProbeJobData>;
  readonly probeScheduler: ProbeScheduler;
  readonly checkQueue: Queue<CheckJobData>;
  readonly notifyQueue: Queue<NotifyJobData>;
  readonly queueEvents: QueueEvents;
  readonly scheduler: CheckScheduler;
  readonly notificationQueue: NotificationQueue;
  readonly notifiers: Notifier[];
  readonly outbound: OutboundGuard;
  readonly secretBox: SecretBox;
  readonly channels: ChannelRepository;
  readonly notificationService: NotificationService;
  readonly checks: CheckService;
  readonly registry: StoreRegistry;
  readonly status: StatusService;
  readonly testNotifications: TestNotificationService;
  readonly pages: TemplateSet;
  readonly dailyFigures: DailyFiguresRepository;
  readonly dailyFiguresService: DailyFiguresService;
  readonly salesFeed: SalesFeed;
  readonly rulePreview: RulePreview;
  readonly digestClaims: DigestRepository;
  readonly digests: DigestService;
  // Operator console and /api/v1 (issue 14).
  readonly operators: OperatorRepository;
  readonly operatorAccounts: OperatorAccounts;
  readonly apiTokens: ApiTokens;
  readonly idempotency: IdempotencyRepository;
  readonly overview: OverviewService;
  readonly live: LiveEvents;
  readonly consolePages = new TemplateSet(TEMPLATES_DIR, 'console');
  private workers: Worker[] = [];
  private closed = false;

  constructor(
    readonly config: Config,
    private readonly options: ContainerOptions = {},
  ) {
    this.log = options.log ?? createLogger(config.LOG_LEVEL);
    this.metrics = new Metrics({ storeLabels: config.METRICS_STORE_LABELS });
    this.db = createDatabaseClient(config.DATABASE_URL);
    this.redis = createRedis(config.REDIS_URL, 'producer', this.log);
    const queueOptions = { connection: this.redis, prefix: config.QUEUE_PREFIX };
    this.checkQueue = new Queue<CheckJobData>(CHECK_QUEUE, queueOptions);
    this.notifyQueue = new Queue<NotifyJobData>(NOTIFY_QUEUE, queueOptions);
    this.probeQueue = new Queue<ProbeJobData>(PROBE_QUEUE, queueOptions);
    for (const queue of [this.checkQueue, this.notifyQueue, this.probeQueue]) {
      queue.on('error', (error) => this.log.warn({ queue: queue.name, err: error.message }, 'queue error'));
    }
    this.queueEvents = new QueueEvents(NOTIFY_QUEUE, { connection: this.workerConnection(), prefix: config.QUEUE_PREFIX });
    this.queueEvents.on('error', (error) => this.log.warn({ err: error.message }, 'queue events error'));

    this.stores = new StoreRepository(this.db);
    this.signedRequests = new SignedRequestRepository(this.db);
    this.settings = new SettingsRepository(this.db);
    this.events = new EventRepository(this.db);
    this.ingestGroups = new IngestGroups(this.events);
    this.orders = new OrderRepository(this.db);
    this.rollups = new RollupRepository(this.db);
    this.alerts = new AlertRepository(this.db);
    this.notifications = new NotificationRepository(this.db);
    this.reports = new ReportRepository(this.db);
    this.secretBox = SecretBox.fromEnvironment(config);
    this.restSync = new RestSyncRepository(this.db, this.secretBox);
    this.maintenanceWindows = new MaintenanceRepository(this.db);
    this.acknowledgements = new Acknowledgements({ stores: this.stores, alerts: this.alerts, publicUrl: config.PUBLIC_URL });
    this.probes = new ProbeRepository(this.db);

    this.scheduler = new CheckScheduler(this.checkQueue, options.minuteMs, this.log);
    this.probeScheduler = new ProbeScheduler(this.probeQueue, options.minuteMs, this.log);
    this.notificationQueue = new NotificationQueue(
      this.notifyQueue,
      this.retryPolicy(),
      this.queueEvents,
    );
    this.channels = new ChannelRepository(this.db, this.secretBox);
    this.outbound = OutboundGuard.fromList(config.OUTBOUND_ALLOW);
    this.notifiers = [
      new EmailNotifier(config.SMTP_URL, config.MAIL_FROM),
      new SlackNotifier(config.WEBHOOK_TIMEOUT_MS, this.outbound),
      new WebhookNotifier(config.WEBHOOK_TIMEOUT_MS, this.outbound),
    ];
    this.notificationService = new NotificationService(
      this.notifications,
      this.channels,
      this.notifiers,
      new EmailRenderer(TEMPLATES_DIR),
      this.log,
      this.metrics,
      this.acknowledgements,
    );
    const alertEvidence = new AlertEvidenceReader({ db: this.db, probes: this.probes });
    this.checks = new CheckService({
      db: this.db,
      stores: this.stores,
      settings: this.settings,
      orders: this.orders,
      alerts: this.alerts,
      notifications: this.notifications,
      maintenance: this.maintenanceWindows,
      dispatch: (ids) => this.notificationQueue.dispatch(ids),
      calibrations: new SilenceCalibrationCache(this.orders, new CalibrationRepository(this.db)),
      // Built below; only called when a check runs.
      probeExplanation: (storeId, fired, timezone) => this.probeMonitor.explainOrderDrop(storeId, fired, timezone),
      evidence: (store, settings, since, now, diagnosis, sinceKnown) => alertEvidence.read(store, settings, since, now, diagnosis, sinceKnown),
      onBaseline: (store, settings, baseline) => this.registry.observeVolume(store.id, settings, minimumStopDetectionMinutes(baseline)),
      log: this.log,
    });
    this.recovery = new OrderRecovery({
      stores: this.stores,
      restSync: this.restSync,
      events: this.events,
      log: this.log,
      metrics: this.metrics,
      timeoutMs: config.REST_TIMEOUT_MS,
    });
    const problems = new StoreProblemAlerts({
      db: this.db,
      alerts: this.alerts,
      notifications: this.notifications,
      maintenance: this.maintenanceWindows,
      dispatch: (ids) => this.notificationQueue.dispatch(ids),
      log: this.log,
      onOpened: (storeId, detector) => this.metrics.recordStoreAlert(storeId, detector),
      onChanged: (storeId) => this.live.storeChanged(storeId),
    });
    this.storeProblems = problems;
    this.reporting = new ReportingMonitor({
      stores: this.stores,
      settings: this.settings,
      alerts: this.alerts,
      problems,
      restSync: this.restSync,
      log: this.log,
      restTimeoutMs: config.REST_TIMEOUT_MS,
    });
    this.health = new HealthMonitor({ stores: this.stores, settings: this.settings, alerts: this.alerts, heartbeats: new HeartbeatRepository(this.db), problems, log: this.log });
    this.probeMonitor = new ProbeMonitor({
      db: this.db,
      stores: this.stores,
      settings: this.settings,
      alerts: this.alerts,
      probes: this.probes,
      problems,
      log: this.log,
      minuteMs: options.minuteMs,
    });
    this.registry = new StoreRegistry(this.db, this.stores, this.settings, this.scheduler, this.probeScheduler, this.log, new CadenceRepository(this.db));
    this.maintenanceService = new MaintenanceWindows(this.maintenanceWindows);
    this.status = new StatusService(this.orders, this.alerts, this.notifications, this.restSync, this.maintenanceService);
    this.testNotifications = new TestNotificationService(
      this.db,
      this.notifications,
      this.channels,
      this.notificationQueue,
      this.notificationService,
      options.testNotificationBudgetMs,
    );
    this.pages = new TemplateSet(TEMPLATES_DIR, 'pages');
    this.dailyFigures = new DailyFiguresRepository(this.db);
    this.rulePreview = new RulePreview(new RuleOrderQueries(this.db), this.orders);
    this.dailyFiguresService = new DailyFiguresService({ figures: this.dailyFigures, stores: this.stores, settings: this.settings, log: this.log });
    this.salesFeed = new SalesFeed({
      db: this.db,
      feed: new SalesFeedRepository(this.db),
      channels: this.channels,
      stores: this.stores,
      settings: this.settings,
      notifications: this.notifications,
      dispatch: (ids) => this.notificationQueue.dispatch(ids),
      queue: this.scheduler,
      log: this.log,
    });

    // Operator console and /api/v1 (issue 14).
    this.operators = new OperatorRepository(this.db);
    this.operatorAccounts = new OperatorAccounts({
      operators: this.operators,
      sessions: new SessionRepository(this.db),
      redis: this.redis,
      keyPrefix: config.QUEUE_PREFIX,
      limits: options.loginLimits,
      idleMs: options.sessionIdleMs,
    });
    this.apiTokens = new ApiTokens(new ApiTokenRepository(this.db), this.stores);
    this.idempotency = new IdempotencyRepository(this.db);
    this.live = new LiveEvents({ redis: this.redis, redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, alerts: this.alerts, log: this.log });
    this.digestClaims = new DigestRepository(this.db, this.notifications);
    this.digests = new DigestService({
      stores: this.stores,
      settings: this.settings,
      figures: this.dailyFigures,
      rollUp: this.dailyFiguresService,
      digests: this.digestClaims,
      operators: this.operators,
      dispatch: (ids) => this.notificationQueue.dispatch(ids),
      allStores: { at: config.ALL_STORES_DIGEST_AT, timezone: config.ALL_STORES_DIGEST_TIMEZONE },
      notificationsKeptDays: config.RETENTION_NOTIFICATIONS_DAYS,
      log: this.log,
    });
    this.overview = new OverviewService({ settings: this.settings, alerts: this.alerts, orders: this.orders, maintenance: this.maintenanceWindows, rollups: this.rollups, live: this.live });
  }

  private retryPolicy() {
    return { attempts: this.config.NOTIFY_ATTEMPTS, backoffMs: this.config.NOTIFY_BACKOFF_MS, maxBackoffMs: this.config.NOTIFY_BACKOFF_MAX_MS };
  }

  private workerConnection() {
    return { url: this.config.REDIS_URL, maxRetriesPerRequest: null };
  }

  /** Rebuilds every store's schedule from MariaDB, then starts the workers and the upkeep job. */
  async startBackground(): Promise<void> {
    // Secrets saved before WOOM_SECRET_KEY was set (or under a previous key) are sealed now.
    const { rewritten } = await rewriteSecrets(this.db, this.secretBox, 'seal');
    if (rewritten > 0) this.log.info({ sealed: rewritten }, 'secrets at rest sealed with WOOM_SECRET_KEY');
    if (!this.secretBox.encrypts) this.log.warn('WOOM_SECRET_KEY is not set: WooCommerce and webhook secrets are stored in plain text');
    await this.rebuildSchedules();
    // Our Redis keeps nothing on disk: after it restarts, the schedules must come back from MariaDB.
    let lostConnection = false;
    this.redis.on('close', () => {
      lostConnection = true;
    });
    this.redis.on('ready', () => {
      if (!lostConnection || this.closed) return;
      lostConnection = false;
      this.rebuildSchedules({ afterRedisLoss: true }).catch((error: Error) => this.log.warn({ err: error.message }, 'could not rebuild schedules after reconnect'));
    });
    this.workers = startWorkers({
      connection: this.workerConnection(),
      prefix: this.config.QUEUE_PREFIX,
      // The console's live events hear of what a job changed: an order check that acted on an alert,
      // orders read back. A store's own problems are told by StoreProblemAlerts. A quiet check says
      // nothing: announcing each of thousands a minute cost a query and three Redis commands apiece.
      checks: this.tellingLive(this.checks, 'run', (outcome) => (outcome && outcome.decision.action !== 'none' ? 'changed' : null)),
      scheduledCheckSince: (storeId, since) => this.alerts.scheduledCheckSince(storeId, since),
      stalledIntervalMs: this.options.stalledIntervalMs,
      recovery: this.tellingLive(this.recovery, 'recover', (outcome) => (outcome?.error ? 'changed' : outcome && outcome.accepted > 0 ? 'orders' : null)),
      reporting: this.reporting,
      health: this.health,
      probes: this.probeMonitor,
      metrics: this.metrics,
      retry: this.retryPolicy(),
      notifications: this.notificationService,
      maintenance: () => this.maintenance(),
      dailyFigures: () => this.dailyFiguresService.rollUpAll(),
      digests: () => this.digests.runDue(),
      salesFeed: (storeId) => this.salesFeed.run(storeId),
      log: this.log,
    });
    // Whatever happened while the sidecar was down is read back before the first scheduled check.
    for (const storeId of await this.restSync.storesWithCredentials()) await this.scheduler.triggerRecovery(storeId);
  }

  /**
   * The same service, whose `method(storeId, ...)` then tells the live events what its result says it
   * changed: the store's alerts ('changed'), its orders ('orders', debounced), or nothing (null).
   */
  private tellingLive<T extends object, K extends keyof T, R = T[K] extends (...args: never[]) => Promise<infer V> ? V : never>(
    service: T,
    method: K,
    told: (result: R) => 'changed' | 'orders' | null,
  ): T {
    const original = service[method] as unknown as (storeId: string, ...rest: unknown[]) => Promise<R>;
    const wrapped = Object.create(service) as T;
    (wrapped as Record<K, unknown>)[method] = async (storeId: string, ...rest: unknown[]) => {
      const result = await original.call(service, storeId, ...rest);
      const what = told(result);
      if (what === 'changed') this.live.storeChanged(storeId);
      else if (what === 'orders') this.live.ordersArrived(storeId);
      return result;
    };
    return wrapped;
  }

  private async rebuildSchedules(options: { afterRedisLoss?: boolean } = {}): Promise<void> {
    const schedules = await this.registry.reconcileSchedules(options);
    await this.checkQueue.upsertJobScheduler(
      MAINTENANCE_JOB,
      { every: this.options.maintenanceEveryMs ?? 60_000 },
      { name: MAINTENANCE_JOB, data: { storeId: '', trigger: 'schedule' }, opts: { removeOnComplete: true, removeOnFail: { count: 50 } } },
    );
    // Every store's day ends at its own midnight: a roll-up every few minutes catches each one soon after.
    await this.checkQueue.upsertJobScheduler(
      DAILY_FIGURES_JOB,
      { every: this.options.dailyFiguresEveryMs ?? 5 * 60_000 },
      { name: DAILY_FIGURES_JOB, data: { storeId: '', trigger: 'schedule' }, opts: { removeOnComplete: true, removeOnFail: { count: 50 } } },
    );
    // Digest hours are local to each store: a look every minute sends each within a minute of its hour.
    await this.checkQueue.upsertJobScheduler(
      DIGEST_JOB,
      { every: this.options.digestEveryMs ?? 60_000 },
      { name: DIGEST_JOB, data: { storeId: '', trigger: 'schedule' }, opts: { removeOnComplete: true, removeOnFail: { count: 50 } } },
    );
    this.log.info(schedules, 'check schedules rebuilt from the database');
  }

  /**
   * Queues notifications that never reached Redis, sends the store-problem notices a maintenance window
   * held if their problem outlived it, repairs schedules changed behind our back and closes the probe
   * alerts of stores no longer probed; removes expired console sessions.
   */
  async maintenance(): Promise<void> {
    await this.storeProblems.releaseHeld();
    const olderThan = new Date(Date.now() - (this.options.pendingAfterMs ?? 60_000));
    const pending = await this.notifications.pendingIds(olderThan);
    if (pending.length > 0) {
      this.log.info({ count: pending.length }, 're-queueing pending notifications');
      await this.notificationQueue.dispatch(pending);
    }
    await this.registry.reconcileSchedules();
    // A sales feed run whose trigger Redis lost (down during ingest) happens here, at most a minute late.
    await this.salesFeed.sweep();
    await this.probeMonitor.closeWhereProbeOff();
    await this.signedRequests.prune(new Date());
    // Console sessions idle past their expiry open nothing any more; without this their rows pile up.
    const sessions = await this.operatorAccounts.pruneSessions();
    if (sessions > 0) this.log.info({ sessions }, 'expired console sessions removed');
    await this.retentionIfDue();
  }

  private lastRetentionAt = 0;

  /**
   * Old records are deleted at most once an hour per sidecar, in bounded batches (store/retention); the
   * status page shows 30 days of probes, so RETENTION_PROBES_DAYS is at least 31.
   */
  async retentionIfDue(now = new Date()): Promise<void> {
    if (now.getTime() - this.lastRetentionAt < (this.options.retentionEveryMs ?? 3_600_000)) return;
    this.lastRetentionAt = now.getTime();
    const c = this.config;
    const report = await new RetentionRepository(this.db).prune(
      {
        events: c.RETENTION_EVENTS_DAYS,
        heartbeats: c.RETENTION_HEARTBEATS_DAYS,
        checkRuns: c.RETENTION_CHECK_RUNS_DAYS,
        notifications: c.RETENTION_NOTIFICATIONS_DAYS,
        probes: c.RETENTION_PROBES_DAYS,
        orders: c.RETENTION_ORDERS_DAYS,
      },
      now,
    );
    this.log.info(report, 'retention');
  }

  async readiness(): Promise<Record<string, boolean>> {
    const [database, redis] = await Promise.all([
      this.db.raw('SELECT 1').then(
        () => true,
        () => false,
      ),
      this.redis.ping().then(
        (answer) => answer === 'PONG',
        () => false,
      ),
    ]);
    return { database, redis };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.workers.map((worker) => worker.close()));
    await this.live.close();
    await this.queueEvents.close().catch(() => undefined);
    await Promise.allSettled([this.checkQueue.close(), this.notifyQueue.close(), this.probeQueue.close()]);
    await this.redis.quit().catch(() => this.redis.disconnect());
    await Promise.allSettled(this.notifiers.map((notifier) => notifier.close()));
    await this.db.destroy();
  }
}
