import { describe, expect, it } from 'vitest';
import { decideAlert } from '../../sidecar/src/domain/alert-policy';
import { evaluateRule, evaluateRules, metricValue, ruleActive, ruleSchema, type Rule, type RuleOrder } from '../../sidecar/src/domain/rules';
import { defaultSettings, mergeSettings } from '../../sidecar/src/domain/settings';

const statuses = { success_statuses: ['processing', 'completed'], failure_statuses: ['failed', 'cancelled'] };
const rule = (fields: Partial<Rule>): Rule => ruleSchema.parse({ name: 'r', metric: 'orders', operator: '<', threshold: 1, window_minutes: 60, ...fields });
const at = (iso: string, status = 'completed', total: number | null = 10, paymentMethod: string | null = 'stripe'): RuleOrder => ({ createdAt: new Date(iso), status, total, paymentMethod });
const now = new Date('2026-11-24T12:00:00Z'); // a Tuesday, 13:00 in Berlin
const ctx = { now, timeZone: 'Europe/Berlin', statuses, monitoringSince: new Date('2026-11-01T00:00:00Z'), currency: 'EUR' };

const orders = [
  at('2026-11-24T11:10:00Z', 'completed', 30, 'stripe'),
  at('2026-11-24T11:20:00Z', 'processing', 20, 'paypal'),
  at('2026-11-24T11:30:00Z', 'failed', 50, 'stripe'),
  at('2026-11-24T11:40:00Z', 'cancelled', 60, 'stripe'),
  at('2026-11-24T11:50:00Z', 'refunded', 70, 'stripe'),
  at('2026-11-24T11:55:00Z', 'pending', 80, 'stripe'),
];

describe('rule metrics', () => {
  it.each([
    ['orders', null, 6],
    ['successful_orders', null, 2],
    ['revenue', null, 50],
    ['average_order_value', null, 25],
    ['failed_orders', null, 1],
    ['failure_share', null, 50],
    ['refunds', null, 1],
    ['cancelled_orders', null, 1],
    ['payment_method_orders', 'paypal', 1],
  ] as const)('%s counts the window', (metric, paymentMethod, expected) => {
    expect(metricValue({ metric, payment_method: paymentMethod }, orders, statuses)).toBe(expected);
  });

  it('has no average order value or failure share without orders to judge, and then no verdict', () => {
    expect(metricValue({ metric: 'average_order_value', payment_method: null }, [], statuses)).toBeNull();
    expect(metricValue({ metric: 'failure_share', payment_method: null }, [at('2026-11-24T11:00:00Z', 'pending')], statuses)).toBeNull();
    const result = evaluateRule(rule({ metric: 'average_order_value', operator: '<', threshold: 10 }), [], ctx);
    expect(result).toMatchObject({ breached: false, learning: true, value: null });
  });
});

describe('rule operators and window edges', () => {
  it.each([
    ['<', 2, false],
    ['<', 3, true],
    ['<=', 2, true],
    ['<=', 1, false],
    ['>', 2, false],
    ['>', 1, true],
    ['>=', 2, true],
    ['>=', 3, false],
  ] as const)('successful orders (2) %s %d fires: %s', (operator, threshold, fires) => {
    expect(evaluateRule(rule({ metric: 'successful_orders', operator, threshold }), orders, ctx).breached).toBe(fires);
  });

  it('counts an order created exactly at the window start, not one created at now', () => {
    const edge = [at('2026-11-24T11:00:00Z'), at('2026-11-24T12:00:00Z'), at('2026-11-24T10:59:59.999Z')];
    expect(evaluateRule(rule({ metric: 'orders', operator: '>=', threshold: 0 }), edge, ctx).value).toBe(1);
    expect(evaluateRules([rule({ metric: 'orders', operator: '>=', threshold: 0 })], edge, ctx)[0]!.value).toBe(1);
  });

  it('takes windows of 5 minutes to 7 days, and nothing outside', () => {
    expect(ruleSchema.safeParse({ name: 'a', metric: 'orders', operator: '<', threshold: 1, window_minutes: 5 }).success).toBe(true);
    expect(ruleSchema.safeParse({ name: 'a', metric: 'orders', operator: '<', threshold: 1, window_minutes: 10_080 }).success).toBe(true);
    expect(ruleSchema.safeParse({ name: 'a', metric: 'orders', operator: '<', threshold: 1, window_minutes: 4 }).success).toBe(false);
    expect(ruleSchema.safeParse({ name: 'a', metric: 'orders', operator: '<', threshold: 1, window_minutes: 10_081 }).success).toBe(false);
  });

  it('gives no verdict on a window that began before WordPress first reported', () => {
    const result = evaluateRule(rule({ metric: 'orders', operator: '<', threshold: 100 }), orders, { ...ctx, monitoringSince: new Date('2026-11-24T11:30:00Z') });
    expect(result).toMatchObject({ breached: false, learning: true });
  });

  it('explains itself in the words of the issue', () => {
    const r = rule({ name: 'Daytime revenue', metric: 'revenue', operator: '<', threshold: 50, active_from: '10:00', active_to: '20:00' });
    expect(evaluateRule(r, [], ctx).summary).toBe('revenue in the last 60 min 0 EUR; rule "Daytime revenue": revenue below 50 EUR in 60 min between 10:00 and 20:00');
  });
});

