import { z } from 'zod';
import type { Severity } from './detectors';
import { localTime, parseClock } from './time';

/**
 * Custom alert rules: a store's own "tell me when revenue in the last hour is below 50 EUR between 10:00
 * and 20:00". Each is one more detector beside the built-in ones, judged by the same alert policy (one
 * alert per problem, cooldown, reminders, acknowledge, maintenance, resolve).
 */

export const RULE_METRICS = [
  'successful_orders',
  'orders',
  'revenue',
  'average_order_value',
  'failed_orders',
  'failure_share',
  'refunds',
  'cancelled_orders',
  'payment_method_orders',
] as const;
export type RuleMetric = (typeof RULE_METRICS)[number];
export const RULE_OPERATORS = ['<', '<=', '>', '>='] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

/** How a metric reads in an alert: "revenue", "orders paid with paypal". */
export const METRIC_WORDS: Record<RuleMetric, string> = {
  successful_orders: 'successful orders',
  orders: 'orders',
  revenue: 'revenue',
  average_order_value: 'average order value',
  failed_orders: 'failed orders',
  failure_share: 'failure share',
  refunds: 'refunded orders',
  cancelled_orders: 'cancelled orders',
  payment_method_orders: 'orders paid with',
};

const OPERATOR_WORDS: Record<RuleOperator, string> = { '<': 'below', '<=': 'at or below', '>': 'above', '>=': 'at or above' };

export const MIN_RULE_WINDOW_MINUTES = 5;
export const MAX_RULE_WINDOW_MINUTES = 7 * 24 * 60;
export const MAX_RULES = 20;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, e.g. 09:00');

export const ruleSchema = z
  .object({
    name: z.string({ error: 'must be a name' }).trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters'),
    metric: z.enum(RULE_METRICS, { message: `must be one of ${RULE_METRICS.join(', ')}` }),
    /** Only for payment_method_orders: the WooCommerce gateway id, e.g. stripe or paypal. */
    payment_method: z.string().trim().min(1).max(100).nullable().default(null),
    operator: z.enum(RULE_OPERATORS, { message: 'must be one of <, <=, >, >=' }),
    threshold: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(1e9, 'must be at most 1,000,000,000'),
    window_minutes: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(MIN_RULE_WINDOW_MINUTES, `must be ${MIN_RULE_WINDOW_MINUTES} or more`)
      .max(MAX_RULE_WINDOW_MINUTES, `must be at most ${MAX_RULE_WINDOW_MINUTES} (7 days)`),
    /** Local hours the rule is judged in (it may run past midnight); null: all day. */
    active_from: z.preprocess((v) => (v === '' ? null : v), clock.nullable()).default(null),
    active_to: z.preprocess((v) => (v === '' ? null : v), clock.nullable()).default(null),
    /** ISO weekdays (1 = Monday) the rule is judged on; null or empty: every day. */
    active_weekdays: z
      .array(z.number().int('must be a whole number').min(1, 'must be 1 (Monday) to 7 (Sunday)').max(7, 'must be 1 (Monday) to 7 (Sunday)'))
      .max(7)
      .nullable()
      .default(null),
    severity: z.enum(['warning', 'critical'], { message: 'must be warning or critical' }).default('warning'),
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.metric === 'payment_method_orders' && !rule.payment_method) {
      ctx.addIssue({ code: 'custom', path: ['payment_method'], message: 'must name the payment method (e.g. stripe) for payment_method_orders' });
    }
    if ((rule.active_from === null) !== (rule.active_to === null)) {
      ctx.addIssue({ code: 'custom', path: [rule.active_from === null ? 'active_from' : 'active_to'], message: 'must be set too when the other active hour is, or both left empty' });
    } else if (rule.active_from !== null && rule.active_from === rule.active_to) {
      ctx.addIssue({ code: 'custom', path: ['active_to'], message: 'must differ from active_from' });
    }
    if (rule.metric === 'failure_share' && rule.threshold > 100) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'must be a percentage, at most 100, for failure_share' });
    }
  });

export type Rule = z.infer<typeof ruleSchema>;

export const rulesSchema = z
  .array(ruleSchema)
  .max(MAX_RULES, `must be at most ${MAX_RULES} rules`)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      const key = rule.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'must differ from the other rules’ names' });
      seen.add(key);
    });
  });

/** What a rule counts of one order. */
export interface RuleOrder {
  status: string;
  createdAt: Date;
  total: number | null;
  paymentMethod: string | null;
}

export interface RuleStatuses {
  success_statuses: readonly string[];
  failure_statuses: readonly string[];
}

export interface RuleResult {
  detector: 'rule';
  rule: string;
  breached: boolean;
  /** The window began before WordPress first reported, or the metric has no value (no orders to average). */
  learning: boolean;
  /** Outside the rule's active hours or weekdays: not judged now. */
  inactive: boolean;
  severity: Severity;
  metric: RuleMetric;
  /** null when the metric has no value in the window (an average of no orders). */
  value: number | null;
  operator: RuleOperator;
  threshold: number;
  windowMinutes: number;
  windowStart: Date;
  windowEnd: Date;
  summary: string;
}

