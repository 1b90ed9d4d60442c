import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { eventSchema, isOrderEvent } from '../domain/events';
import { odds } from '../domain/budget';
import type { SilenceCalibration } from '../domain/calibration';
import { replay, type ReplayOrder, type ReplayResult } from '../domain/replay';
import { defaultSettings, mergeSettings, MODES, type Settings } from '../domain/settings';
import { formatLocal, impossibleDateTime, isKnownTimeZone, zonedToUtc } from '../domain/time';

/**
 * `npm run woom -- backtest`: replays an order export through the live sidecar's detectors and alert
 * policy on a simulated clock (domain/replay) and prints every alert it would have sent.
 */

export class BacktestInputError extends Error {}

export interface BacktestArgs {
  orders: string;
  timezone?: string;
  settings?: string;
  mode?: string;
  from?: string;
  to?: string;
  json?: boolean;
  /** "paid=completed,voided=cancelled": an export's own statuses renamed to WooCommerce's. */
  statusMap?: string;
}

/** One bad line stops the backtest: a silently skipped order would be a fake outage in the replay. */
const lineError = (line: number, message: string) => new BacktestInputError(`line ${line}: ${message}`);

/** An instant with an offset, or a wall-clock time read in the store's zone (as exports often write it). */
export function parseInstant(value: string, timezone: string): Date | null {
  const trimmed = value.trim();
  if (impossibleInstant(trimmed)) return null;
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(trimmed)) {
    const date = new Date(trimmed);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  return zonedToUtc(trimmed, timezone);
}

/**
 * Why a date-shaped value names a time that does not exist (2017-02-30, month 13, hour 25), with or without
 * an offset; null otherwise. JavaScript rolls such dates over silently: one bad row of an export stretched a
 * 159-day replay to 527 days.
 */
export function impossibleInstant(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return null;
  return impossibleDateTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

/** "created_at "x" is not a date such as ...", or why it is not a real one. */
function badDate(field: string, value: string, example: string): string {
  const impossible = impossibleInstant(value);
  return impossible ? `${field} "${value}" is not a real date and time: ${impossible}` : `${field} "${value}" is not a date such as ${example}`;
}

const statusPattern = /^[a-z0-9_-]{1,40}$/;

/** CSV with a header: created_at and status required; order_id, total, payment_method, created_via optional. */
export function parseOrdersCsv(text: string, timezone: string): ReplayOrder[] {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    const e = error as { lines?: number; message?: string; code?: string };
    // csv-parse names the end of the file for a quote never closed; the admin needs the line it opened on.
    const opened = e.code === 'CSV_QUOTE_NOT_CLOSED' ? unclosedQuoteLine(text) : null;
    if (opened !== null) throw lineError(opened, 'a quote opens here and is never closed (not valid CSV)');
    throw new BacktestInputError(`line ${e.lines ?? '?'}: not valid CSV (${e.message ?? String(error)})`);
  }
  if (records.length === 0) throw new BacktestInputError('line 1: no orders (a header with created_at and status, then one order a line)');
  const header = Object.keys(records[0]!.record);
  for (const column of ['created_at', 'status']) {
    if (!header.includes(column)) throw new BacktestInputError(`line 1: the header has no "${column}" column (found: ${header.join(', ')})`);
  }
  return records.map(({ record, info }, index) => {
    const line = info.lines;
    const createdAt = parseInstant(record.created_at ?? '', timezone);
    if (!createdAt) throw lineError(line, badDate('created_at', record.created_at ?? '', '2017-03-05T14:20:00 or 2017-03-05T14:20:00Z'));
    const status = (record.status ?? '').replace(/^wc-/, '');
    if (!statusPattern.test(status)) throw lineError(line, `status "${record.status}" is not a WooCommerce status such as completed or failed`);
    let total: number | null = null;
    if (record.total) {
      total = Number(record.total);
      if (!Number.isFinite(total)) throw lineError(line, `total "${record.total}" is not a number such as 49.90`);
    }
    return {
      orderId: record.order_id || index + 1,
      status,
      createdAt,
      total,
      paymentMethod: record.payment_method || null,
      createdVia: record.created_via || null,
    };
  });
}