describe('rule active hours and weekdays', () => {
  it('is judged only within its hours and weekdays, in the store zone, hours past midnight belonging to the day before', () => {
    const night = rule({ active_from: '22:00', active_to: '02:00', active_weekdays: [5] }); // Friday night
    expect(ruleActive(night, new Date('2026-11-27T22:30:00Z'), 'Europe/Berlin')).toBe(true); // Fri 23:30
    expect(ruleActive(night, new Date('2026-11-28T00:30:00Z'), 'Europe/Berlin')).toBe(true); // Sat 01:30
    expect(ruleActive(night, new Date('2026-11-28T01:00:00Z'), 'Europe/Berlin')).toBe(false); // Sat 02:00
    expect(ruleActive(night, new Date('2026-11-27T00:30:00Z'), 'Europe/Berlin')).toBe(false); // Fri 01:30: Thursday's night
    const day = rule({ active_from: '10:00', active_to: '20:00' });
    expect(ruleActive(day, new Date('2026-11-24T08:59:00Z'), 'Europe/Berlin')).toBe(false);
    expect(ruleActive(day, new Date('2026-11-24T09:00:00Z'), 'Europe/Berlin')).toBe(true);
    expect(ruleActive(rule({ active_weekdays: [1] }), now, 'Europe/Berlin')).toBe(false);
    const outside = evaluateRule(rule({ metric: 'orders', operator: '<', threshold: 100, active_weekdays: [1] }), orders, ctx);
    expect(outside).toMatchObject({ breached: false, inactive: true });
  });
});

describe('rules in the settings', () => {
  it('names the bad field of the bad rule', () => {
    const result = mergeSettings(defaultSettings('UTC'), {
      rules: [
        { name: 'ok', metric: 'orders', operator: '<', threshold: 1, window_minutes: 60 },
        { name: 'pm', metric: 'payment_method_orders', operator: '<', threshold: 1, window_minutes: 60 },
        { name: 'bad', metric: 'orders', operator: '=', threshold: -1, window_minutes: 2, active_from: '10:00' },
        { name: 'OK', metric: 'nope', operator: '<', threshold: 1, window_minutes: 60 },
      ],
    });
    expect(result.ok).toBe(false);
    const fields = result.ok ? [] : result.errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['rules[1].payment_method', 'rules[2].operator', 'rules[2].threshold', 'rules[2].window_minutes', 'rules[3].metric']));
  });

  it('fills a rule in with its defaults', () => {
    const result = mergeSettings(defaultSettings('UTC'), { rules: [{ name: 'x', metric: 'orders', operator: '<', threshold: 1, window_minutes: 60 }] });
    expect(result.ok && result.settings.rules[0]).toMatchObject({ severity: 'warning', enabled: true, active_from: null, active_weekdays: null });
  });
});

describe('rules in the alert policy', () => {
  const settings = { ...defaultSettings('Europe/Berlin'), mode: 'rolling_average' as const, rules: [rule({ name: 'no orders', metric: 'orders', operator: '<', threshold: 1 })] };
  const quiet = evaluateRules(settings.rules, [], ctx);
  const rad = { detector: 'rolling_average' as const, breached: false, learning: false, considered: 10, failed: 0, failureSharePct: 0, thresholdPct: 70, windowSize: 10, minOrders: 3, summary: '' };

  it('opens one alert for a rule that fires, with the rule severity', () => {
    const decision = decideAlert({ now, settings, evaluations: [rad, ...quiet], openAlert: null, lastNotifiedAt: null, notificationsLast24h: 0 });
    expect(decision).toMatchObject({ action: 'open', notify: true });
    expect(decision.action === 'open' && decision.fired.map((r) => r.detector)).toEqual(['rule']);
  });

  it('does not resolve a rule alert from a run that did not judge the rules (an order event)', () => {
    const open = { id: 1, openedAt: now, lastNotifiedAt: now, severity: 'warning' as const, detectors: ['rule'] };
    expect(decideAlert({ now, settings, evaluations: [rad], openAlert: open, lastNotifiedAt: now, notificationsLast24h: 1 })).toMatchObject({ action: 'none', reason: 'partial_run' });
    const healthy = evaluateRules(settings.rules, [at('2026-11-24T11:30:00Z')], ctx);
    expect(decideAlert({ now, settings, evaluations: [rad, ...healthy], openAlert: open, lastNotifiedAt: now, notificationsLast24h: 1 })).toMatchObject({ action: 'resolve', notify: true });
  });
});
