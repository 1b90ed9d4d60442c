import { describe, expect, it } from 'vitest';
import { salesFeedStep } from '../../sidecar/src/domain/sales-feed';
import { salesBatchContent, saleContent } from '../../sidecar/src/notify/sales-content';

const now = new Date('2026-12-03T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const step = (o: Partial<Parameters<typeof salesFeedStep>[0]>) =>
  salesFeedStep({ pending: 1, postedLastMinute: 0, oldestPostAt: null, lastBatchAt: null, batchAbove: 10, now, ...o });

describe('sales feed step', () => {
  it('posts each order while the minute holds at most the rate, and nothing when nothing is new', () => {
    expect(step({ pending: 0 })).toEqual({ action: 'none' });
    expect(step({ pending: 10 })).toEqual({ action: 'each' });
    expect(step({ pending: 3, postedLastMinute: 7, oldestPostAt: ago(30) })).toEqual({ action: 'each' });
  });

  it('sends a burst above the rate at once as one message', () => {
    expect(step({ pending: 11 })).toEqual({ action: 'batch' });
  });

  it('holds a trickle just over the rate until the oldest post of the minute has left it', () => {
    expect(step({ pending: 1, postedLastMinute: 10, oldestPostAt: ago(45) })).toEqual({ action: 'wait', until: ago(-15) });
  });

  it('keeps a rush to one message a minute, and leaves it once a minute passed without a batch', () => {
    expect(step({ pending: 1, lastBatchAt: ago(20), postedLastMinute: 12, oldestPostAt: ago(20) })).toEqual({ action: 'wait', until: ago(-40) });
    expect(step({ pending: 1, lastBatchAt: ago(60) })).toEqual({ action: 'batch' });
    expect(step({ pending: 1, lastBatchAt: ago(119) })).toEqual({ action: 'batch' });
    expect(step({ pending: 1, lastBatchAt: ago(120) })).toEqual({ action: 'each' });
  });
});

describe('sales feed content', () => {
  const store = { id: 's1', name: 'Shop', url: 'https://shop.example', timezone: 'UTC' };
  it('says one order with its number, amount and the payment method title, or its id without one', () => {
    expect(saleContent(store, 1, { order_number: 7, amount: 1234.5, currency: 'EUR', payment_method: 'stripe', payment_method_title: 'Card' }).headline).toBe('Order #7: 1,234.50 EUR, paid with Card');
    expect(saleContent(store, 1, { order_number: 8, amount: 5, currency: 'EUR', payment_method: 'cod', payment_method_title: null }).headline).toBe('Order #8: 5.00 EUR, paid with cod');
  });

  it('sums a batch per currency and names the first 20 orders', () => {
    const orders = Array.from({ length: 25 }, (_, i) => ({ order_number: i + 1, amount: 10, currency: i < 24 ? 'EUR' : 'USD', payment_method: null, payment_method_title: null }));
    const content = salesBatchContent(store, 1, orders);
    expect(content.headline).toBe('25 orders in the last minute, 240.00 EUR and 10.00 USD');
    if (content.kind !== 'sales') throw new Error('a batch');
    expect(content.lines).toHaveLength(21);
    expect(content.lines.at(-1)).toBe('and 5 more');
  });
});
