import { rulesSchema, longestRuleWindow, ruleFirings, type Rule, type RuleFirings } from '../domain/rules';
import { toFieldErrors, type FieldError, type Settings } from '../domain/settings';
import type { StoreRecord } from '../store/stores';
import type { OrderRepository } from '../store/orders';
import type { RuleOrderQueries } from '../store/rule-orders';

/** The settings page's look back: four whole weeks, so every weekday counts the same. */
export const PREVIEW_DAYS = 28;
/** Judged every quarter hour in the preview: the live check judges every minute, the count barely differs. */
const PREVIEW_STEP_MINUTES = 15;

/** How often rules would have fired over the store's last 28 days, before they are saved. */
export class RulePreview {
  constructor(
    private readonly queries: RuleOrderQueries,
    private readonly orders: OrderRepository,
  ) {}

  /** Rules as posted (unknown shape): validated with each bad field named as `rules[2].threshold`. */
  async preview(store: StoreRecord, settings: Settings, posted: unknown, now = new Date()): Promise<{ ok: true; rules: Rule[]; firings: RuleFirings[] } | { ok: false; errors: FieldError[] }> {
    const parsed = rulesSchema.safeParse(posted);
    if (!parsed.success) return { ok: false, errors: toFieldErrors(parsed.error).map((e) => ({ ...e, field: e.field === '(body)' ? 'rules' : `rules${e.field.startsWith('[') ? '' : '.'}${e.field}` })) };
    return { ok: true, rules: parsed.data, firings: await this.firings(store, settings, parsed.data, now) };
  }

  async firings(store: StoreRecord, settings: Settings, rules: readonly Rule[], now = new Date()): Promise<RuleFirings[]> {
    if (!rules.some((r) => r.enabled)) return [];
    const from = new Date(now.getTime() - PREVIEW_DAYS * 86_400_000);
    const orders = await this.queries.customerOrders(store.id, new Date(from.getTime() - longestRuleWindow(rules) * 60_000), now);
    const currency = (await this.orders.latest(store.id))?.currency ?? null;
    return ruleFirings(rules, orders, {
      from,
      to: now,
      stepMinutes: PREVIEW_STEP_MINUTES,
      timeZone: settings.timezone,
      statuses: settings,
      monitoringSince: store.firstContactAt,
      currency,
    });
  }
}
