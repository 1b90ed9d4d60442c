import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The sidecar's Prometheus metrics, on a registry of its own (not prom-client's global one), so two
 * containers in one process (tests) never share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsIngested = new Counter({
    name: 'woom_events_ingested_total',
    help: 'Order events and heartbeats received, by result: accepted or duplicate (from the bridge), recovered (orders read back over REST)',
    labelNames: ['store', 'result'] as const,
    registers: [this.registry],
  });
  readonly checksRun = new Counter({
    name: 'woom_checks_total',
    help: 'Checks run, by trigger (schedule, event, manual) and decision (skipped: not run while WordPress is silent)',
    labelNames: ['store', 'trigger', 'decision'] as const,
    registers: [this.registry],
  });
  /** The figure that says a sidecar needs help (docs/scaling.md): how long scheduled checks wait past due. */
  readonly checkLateness = new Histogram({
    name: 'woom_check_lateness_seconds',
    help: 'How long after it was due a scheduled check started (all stores together)',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly alertsOpened = new Counter({
    name: 'woom_alerts_total',
    help: "Alerts opened, by the detectors that fired, or the store's own problem (reporting, health, probe)",
    labelNames: ['store', 'detector'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'woom_deliveries_total',
    help: 'Notification delivery attempts, by channel and result (sent, retrying, failed)',
    labelNames: ['channel', 'result'] as const,
    registers: [this.registry],
  });
  readonly outboxSize = new Gauge({
    name: 'woom_bridge_outbox_events',
    help: "Events waiting in the bridge's outbox, as its last heartbeat reported",
    labelNames: ['store'] as const,
    registers: [this.registry],
  });
  readonly outboxLag = new Gauge({
    name: 'woom_bridge_outbox_lag_seconds',
    help: "Age of the oldest event waiting in the bridge's outbox, as its last heartbeat reported",
    labelNames: ['store'] as const,
    registers: [this.registry],
  });
  readonly restRecoveryErrors = new Counter({
    name: 'woom_rest_recovery_errors_total',
    help: 'Runs of the REST recovery that could not read the store',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  /**
   * `storeLabels: false` (METRICS_STORE_LABELS=0) files every store's figures under store="": a fleet of
   * thousands of stores would otherwise make thousands of series per metric. The outbox gauges, which
   * mean nothing summed over stores, are then not kept.
   */
  constructor(private readonly options: { storeLabels?: boolean } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'woom_process_' });
  }

  /** The `store` label's value for this store. */
  store(storeId: string): string {
    return this.options.storeLabels === false ? '' : storeId;
  }

  /** One check's outcome: the run, and the alert it opened if any. */
  recordCheck(storeId: string, trigger: string, decision: { action: string; fired?: ReadonlyArray<{ detector: string }> }): void {
    this.checksRun.inc({ store: this.store(storeId), trigger, decision: decision.action });
    if (decision.action === 'open' && decision.fired) {
      this.alertsOpened.inc({ store: this.store(storeId), detector: decision.fired.map((r) => r.detector).join(',') });
    }
  }

  /** An alert of the store's own (WordPress silent, checkout cannot work, the probe failing) was opened. */
  recordStoreAlert(storeId: string, detector: string): void {
    this.alertsOpened.inc({ store: this.store(storeId), detector });
  }

  /** What a heartbeat says about the bridge's outbox (`data.outbox_size`, `data.oldest_event_at`). */
  recordHeartbeat(storeId: string, data: Record<string, unknown> | undefined, now: Date): void {
    if (this.options.storeLabels === false) return;
    const size = Number(data?.outbox_size);
    if (Number.isFinite(size)) this.outboxSize.set({ store: storeId }, size);
    const oldest = typeof data?.oldest_event_at === 'string' ? Date.parse(data.oldest_event_at) : NaN;
    this.outboxLag.set({ store: storeId }, Number.isNaN(oldest) ? 0 : Math.max(0, (now.getTime() - oldest) / 1000));
  }
}
