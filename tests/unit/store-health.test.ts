import { describe, expect, it } from 'vitest';
import {
  FATAL_HISTORY_MS,
  healthProblems,
  judgeFatalErrors,
  type HealthSnapshot,
  type HeartbeatFatals,
} from '../../sidecar/src/domain/store-health';

const T0 = new Date('2026-11-24T00:00:00Z').getTime();
const MIN = 60_000;
const HOUR = 60 * MIN;

const published = { set: true, published: true, url: 'https://shop.example/checkout/' };
const healthy: HealthSnapshot = {
  gateways_enabled: ['bacs', 'stripe'],
  gateways_available: ['bacs', 'stripe'],
  pages: { checkout: published, cart: { ...published, url: 'https://shop.example/cart/' } },
  fatal_errors: 0,
};

describe('healthProblems', () => {
  it('finds nothing wrong with a store that can take payments', () => {
    expect(healthProblems(healthy)).toEqual([]);
  });

  it('says the checkout page is not set, or not published', () => {
    expect(healthProblems({ ...healthy, pages: { checkout: { set: false, published: false } } })).toEqual([
      { key: 'checkout_page_unset', message: 'The checkout page is not set (WooCommerce → Settings → Advanced → Page setup)' },
    ]);
    expect(healthProblems({ ...healthy, pages: { checkout: { set: true, published: false } } })).toEqual([
      { key: 'checkout_page_unpublished', message: 'The checkout page is not published: customers cannot reach it' },
    ]);
  });

  it('tells "no payment method enabled" from "enabled but none offered"', () => {
    expect(healthProblems({ ...healthy, gateways_enabled: [], gateways_available: [] })).toEqual([
      { key: 'no_payment_method', message: 'No payment method is enabled: customers cannot pay (WooCommerce → Settings → Payments)' },
    ]);
    expect(healthProblems({ ...healthy, gateways_available: [] })).toEqual([
      { key: 'no_payment_method', message: 'No payment method is available at checkout: customers cannot pay (enabled but not offered: bacs, stripe)' },
    ]);
  });

  it('raises nothing for what an older bridge did not report, nor for one snapshot\'s fatal errors', () => {
    expect(healthProblems({})).toEqual([]);
    expect(healthProblems({ ...healthy, fatal_errors: 3 })).toEqual([]);
  });

  it('names every problem at once', () => {
    const broken = { ...healthy, gateways_enabled: [], gateways_available: [], pages: { checkout: { set: true, published: false } } };
    expect(healthProblems(broken).map((p) => p.key)).toEqual(['no_payment_method', 'checkout_page_unpublished']);
  });
});

/** Heartbeats every 5 minutes from `fromMin` to `toMin` (minutes after T0), with fatal errors where `fatal` says. */
function beats(fromMin: number, toMin: number, fatal: (minute: number) => number = () => 0): HeartbeatFatals[] {
  const out: HeartbeatFatals[] = [];
  for (let m = fromMin; m <= toMin; m += 5) out.push({ at: new Date(T0 + m * MIN), fatalErrors: fatal(m) });
  return out;
}
const at = (minute: number) => new Date(T0 + minute * MIN);
/** The history the monitor would load at `minute`: two days back. */
const loaded = (history: HeartbeatFatals[], minute: number) => history.filter((b) => b.at.getTime() >= T0 + minute * MIN - FATAL_HISTORY_MS && b.at.getTime() <= T0 + minute * MIN);

/**
 * Replays a history heartbeat by heartbeat the way the monitor does (the alert names fatal errors from
 * the heartbeat that opened it until one that clears it), and returns when it opened and cleared.
 */
function replay(history: HeartbeatFatals[], fromMin: number, toMin: number): Array<{ opened: number; cleared: number | null }> {
  const episodes: Array<{ opened: number; cleared: number | null }> = [];
  let named = false;
  for (let m = fromMin; m <= toMin; m += 5) {
    const present: boolean = judgeFatalErrors(loaded(history, m), at(m), named).present;
    if (present && !named) episodes.push({ opened: m, cleared: null });
    if (!present && named) episodes.at(-1)!.cleared = m;
    named = present;
  }
  return episodes;
}

