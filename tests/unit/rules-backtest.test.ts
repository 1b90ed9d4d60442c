import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBacktest, runBacktest } from '../../sidecar/src/cli/backtest';

const OLIST = new URL('../../../shared/data/olist-orders.csv', import.meta.url).pathname;

describe('rule backtest on the olist export', () => {
  it('replays rules given in --settings through the same alert policy, per rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'woom-rules-'));
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        timezone: 'America/Sao_Paulo',
        // Fixed thresholds of 0 never fire, so every alert below is a rule's.
        mode: 'time_based',
        threshold_peak: 0,
        threshold_off_peak: 0,
        check_interval_minutes: 60,
        cooldown_minutes: 0,
        max_alerts_per_day: 100,
        rules: [
          { name: 'Six daytime hours without a sale', metric: 'successful_orders', operator: '<', threshold: 1, window_minutes: 360, active_from: '10:00', active_to: '22:00' },
          { name: 'Many cancellations', metric: 'cancelled_orders', operator: '>=', threshold: 2, window_minutes: 1440, severity: 'critical' },
        ],
      }),
    );
    const report = runBacktest({ orders: OLIST, settings, from: '2017-03-01', to: '2018-08-20' });
    const byRule = (name: string) => report.result.alerts.filter((a) => a.kind === 'alert' && a.summary.includes(`rule "${name}"`));
    expect(report.result.alerts.every((a) => a.detectors.every((d) => d === 'rule'))).toBe(true);
    // The export (~15 orders a day) has quiet daytime stretches and days with two cancellations: both rules fire, not constantly.
    expect(byRule('Six daytime hours without a sale').length).toBeGreaterThan(0);
    expect(byRule('Many cancellations').length).toBeGreaterThan(0);
    expect(report.result.problems.length).toBeLessThan(report.result.checks / 24);
    expect(formatBacktest(report, false)).toMatch(/rule/);
  }, 120_000);
});