/** The line on which a quoted field opens that the file never closes, or null when every quote closes. */
export function unclosedQuoteLine(text: string): number | null {
  let line = 1;
  let inQuote = false;
  let openedAt = 0;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === '"' && text[i + 1] === '"') i++;
      else if (c === '"') inQuote = false;
      else if (c === '\n') line++;
      continue;
    }
    if (c === '"' && fieldStart) {
      inQuote = true;
      openedAt = line;
    } else if (c === '\n') {
      line++;
      fieldStart = true;
    } else if (c === ',') fieldStart = true;
    else if (c !== ' ' && c !== '\t' && c !== '\r') fieldStart = false;
  }
  return inQuote ? openedAt : null;
}

const plainOrder = z.object({
  order_id: z.union([z.number(), z.string()]).optional(),
  created_at: z.string(),
  status: z.string().regex(statusPattern, 'must be a WooCommerce status such as completed'),
  total: z.union([z.number(), z.string(), z.null()]).optional(),
  payment_method: z.string().nullish(),
  created_via: z.string().nullish(),
});

/**
 * JSON lines: the bridge's events (README, "POST /v1/events"; an order's newest status by occurred_at
 * wins, as in the sidecar) or plain orders with the CSV's fields.
 */
export function parseOrdersJsonLines(text: string, timezone: string): ReplayOrder[] {
  const orders = new Map<string, ReplayOrder & { statusAt: number }>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw lineError(line, 'not valid JSON');
    }
    if (typeof value === 'object' && value !== null && 'type' in value) {
      const event = eventSchema.safeParse(value);
      if (!event.success) throw lineError(line, event.error.issues.map((i) => `${i.path.join('.') || 'event'} ${i.message}`).join('; '));
      if (!isOrderEvent(event.data)) return;
      const e = event.data;
      const key = String(e.order_id);
      const previous = orders.get(key);
      if (previous && previous.statusAt > e.occurred_at.getTime()) return;
      orders.set(key, {
        orderId: e.order_id,
        status: e.to,
        createdAt: e.created_at,
        total: e.total ?? previous?.total ?? null,
        paymentMethod: e.payment_method ?? previous?.paymentMethod ?? null,
        createdVia: e.created_via ?? previous?.createdVia ?? null,
        statusAt: e.occurred_at.getTime(),
      });
      return;
    }
    const order = plainOrder.safeParse(value);
    if (!order.success) throw lineError(line, order.error.issues.map((i) => `${i.path.join('.') || 'order'} ${i.message}`).join('; '));
    const createdAt = parseInstant(order.data.created_at, timezone);
    if (!createdAt) throw lineError(line, badDate('created_at', order.data.created_at, '2017-03-05T14:20:00Z'));
    const total = order.data.total === undefined || order.data.total === null || order.data.total === '' ? null : Number(order.data.total);
    if (total !== null && !Number.isFinite(total)) throw lineError(line, `total "${order.data.total}" is not a number`);
    orders.set(`line:${line}`, {
      orderId: order.data.order_id ?? line,
      status: order.data.status.replace(/^wc-/, ''),
      createdAt,
      total,
      paymentMethod: order.data.payment_method ?? null,
      createdVia: order.data.created_via ?? null,
      statusAt: 0,
    });
  });
  if (orders.size === 0) throw new BacktestInputError('line 1: no orders in the file');
  return [...orders.values()].map(({ statusAt: _statusAt, ...order }) => order);
}