/** The metric over the orders created in the window; null where it has no value. */
export function metricValue(rule: Pick<Rule, 'metric' | 'payment_method'>, orders: readonly RuleOrder[], statuses: RuleStatuses): number | null {
  let successful = 0;
  let failed = 0;
  let revenue = 0;
  let withTotal = 0;
  let count = 0;
  for (const o of orders) {
    const success = statuses.success_statuses.includes(o.status);
    const failure = statuses.failure_statuses.includes(o.status);
    switch (rule.metric) {
      case 'orders':
        count++;
        break;
      case 'successful_orders':
        if (success) count++;
        break;
      case 'failed_orders':
        if (failure && o.status !== 'cancelled') count++;
        break;
      case 'cancelled_orders':
        if (o.status === 'cancelled') count++;
        break;
      case 'refunds':
        if (o.status === 'refunded') count++;
        break;
      case 'payment_method_orders':
        if (success && o.paymentMethod === rule.payment_method) count++;
        break;
      case 'failure_share':
        if (success) successful++;
        else if (failure) failed++;
        break;
      case 'revenue':
      case 'average_order_value':
        if (success && o.total !== null && Number.isFinite(o.total)) {
          revenue += o.total;
          withTotal++;
        }
        break;
    }
  }
  if (rule.metric === 'revenue') return round2(revenue);
  if (rule.metric === 'average_order_value') return withTotal === 0 ? null : round2(revenue / withTotal);
  if (rule.metric === 'failure_share') return successful + failed === 0 ? null : Math.round((failed / (successful + failed)) * 1000) / 10;
  return count;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

export function compare(value: number, operator: RuleOperator, threshold: number): boolean {
  if (operator === '<') return value < threshold;
  if (operator === '<=') return value <= threshold;
  if (operator === '>') return value > threshold;
  return value >= threshold;
}

/** Whether the rule is judged at `now`: its weekdays and hours in the store's zone (hours may cross midnight). */
export function ruleActive(rule: Pick<Rule, 'active_from' | 'active_to' | 'active_weekdays'>, now: Date, timeZone: string): boolean {
  const { weekday, minuteOfDay } = localTime(now, timeZone);
  const days = rule.active_weekdays && rule.active_weekdays.length > 0 ? rule.active_weekdays : null;
  if (!rule.active_from || !rule.active_to) return days === null || days.includes(weekday);
  const start = parseClock(rule.active_from);
  const end = parseClock(rule.active_to);
  if (start < end) return minuteOfDay >= start && minuteOfDay < end && (days === null || days.includes(weekday));
  // Hours past midnight belong to the day the period began on, as peak hours do (domain/time isPeakTime).
  if (minuteOfDay >= start) return days === null || days.includes(weekday);
  const previous = weekday === 1 ? 7 : weekday - 1;
  return minuteOfDay < end && (days === null || days.includes(previous));
}

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** "revenue below 50 EUR between 10:00 and 20:00 on Monday, Tuesday" */
export function describeRule(rule: Rule, currency: string | null = null): string {
  const metric = rule.metric === 'payment_method_orders' ? `orders paid with ${rule.payment_method}` : METRIC_WORDS[rule.metric];
  let text = `${metric} ${OPERATOR_WORDS[rule.operator]} ${formatMetric(rule.metric, rule.threshold, currency)} in ${formatWindow(rule.window_minutes)}`;
  if (rule.active_from && rule.active_to) text += ` between ${rule.active_from} and ${rule.active_to}`;
  if (rule.active_weekdays && rule.active_weekdays.length > 0 && rule.active_weekdays.length < 7) {
    text += ` on ${[...rule.active_weekdays].sort().map((d) => WEEKDAY_NAMES[d - 1]).join(', ')}`;
  }
  return text;
}

export function formatWindow(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? '24 hours' : `${minutes / 1440} days`;
  if (minutes % 60 === 0 && minutes >= 120) return `${minutes / 60} hours`;
  return `${minutes} min`;
}

function formatMetric(metric: RuleMetric, value: number, currency: string | null): string {
  if (metric === 'failure_share') return `${value}%`;
  if (metric === 'revenue' || metric === 'average_order_value') {
    const amount = value.toLocaleString('en', { minimumFractionDigits: value % 1 === 0 ? 0 : 2, maximumFractionDigits: 2 });
    return currency ? `${amount} ${currency}` : amount;
  }
  return String(value);
}

export interface RuleContext {
  now: Date;
  timeZone: string;
  statuses: RuleStatuses;
  /** When WordPress first reported: no verdict on a window that began before it. */
  monitoringSince: Date | null;
  currency?: string | null;
}

/**
 * One rule at `now` over the orders created in its window (the caller may hand more; only the window is
 * counted). A rule outside its active hours, or over a window WOOM did not watch whole, never fires.
 */
export function evaluateRule(rule: Rule, orders: readonly RuleOrder[], ctx: RuleContext): RuleResult {
  const windowEnd = ctx.now;
  const windowStart = new Date(ctx.now.getTime() - rule.window_minutes * 60_000);
  const inWindow = orders.filter((o) => o.createdAt >= windowStart && o.createdAt < windowEnd);
  return judge(rule, metricValue(rule, inWindow, ctx.statuses), windowStart, ctx);
}

function judge(rule: Rule, value: number | null, windowStart: Date, ctx: RuleContext): RuleResult {
  const inactive = !ruleActive(rule, ctx.now, ctx.timeZone);
  const unwatched = ctx.monitoringSince === null || ctx.monitoringSince > windowStart;
  const learning = unwatched || value === null;
  const metric = rule.metric === 'payment_method_orders' ? `orders paid with ${rule.payment_method}` : METRIC_WORDS[rule.metric];
  const shown = value === null ? 'no value (no orders)' : formatMetric(rule.metric, value, ctx.currency ?? null);
  const because = `rule "${rule.name}": ${describeRule(rule, ctx.currency ?? null)}`;
  const summary = unwatched
    ? `${because}; no verdict until WOOM has watched a whole window`
    : `${metric} in the last ${formatWindow(rule.window_minutes)} ${shown}; ${because}${inactive ? ' (outside its hours now)' : ''}`;
  return {
    detector: 'rule',
    rule: rule.name,
    breached: rule.enabled && !inactive && !learning && compare(value!, rule.operator, rule.threshold),
    learning,
    inactive,
    severity: rule.severity,
    metric: rule.metric,
    value,
    operator: rule.operator,
    threshold: rule.threshold,
    windowMinutes: rule.window_minutes,
    windowStart,
    windowEnd: ctx.now,
    summary,
  };
}

/**
 * Every enabled rule over the newest orders (oldest first, covering at least the longest window). The
 * orders are walked once per distinct window rather than once per rule, so ten rules cost little more
 * than one on a busy store.
 */
export function evaluateRules(rules: readonly Rule[], chronological: readonly RuleOrder[], ctx: RuleContext): RuleResult[] {
  const enabled = rules.filter((r) => r.enabled);
  const byWindow = new Map<number, RuleOrder[]>();
  const nowMs = ctx.now.getTime();
  return enabled.map((rule) => {
    let inWindow = byWindow.get(rule.window_minutes);
    if (!inWindow) {
      const startMs = nowMs - rule.window_minutes * 60_000;
      inWindow = chronological.slice(lowerBound(chronological, startMs), lowerBound(chronological, nowMs));
      byWindow.set(rule.window_minutes, inWindow);
    }
    return judge(rule, metricValue(rule, inWindow, ctx.statuses), new Date(nowMs - rule.window_minutes * 60_000), ctx);
  });
}

function lowerBound(orders: readonly RuleOrder[], ms: number): number {
  let lo = 0;
  let hi = orders.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (orders[mid]!.createdAt.getTime() < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The longest window among the enabled rules, in minutes (0 without any): how far back a check reads. */
export const longestRuleWindow = (rules: readonly Rule[]): number => Math.max(0, ...rules.filter((r) => r.enabled).map((r) => r.window_minutes));

export interface RuleFirings {
  name: string;
  /** Times the rule would have started firing (a stretch of firing checks counts once). */
  firings: number;
  /** Checks at which it fired, of `checks`: how long it would have fired. */
  firingChecks: number;
  checks: number;
}

/**
 * How often each enabled rule would have fired over [from, to), judged every `stepMinutes` over the
 * orders given (oldest first, reaching back the longest window before `from`): what the settings page
 * shows before a rule is saved, and the backtest's figure per rule.
 */
export function ruleFirings(
  rules: readonly Rule[],
  chronological: readonly RuleOrder[],
  options: { from: Date; to: Date; stepMinutes: number } & Omit<RuleContext, 'now'>,
): RuleFirings[] {
  const enabled = rules.filter((r) => r.enabled);
  const out = enabled.map((r) => ({ name: r.name, firings: 0, firingChecks: 0, checks: 0 }));
  const firing = enabled.map(() => false);
  const step = Math.max(1, options.stepMinutes) * 60_000;
  for (let t = options.from.getTime(); t < options.to.getTime(); t += step) {
    const results = evaluateRules(enabled, chronological, { ...options, now: new Date(t) });
    results.forEach((result, i) => {
      const tally = out[i]!;
      tally.checks++;
      if (result.breached) {
        tally.firingChecks++;
        if (!firing[i]) tally.firings++;
      }
      firing[i] = result.breached;
    });
  }
  return out;
}
