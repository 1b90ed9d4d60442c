import type { DetectorResult } from '../domain/detectors';
import { evaluateReporting } from '../domain/reporting';
import { healthProblems, healthSnapshotSchema, type HealthSnapshot } from '../domain/store-health';
import { enabledDetectors, type AnyDetectorName, type Settings } from '../domain/settings';
import { REPORTING_DETECTOR, type AlertRecord, type AlertRepository } from '../store/alerts';
import type { NotificationRepository } from '../store/notifications';
import type { OrderRepository } from '../store/orders';
import type { RestSyncRepository } from '../store/rest-sync';
import type { StoreRecord } from '../store/stores';
import { effectiveEnd, windowState, type MaintenanceWindow } from '../domain/maintenance';
import { windowView, type MaintenanceWindows } from './maintenance-windows';
import { describeStoreState, type StoreState } from '../domain/store-state';
import { localDate, zonedToUtc } from '../domain/time';

export type DetectorState = 'ok' | 'alerting' | 'learning' | 'off';

export interface StoreStatus {
  /** "Is my shop OK?": one sentence and a colour, the first thing every screen shows. */
  state: Omit<StoreState, 'since'> & { since: string | null };
  orders_today: number;
  store: { id: string; name: string; url: string; timezone: string };
  monitoring: { enabled: boolean; mode: Settings['mode'] };
  detectors: Record<string, { state: DetectorState; summary: string | null }>;
  last_order: { order_id: number; status: string; created_at: string } | null;
  last_check: { ran_at: string; trigger: string; decision: string; held_by: string | null; results: unknown } | null;
  open_alert: ReturnType<typeof alertView> | null;
  /** Every open alert: the order alert and the store's own problems, each acknowledgeable. */
  open_alerts: Array<ReturnType<typeof alertView>>;
  /** The maintenance window in force now, if any, and those planned after it. */
  maintenance: { current: ReturnType<typeof windowView> | null; upcoming: Array<ReturnType<typeof windowView>> };
  last_contact_at: string | null;
  health: { at: string | null; snapshot: HealthSnapshot | null; problems: string[] };
  rest_recovery: {
    configured: boolean;
    synced_until: string | null;
    last_success_at: string | null;
    last_error: string | null;
    orders_seen: number;
  };
}

function healthView(store: StoreRecord): StoreStatus['health'] {
  const parsed = healthSnapshotSchema.safeParse(store.health);
  if (!store.healthAt || !parsed.success) return { at: null, snapshot: null, problems: [] };
  return { at: store.healthAt.toISOString(), snapshot: parsed.data, problems: healthProblems(parsed.data).map((p) => p.message) };
}

export function alertView(alert: AlertRecord) {
  return {
    id: alert.id,
    detector: alert.detector,
    severity: alert.severity,
    state: alert.state,
    opened_at: alert.openedAt.toISOString(),
    resolved_at: alert.resolvedAt?.toISOString() ?? null,
    last_notified_at: alert.lastNotifiedAt?.toISOString() ?? null,
    acknowledged_at: alert.acknowledgedAt?.toISOString() ?? null,
    acknowledged_by: alert.acknowledgedBy,
    escalated_at: alert.escalatedAt?.toISOString() ?? null,
    findings: (alert.details.findings ?? []) as unknown[],
  };
}

function firstFinding(alert: AlertRecord): string | null {
  const first = (alert.details.findings as Array<{ summary?: unknown }> | undefined)?.[0];
  return typeof first?.summary === 'string' ? first.summary : null;
}

/** What a store's state is worked out from; the status and the console's overview (batched) both fill it. */
export interface StoreStateFacts {
  settings: Pick<Settings, 'timezone' | 'enabled' | 'mode'>;
  openAlerts: AlertRecord[];
  /** Current and upcoming maintenance windows. */
  windows: MaintenanceWindow[];
  lastContactAt: Date | null;
  /** The newest check's results. */
  lastCheckResults: DetectorResult[];
  ordersToday: number;
  lastOrderAt: Date | null;
}

/** The one way a store's facts become its state (domain/store-state), whichever screen asks. */
export function storeStateFor(facts: StoreStateFacts, now: Date): StoreState {
  const { settings } = facts;
  const enabled = settings.enabled ? enabledDetectors(settings.mode) : [];
  const current = facts.windows.find((w) => windowState(w, now) === 'active');
  const learningDaysLeft = enabled.length === 0
    ? null
    : Math.max(0, ...facts.lastCheckResults.map((r) => ('learningDaysLeft' in r && r.learning ? r.learningDaysLeft : 0)));
  return describeStoreState(
    {
      timezone: settings.timezone,
      paused: !settings.enabled,
      maintenanceUntil: current ? effectiveEnd(current) : null,
      openAlerts: facts.openAlerts.map((a) => ({ detector: a.detector, severity: a.severity, openedAt: a.openedAt, summary: firstFinding(a) })),
      lastContactAt: facts.lastContactAt,
      learningDaysLeft,
      ordersToday: facts.ordersToday,
      lastOrderAt: facts.lastOrderAt,
    },
    now,
  );
}