export function loadSettings(args: BacktestArgs): Settings {
  let timezone = args.timezone;
  let change: Record<string, unknown> = {};
  if (args.settings) {
    let text: string;
    try {
      text = readFileSync(args.settings, 'utf8');
    } catch (error) {
      throw new BacktestInputError(`--settings ${args.settings}: ${(error as Error).message}`);
    }
    try {
      change = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new BacktestInputError(`--settings ${args.settings}: not valid JSON (a settings object as GET /v1/stores/:id/settings answers, or part of one)`);
    }
    if (typeof change === 'object' && change && 'settings' in change && typeof change.settings === 'object') change = change.settings as Record<string, unknown>;
    if (!timezone && typeof change.timezone === 'string') timezone = change.timezone;
  }
  timezone ??= 'UTC';
  if (!isKnownTimeZone(timezone)) throw new BacktestInputError(`--timezone ${timezone} is not a known IANA time zone, e.g. America/Sao_Paulo`);
  if (args.mode) {
    if (!(MODES as readonly string[]).includes(args.mode)) throw new BacktestInputError(`--mode must be one of ${MODES.join(', ')}`);
    change = { ...change, mode: args.mode };
  }
  const merged = mergeSettings(defaultSettings(timezone), { ...change, timezone });
  if (!merged.ok) throw new BacktestInputError(`--settings: ${merged.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
  return merged.settings;
}

export function readOrders(path: string, timezone: string): ReplayOrder[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BacktestInputError(`--orders ${path}: ${(error as Error).message}`);
  }
  const firstChar = text.trimStart()[0];
  return firstChar === '{' ? parseOrdersJsonLines(text, timezone) : parseOrdersCsv(text, timezone);
}

export interface BacktestReport {
  settings: Settings;
  from: Date;
  to: Date;
  orders: number;
  result: ReplayResult;
}

/** `--status-map paid=completed,voided=cancelled`, each side a status name. */
export function parseStatusMap(value: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [from, to, extra] = pair.split('=').map((side) => side.trim().replace(/^wc-/, ''));
    if (extra !== undefined || !from || !to || !statusPattern.test(from) || !statusPattern.test(to)) {
      throw new BacktestInputError(`--status-map: "${pair}" is not FROM=TO with two status names, e.g. paid=completed,voided=cancelled`);
    }
    map.set(from, to);
  }
  if (map.size === 0) throw new BacktestInputError('--status-map: no mapping given, e.g. paid=completed,voided=cancelled');
  return map;
}

/**
 * A file in which no order is a success or a failure by the settings gives a replay that sees a store
 * without a single order: every check would be "no verdict" or an outage. Say so, and how to map them.
 */
function requireClassifiedStatuses(orders: readonly ReplayOrder[], settings: Settings): void {
  const counts = new Map<string, number>();
  for (const order of orders) {
    if (settings.success_statuses.includes(order.status) || settings.failure_statuses.includes(order.status)) return;
    counts.set(order.status, (counts.get(order.status) ?? 0) + 1);
  }
  const found = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([status, n]) => `${status} (${n})`).join(', ');
  const example = [...counts.keys()].slice(0, 2).map((status, i) => `${status}=${i === 0 ? 'completed' : 'cancelled'}`).join(',');
  throw new BacktestInputError(
    `--orders: no order has a success status (${settings.success_statuses.join(', ')}) or a failure status ` +
      `(${settings.failure_statuses.join(', ')}); the file's statuses are ${found}. ` +
      `Map them to WooCommerce's, e.g. --status-map ${example}, or set success_statuses and failure_statuses in --settings`,
  );
}

export function runBacktest(args: BacktestArgs): BacktestReport {
  const settings = loadSettings(args);
  const statusMap = args.statusMap === undefined ? null : parseStatusMap(args.statusMap);
  const read = readOrders(args.orders, settings.timezone);
  const orders = statusMap ? read.map((o) => ({ ...o, status: statusMap.get(o.status) ?? o.status })) : read;
  requireClassifiedStatuses(orders, settings);
  // A loop rather than Math.min(...times): spreading a few hundred thousand orders overflows the stack.
  let first = Infinity;
  let last = -Infinity;
  for (const order of orders) {
    first = Math.min(first, order.createdAt.getTime());
    last = Math.max(last, order.createdAt.getTime());
  }
  const bound = (value: string | undefined, name: string, fallback: number): Date => {
    if (!value) return new Date(fallback);
    const date = parseInstant(value, settings.timezone);
    if (!date) throw new BacktestInputError(`--${badDate(name, value, '2018-01-01 or 2018-01-01T00:00:00Z')}`);
    return date;
  };
  const from = bound(args.from && /^\d{4}-\d{2}-\d{2}$/.test(args.from) ? `${args.from}T00:00` : args.from, 'from', first);
  const to = bound(args.to && /^\d{4}-\d{2}-\d{2}$/.test(args.to) ? `${args.to}T00:00` : args.to, 'to', last + 3_600_000);
  if (to <= from) throw new BacktestInputError('--to must be after --from');
  const result = replay(orders, settings, { from, to });
  return { settings, from, to, orders: orders.length, result };
}

/** A problem two detectors raised counts for each of them. */
function problemsByDetector(result: ReplayResult, days: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const problem of result.problems) {
    if (!problem.notified) continue;
    for (const detector of problem.detectors) counts[detector] = (counts[detector] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([detector, n]) => [detector, Math.round((n / days) * 30 * 100) / 100]));
}