describe('judgeFatalErrors', () => {
  const day = 24 * 60;

  it('alerts on fatal errors where the 24 hours before had none, naming how many', () => {
    const history = beats(0, day + 60, (m) => (m === day + 60 ? 1 : 0));
    const judged = judgeFatalErrors(history, at(day + 60), false);
    expect(judged.present).toBe(true);
    expect(judged.problem).toEqual({ key: 'fatal_errors', message: '1 PHP fatal error logged in the last hour (WooCommerce → Status → Logs, source fatal-errors)' });
  });

  it('alerts on the first fatal errors of a store WOOM has just met', () => {
    expect(judgeFatalErrors(beats(0, 10, (m) => (m === 10 ? 2 : 0)), at(10), false).present).toBe(true);
  });

  it('keeps the alert while they go on and for an hour after the last, then clears on a clean heartbeat', () => {
    const history = beats(0, day, (m) => (m === 600 || m === 620 ? 1 : 0));
    expect(replay(history, 0, day)).toEqual([{ opened: 600, cleared: 680 }]);
    // Open, 55 minutes after the last fatal error: not an hour yet.
    const numbers = judgeFatalErrors(loaded(history, 675), at(675), true);
    expect(numbers).toMatchObject({ present: true, lastHour: 1, lastDay: 2 });
    expect(numbers.problem?.message).toBe('1 PHP fatal error logged in the last hour, 2 in the last 24 hours (WooCommerce → Status → Logs, source fatal-errors)');
  });

  it('does not clear without heartbeats: silence is not an hour without fatal errors', () => {
    const history = beats(0, 600, (m) => (m === 600 ? 1 : 0));
    expect(judgeFatalErrors(history, at(600 + 180), true).present).toBe(true);
  });

  it('does not flap on a store that logs a fatal error an hour: one alert, open all day', () => {
    const hourly = beats(0, 3 * day, (m) => (m >= day && m % 60 === 0 ? 1 : 0));
    expect(replay(hourly, 0, 3 * day)).toEqual([{ opened: day, cleared: null }]);
  });

  it('tells a store that logs fatal errors every two hours once, and not again while they keep coming', () => {
    const everyTwoHours = beats(0, 3 * day, (m) => (m >= day && m % 120 === 0 ? 1 : 0));
    expect(replay(everyTwoHours, 0, 3 * day)).toEqual([{ opened: day, cleared: day + 60 }]);
  });

  it('alerts again after a clean day', () => {
    const twice = beats(0, 4 * day, (m) => (m === day || m === 2 * day + 120 ? 1 : 0));
    expect(replay(twice, 0, 4 * day)).toEqual([
      { opened: day, cleared: day + 60 },
      { opened: 2 * day + 120, cleared: 2 * day + 180 },
    ]);
    // Within the day after the first they are not news.
    const soon = beats(0, 3 * day, (m) => (m === day || m === day + 600 ? 1 : 0));
    expect(replay(soon, 0, 3 * day)).toEqual([{ opened: day, cleared: day + 60 }]);
  });

  it('never opens on a run of fatal errors that began more than a day ago without being news', () => {
    // Fatal errors since before the window the monitor reads, the alert not open (monitoring was off).
    const chronic = beats(0, 3 * day, () => 1);
    expect(judgeFatalErrors(loaded(chronic, 3 * day), at(3 * day), false).present).toBe(false);
    // Named since it began, it stays.
    expect(judgeFatalErrors(loaded(chronic, 3 * day), at(3 * day), true).present).toBe(true);
  });

  it('reads heartbeats in any order', () => {
    const history = beats(0, day + 60, (m) => (m === day + 60 ? 1 : 0)).reverse();
    expect(judgeFatalErrors(history, at(day + 60), false).present).toBe(true);
  });
});
