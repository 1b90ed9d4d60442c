import { Router, type Response } from 'express';
import { stringify } from 'csv-stringify';
import { DAILY_FIGURES_RETENTION_DAYS, shiftDay, type DailyFigures } from '../domain/daily-figures';
import type { FieldError } from '../domain/settings';
import { localDate } from '../domain/time';
import type { DailyFiguresRepository } from '../store/daily-figures';
import type { SettingsRepository } from '../store/settings';
import { sendInvalid } from './errors';

export interface FiguresRouteDeps {
  settings: SettingsRepository;
  dailyFigures: DailyFiguresRepository;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `from`/`to` as local dates; by default the last 30 whole days. Each bad field is named. Shared by the
 * signed endpoint, the status page's download and /api/v1.
 */
export function parseDays(query: { from?: unknown; to?: unknown }, timeZone: string, now = new Date()): { ok: true; from: string; to: string } | { ok: false; errors: FieldError[] } {
  const yesterday = shiftDay(localDate(now, timeZone), -1);
  const errors: FieldError[] = [];
  const read = (field: 'from' | 'to', fallback: string): string => {
    const value = query[field];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value)) || shiftDay(value, 0) !== value) {
      errors.push({ field, message: 'must be a date as YYYY-MM-DD' });
    }
    return String(value);
  };
  const to = read('to', yesterday);
  const from = read('from', shiftDay(to, -29));
  if (errors.length > 0) return { ok: false, errors };
  if (to < from) return { ok: false, errors: [{ field: 'to', message: 'must not be before from' }] };
  if (shiftDay(from, DAILY_FIGURES_RETENTION_DAYS) < to) {
    return { ok: false, errors: [{ field: 'from', message: `must be at most ${DAILY_FIGURES_RETENTION_DAYS} days before to` }] };
  }
  return { ok: true, from, to };
}

export const dailyFiguresJson = (f: DailyFigures) => ({
  day: f.day,
  orders: f.orders,
  successful: f.successful,
  failed: f.failed,
  cancelled: f.cancelled,
  refunded: f.refunded,
  revenue: f.revenue,
  average_order_value: f.averageOrderValue,
  customer_orders: f.customerOrders,
  admin_orders: f.adminOrders,
  renewal_orders: f.renewalOrders,
  currency: f.currency,
});

const CSV_COLUMNS = ['day', 'orders', 'successful', 'failed', 'cancelled', 'refunded', 'revenue', 'average_order_value', 'customer_orders', 'admin_orders', 'renewal_orders', 'currency'];

/** The days as a CSV download, one row a day, the columns of the JSON. */
export function sendDailyFiguresCsv(res: Response, storeId: string, period: { from: string; to: string }, days: readonly DailyFigures[]): void {
  res.type('text/csv').attachment(`woom-daily-${storeId}-${period.from}-${period.to}.csv`);
  const csv = stringify({ header: true, columns: CSV_COLUMNS });
  csv.pipe(res);
  for (const f of days) csv.write(Object.values(dailyFiguresJson(f)).map((v) => v ?? ''));
  csv.end();
}

/** Mounted at /v1/stores/:id behind the signature: the store's daily figures as JSON and CSV. */
export function figuresRoutes(deps: FiguresRouteDeps): Router {
  const router = Router({ mergeParams: true });

  router.get('/daily-figures', async (req, res) => {
    const settings = (await deps.settings.get(req.store!.id))!;
    const period = parseDays(req.query, settings.timezone);
    if (!period.ok) return sendInvalid(res, period.errors);
    const days = await deps.dailyFigures.list(req.store!.id, period.from, period.to);
    res.json({ timezone: settings.timezone, from: period.from, to: period.to, days: days.map(dailyFiguresJson) });
  });

  router.get('/daily-figures.csv', async (req, res) => {
    const settings = (await deps.settings.get(req.store!.id))!;
    const period = parseDays(req.query, settings.timezone);
    if (!period.ok) return sendInvalid(res, period.errors);
    sendDailyFiguresCsv(res, req.store!.id, period, await deps.dailyFigures.list(req.store!.id, period.from, period.to));
  });

  return router;
}