/**
 * Whether the store's budget is spent: on a history without real problems every problem told is a false
 * alarm, and adaptive mode aims at 0.5 to 1 times false_alarms_per_month.
 */
function budgetLine(byDetector: Record<string, number>, settings: Settings): string {
  const parts = Object.entries(byDetector).map(([detector, n]) => `${detector} ${n}`);
  const total = Object.values(byDetector).reduce((sum, n) => sum + n, 0);
  const per = parts.length ? `${parts.join(', ')} (together ${Math.round(total * 100) / 100})` : 'none';
  return settings.mode === 'adaptive'
    ? `problems told per 30 days by detector: ${per}; setting false_alarms_per_month ${settings.false_alarms_per_month} ` +
        `(on a history without real problems these are false alarms: adaptive mode aims at 0.5-1 times the setting)`
    : `problems told per 30 days by detector: ${per}`;
}

function silenceCalibrationSummary(c: SilenceCalibration) {
  const round = (x: number) => Math.round(x * 100) / 100;
  return { calibrated: c.calibrated, limit_log_odds: round(c.limitLogOdds), model_log_odds: round(c.modelLogOdds), gaps: c.gaps, check_every_minutes: c.checkEveryMinutes, note: c.note };
}

/** Where the silence alerts, by the store's own history and by the model alone: the admin sees what the replay changed. */
function silenceCalibrationLine(c: SilenceCalibration): string {
  return c.calibrated
    ? `silence limit on the last day, replayed on the ${c.gaps} gaps between orders before it (checks every ${c.checkEveryMinutes} min): ` +
        `alert below ${odds(Math.exp(-c.limitLogOdds))} (the model alone: ${odds(Math.exp(-c.modelLogOdds))})`
    : `silence limit on the last day: the model's, alert below ${odds(Math.exp(-c.modelLogOdds))} (not replayed: ${c.note})`;
}

export function formatBacktest(report: BacktestReport, json: boolean): string {
  const { settings, result, from, to } = report;
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  const notifiedProblems = result.problems.filter((p) => p.notified).length;
  const summary = {
    mode: settings.mode,
    timezone: settings.timezone,
    from: from.toISOString(),
    to: to.toISOString(),
    days: Math.round(days * 10) / 10,
    orders: report.orders,
    checks: result.checks,
    alerts_sent: result.alerts.length,
    problems: result.problems.length,
    problems_notified: notifiedProblems,
    alerts_per_30_days: Math.round((result.alerts.length / days) * 30 * 10) / 10,
    problems_per_30_days: Math.round((notifiedProblems / days) * 30 * 10) / 10,
    /** Problems told per 30 days by the detector that raised them, beside the budget they should spend. */
    problems_per_30_days_by_detector: problemsByDetector(result, days),
    false_alarms_per_month: settings.false_alarms_per_month,
    /** The silence limit of the last day, replayed on the 8 weeks before it (domain/calibration). */
    ...(result.silenceCalibration ? { silence_calibration: silenceCalibrationSummary(result.silenceCalibration) } : {}),
  };
  if (json) {
    return JSON.stringify({
      summary,
      alerts: result.alerts.map((a) => ({ ...a, at: a.at.toISOString(), startedAt: a.startedAt?.toISOString() ?? null })),
      problems: result.problems.map((p) => ({
        ...p,
        openedAt: p.openedAt.toISOString(),
        resolvedAt: p.resolvedAt?.toISOString() ?? null,
        startedAt: p.startedAt?.toISOString() ?? null,
      })),
    });
  }
  const lines = result.alerts.map(
    (a) => `${formatLocal(a.at, settings.timezone)}  ${a.kind.padEnd(8)} ${a.severity.padEnd(8)} ${a.detectors.join('+').padEnd(26)} ${a.summary}`,
  );
  lines.push(
    '',
    `${summary.orders} orders, ${formatLocal(from, settings.timezone)} to ${formatLocal(to, settings.timezone)} (${summary.days} days), mode ${settings.mode}`,
    `${summary.checks} checks; ${summary.alerts_sent} alerts and reminders sent (${summary.alerts_per_30_days} per 30 days); ` +
      `${summary.problems} problems opened, ${notifiedProblems} told to the admin (${summary.problems_per_30_days} per 30 days)`,
    budgetLine(summary.problems_per_30_days_by_detector, settings),
  );
  if (result.silenceCalibration) lines.push(silenceCalibrationLine(result.silenceCalibration));
  return lines.join('\n');
}
