import pino from 'pino';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { evaluateRules, ruleSchema, type Rule, type RuleOrder } from '../../sidecar/src/domain/rules';
import { DailyFiguresService } from '../../sidecar/src/services/daily-figures-service';
import { DailyFiguresRepository } from '../../sidecar/src/store/daily-figures';
import { SettingsRepository } from '../../sidecar/src/store/settings';
import { StoreRepository } from '../../sidecar/src/store/stores';
import { createTestDatabase } from '../helpers/database';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Ten rules, every metric, windows from 15 minutes to 7 days, over a busy store's last week (2,000 orders a day). */
function benchRuleEvaluation(): void {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const orders: RuleOrder[] = [];
  const perDay = 2000;
  for (let i = 7 * perDay; i > 0; i--) {
    const r = (i * 2654435761) % 100;
    orders.push({
      createdAt: new Date(now - (i * 86_400_000) / perDay),
      status: r < 85 ? 'processing' : r < 92 ? 'failed' : r < 96 ? 'cancelled' : 'refunded',
      total: 10 + (i % 90),
      paymentMethod: r % 2 ? 'stripe' : 'paypal',
    });
  }
  const base = { operator: '<', threshold: 1 };
  const rules: Rule[] = [
    { name: 'a', metric: 'successful_orders', window_minutes: 15 },
    { name: 'b', metric: 'orders', window_minutes: 60 },
    { name: 'c', metric: 'revenue', window_minutes: 60, active_from: '10:00', active_to: '20:00' },
    { name: 'd', metric: 'average_order_value', window_minutes: 240 },
    { name: 'e', metric: 'failed_orders', window_minutes: 30, operator: '>' },
    { name: 'f', metric: 'failure_share', window_minutes: 60, operator: '>', threshold: 50 },
    { name: 'g', metric: 'refunds', window_minutes: 1440, operator: '>' },
    { name: 'h', metric: 'cancelled_orders', window_minutes: 1440, operator: '>' },
    { name: 'i', metric: 'payment_method_orders', payment_method: 'paypal', window_minutes: 120 },
    { name: 'j', metric: 'successful_orders', window_minutes: 10_080 },
  ].map((r) => ruleSchema.parse({ ...base, ...r }));
  const settings = defaultSettings('Europe/Berlin');
  const ctx = { timeZone: settings.timezone, statuses: settings, monitoringSince: new Date(0), currency: 'EUR' };
  const times: number[] = [];
  for (let k = 0; k < 300; k++) {
    const at = new Date(now - (k % 60) * 60_000);
    const start = process.hrtime.bigint();
    evaluateRules(rules, orders, { ...ctx, now: at });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(`rules: 10 rules over ${orders.length.toLocaleString('en')} orders (7 days at ${perDay}/day): median ${median(times).toFixed(3)} ms, p95 ${[...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)]!.toFixed(3)} ms per evaluation (aim < 2 ms)`);
}

/** The daily roll-up of 1,000 stores, 40 orders each yesterday, on real MariaDB. */
async function benchDailyRollUp(): Promise<void> {
  const database = await createTestDatabase();
  try {
    const stores = new StoreRepository(database.db);
    const now = new Date('2026-11-24T08:00:00Z');
    const zones = ['Europe/Berlin', 'America/Sao_Paulo', 'Pacific/Auckland', 'UTC'];
    const rows: Record<string, unknown>[] = [];
    for (let s = 0; s < 1000; s++) {
      const store = await stores.create({ name: `Store ${s}`, url: `https://s${s}.example`, settings: defaultSettings(zones[s % zones.length]!) });
      for (let o = 0; o < 40; o++) {
        const at = new Date(now.getTime() - 30 * 3_600_000 + o * 30 * 60_000);
        rows.push({ store_id: store.id, order_id: o + 1, status: o % 10 === 0 ? 'failed' : 'completed', total: 25, currency: 'EUR', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at });
      }
    }
    for (let i = 0; i < rows.length; i += 2000) await database.db('orders').insert(rows.slice(i, i + 2000));
    const service = new DailyFiguresService({ figures: new DailyFiguresRepository(database.db), stores, settings: new SettingsRepository(database.db), log: pino({ level: 'silent' }) });
    let start = process.hrtime.bigint();
    const first = await service.rollUpAll(now);
    const firstMs = Number(process.hrtime.bigint() - start) / 1e6;
    start = process.hrtime.bigint();
    await service.rollUpAll(new Date(now.getTime() + 5 * 60_000));
    const idleMs = Number(process.hrtime.bigint() - start) / 1e6;
    const days = first.reduce((n, o) => n + o.days.length, 0);
    console.log(`daily roll-up: 1,000 stores (${rows.length.toLocaleString('en')} orders, ${days} store-days written): ${(firstMs / 1000).toFixed(2)} s; the next run with nothing due: ${(idleMs / 1000).toFixed(2)} s`);
  } finally {
    await database.drop();
  }
}

export async function benchRules(): Promise<void> {
  benchRuleEvaluation();
  await benchDailyRollUp();
}
