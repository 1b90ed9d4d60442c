import type { Knex } from 'knex';
import * as storesAndSettings from './20261123_001_stores_and_settings';
import * as orderEventsAndOrders from './20261123_002_order_events_and_orders';
import * as checksAlertsDeliveries from './20261123_003_checks_alerts_deliveries';
import * as restRecovery from './20261123_004_rest_recovery';
import * as notificationChannels from './20261123_005_notification_channels';
import * as storeHealth from './20261123_006_store_health';
import * as alertLifecycle from './20261124_007_alert_lifecycle';
import * as storeProbes from './20261124_008_store_probes';
import * as deliveryClaims from './20261202_009_delivery_claims';
import * as heartbeatHistoryIndex from './20261202_011_heartbeat_history_index';
import * as probeClaim from './20261202_012_probe_claim';
import * as eventOrigin from './20261202_015_event_origin';
import * as operatorConsole from './20261202_020_operator_console';
import * as dailyFigures from './20261202_030_daily_figures';
import * as ordersUpdatedIndex from './20261202_031_orders_updated_index';
import * as signedRequests from './20261202_040_signed_requests';
import * as sealedSecrets from './20261202_041_sealed_secrets';
import * as orderHourlyRollups from './20261202_045_order_hourly_rollups';
import * as storeCadence from './20261202_046_store_cadence';
import * as digests from './20261203_050_digests';
import * as salesFeed from './20261203_051_sales_feed';
import * as ordersChannelIndex from './20261203_052_orders_channel_index';
import * as orderHourlyRetried from './20261203_053_order_hourly_retried';
import * as silenceCalibrations from './20261203_054_silence_calibrations';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations are imported, not discovered on disk, so the same list runs under tsx, vitest and a
 * bundler alike. Append new ones; never edit one that has landed.
 */
const migrations: ReadonlyArray<[string, Migration]> = [
  ['20261123_001_stores_and_settings', storesAndSettings],
  ['20261123_002_order_events_and_orders', orderEventsAndOrders],
  ['20261123_003_checks_alerts_deliveries', checksAlertsDeliveries],
  ['20261123_004_rest_recovery', restRecovery],
  ['20261123_005_notification_channels', notificationChannels],
  ['20261123_006_store_health', storeHealth],
  ['20261124_007_alert_lifecycle', alertLifecycle],
  ['20261124_008_store_probes', storeProbes],
  ['20261202_009_delivery_claims', deliveryClaims],
  ['20261202_011_heartbeat_history_index', heartbeatHistoryIndex],
  ['20261202_012_probe_claim', probeClaim],
  ['20261202_015_event_origin', eventOrigin],
  ['20261202_020_operator_console', operatorConsole],
  ['20261202_030_daily_figures', dailyFigures],
  ['20261202_031_orders_updated_index', ordersUpdatedIndex],
  ['20261202_040_signed_requests', signedRequests],
  ['20261202_041_sealed_secrets', sealedSecrets],
  ['20261202_045_order_hourly_rollups', orderHourlyRollups],
  ['20261202_046_store_cadence', storeCadence],
  ['20261203_050_digests', digests],
  ['20261203_051_sales_feed', salesFeed],
  ['20261203_052_orders_channel_index', ordersChannelIndex],
  ['20261203_053_order_hourly_retried', orderHourlyRetried],
  ['20261203_054_silence_calibrations', silenceCalibrations],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([candidate]) => candidate === name);
    if (!found) throw new Error(`Unknown migration ${name}`);
    return found[1];
  },
};
