import type { storeFacts } from './content';

type StoreFacts = ReturnType<typeof storeFacts>;

/**
 * One successful order as the sales feed tells it: the order number, amount, currency and payment method,
 * nothing about the customer (no name, e-mail or address ever reaches the orders table, and none is put
 * here: a Slack channel is read by more people than the shop's admins).
 */
export interface SaleLine {
  order_number: number;
  amount: number | null;
  currency: string | null;
  payment_method: string | null;
  /** The title the checkout shows ("Credit card (Stripe)"), when the bridge reported it; else the id. */
  payment_method_title: string | null;
}

/** What the sales feed posts: one order, or one message a minute for all the orders above the rate. */
export type SalesContent =
  | {
      kind: 'sale';
      store: StoreFacts;
      /** Always empty: the sales feed goes to its channel only, never to the alert e-mail addresses. */
      recipients: string[];
      /** The one channel this post is for (each channel has its own rate and its own record of posts). */
      channelId: number;
      headline: string;
      sale: SaleLine;
    }
  | {
      kind: 'sales';
      store: StoreFacts;
      recipients: string[];
      channelId: number;
      headline: string;
      count: number;
      totals: Array<{ currency: string | null; amount: number }>;
      /** The first orders (up to 100; `count` has them all). */
      orders: SaleLine[];
      /** Each order in words, for the text: "#1042: 49.90 EUR, Credit card (Stripe)". */
      lines: string[];
    };

export const isSalesContent = (content: { kind: string }): content is SalesContent => content.kind === 'sale' || content.kind === 'sales';

/** Orders listed in a batched message's text, and kept in its JSON (the notification row stays small). */
const LINES_SHOWN = 20;
const ORDERS_KEPT = 100;

const money = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const amountOf = (amount: number | null, currency: string | null) => (amount === null ? 'no total' : `${money.format(amount)}${currency ? ` ${currency}` : ''}`);

/** "Order #1042: 49.90 EUR, paid with Credit card (Stripe)". */
export function saleContent(store: StoreFacts, channelId: number, sale: SaleLine): SalesContent {
  const method = sale.payment_method_title ?? sale.payment_method;
  const headline = `Order #${sale.order_number}: ${amountOf(sale.amount, sale.currency)}${method ? `, paid with ${method}` : ''}`;
  return { kind: 'sale', store, recipients: [], channelId, headline, sale };
}

/** "12 orders in the last minute, 1,240.00 EUR": one sum per currency, for a store selling in several. */
export function salesBatchContent(store: StoreFacts, channelId: number, orders: readonly SaleLine[]): SalesContent {
  const sums = new Map<string | null, number>();
  for (const o of orders) if (o.amount !== null) sums.set(o.currency, (sums.get(o.currency) ?? 0) + o.amount);
  const totals = [...sums].map(([currency, amount]) => ({ currency, amount: Math.round(amount * 100) / 100 }));
  const sum = totals.length > 0 ? totals.map((t) => amountOf(t.amount, t.currency)).join(' and ') : 'no totals';
  const headline = `${orders.length} ${orders.length === 1 ? 'order' : 'orders'} in the last minute, ${sum}`;
  // A flash sale's minute can hold thousands of orders: the message names the first ones and counts the rest.
  const lines = orders.slice(0, LINES_SHOWN).map((o) => {
    const method = o.payment_method_title ?? o.payment_method;
    return `#${o.order_number}: ${amountOf(o.amount, o.currency)}${method ? `, ${method}` : ''}`;
  });
  if (orders.length > LINES_SHOWN) lines.push(`and ${orders.length - LINES_SHOWN} more`);
  return { kind: 'sales', store, recipients: [], channelId, headline, count: orders.length, totals, orders: orders.slice(0, ORDERS_KEPT), lines };
}