/** What the status API and page show: read-only views over the tables, no decisions. */
export class StatusService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly alerts: AlertRepository,
    private readonly notifications: NotificationRepository,
    private readonly restSync: RestSyncRepository,
    private readonly maintenance: MaintenanceWindows,
  ) {}

  async status(store: StoreRecord, settings: Settings): Promise<StoreStatus> {
    const now = new Date();
    const [openAlerts, windows] = await Promise.all([this.alerts.openAlerts(store.id), this.maintenance.currentAndUpcoming(store.id, now)]);
    const dayStart = zonedToUtc(`${localDate(now, settings.timezone)} 00:00`, settings.timezone) ?? now;
    const [lastOrder, lastCheck, openAlert, sync, blind, ordersToday] = await Promise.all([
      this.orders.latest(store.id),
      this.alerts.lastCheckRun(store.id),
      this.alerts.openAlert(store.id),
      this.restSync.state(store.id),
      this.alerts.openStoreAlert(store.id, REPORTING_DETECTOR),
      this.orders.countCreatedBetween(store.id, dayStart, now),
    ]);
    const reporting = evaluateReporting(new Date(), store.lastContactAt);
    const enabled = settings.enabled ? enabledDetectors(settings.mode) : [];
    const results = (lastCheck?.results ?? []) as DetectorResult[];
    const detectorState = (name: AnyDetectorName) => {
      const result = results.find((r) => r.detector === name);
      const state: DetectorState = !enabled.includes(name)
        ? 'off'
        : result?.breached
          ? 'alerting'
          : result?.learning
            ? 'learning'
            : 'ok';
      return { state, summary: result?.summary ?? null };
    };
    const state = storeStateFor(
      { settings, openAlerts, windows, lastContactAt: store.lastContactAt, lastCheckResults: results, ordersToday, lastOrderAt: lastOrder?.createdAt ?? null },
      now,
    );
    return {
      state: { ...state, since: state.since?.toISOString() ?? null },
      orders_today: ordersToday,
      store: { id: store.id, name: store.name, url: store.url, timezone: settings.timezone },
      monitoring: { enabled: settings.enabled, mode: settings.mode },
      detectors: {
        // Every detector of the mode, and the specification's two for comparison (shown off when unused).
        ...Object.fromEntries(
          [...new Set<AnyDetectorName>([...enabledDetectors(settings.mode), 'time_based', 'rolling_average'])].map((name) => [name, detectorState(name)]),
        ),
        reporting: {
          state: !settings.enabled ? 'off' : blind ? 'alerting' : reporting.learning ? 'learning' : 'ok',
          summary: reporting.summary,
        },
      },
      last_order: lastOrder
        ? { order_id: lastOrder.orderId, status: lastOrder.status, created_at: lastOrder.createdAt.toISOString() }
        : null,
      last_check: lastCheck
        ? {
            ran_at: lastCheck.ranAt.toISOString(),
            trigger: lastCheck.trigger,
            decision: lastCheck.decision,
            held_by: lastCheck.heldBy,
            results: lastCheck.results,
          }
        : null,
      open_alert: openAlert ? alertView(openAlert) : null,
      open_alerts: openAlerts.map(alertView),
      maintenance: {
        current: windows.filter((w) => windowState(w, now) === 'active').map((w) => windowView(w, now))[0] ?? null,
        upcoming: windows.filter((w) => windowState(w, now) === 'upcoming').map((w) => windowView(w, now)),
      },
      last_contact_at: store.lastContactAt?.toISOString() ?? null,
      health: healthView(store),
      rest_recovery: {
        configured: sync !== null,
        synced_until: sync?.syncedUntil.toISOString() ?? null,
        last_success_at: sync?.lastSuccessAt?.toISOString() ?? null,
        last_error: sync?.lastError ?? null,
        orders_seen: sync?.ordersSeen ?? 0,
      },
    };
  }

  /** The alert history with every notification and each recipient's delivery attempts. */
  async alertHistory(storeId: string, limit = 100) {
    const alerts = await this.alerts.list(storeId, limit);
    const notifications = await this.notifications.forAlerts(alerts.map((a) => a.id));
    const deliveries = await this.notifications.deliveries(notifications.map((n) => n.id));
    return alerts.map((alert) => ({
      ...alertView(alert),
      notifications: notifications
        .filter((n) => n.alertId === alert.id)
        .map((n) => ({
          id: n.id,
          kind: n.kind,
          status: n.status,
          created_at: n.createdAt.toISOString(),
          deliveries: deliveries
            .filter((d) => d.notificationId === n.id)
            .map((d) => ({
              recipient: d.recipient,
              attempt: d.attempt,
              status: d.status,
              response: d.response,
              attempted_at: d.attemptedAt.toISOString(),
            })),
        })),
    }));
  }
}
