/**
 * The digest job on 1,000 stores (real MariaDB and Redis): the look at which every store's digest is due
 * (yesterday rolled up by the roll-up job before, as in production; eight weeks of days read, claimed with
 * its notification, queued),
 * and the looks after it, once a minute, when every digest of the day is out.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../sidecar/src/config';
import { Container } from '../../sidecar/src/container';
import { shiftDay } from '../../sidecar/src/domain/daily-figures';
import { defaultSettings } from '../../sidecar/src/domain/settings';
import { createLogger } from '../../sidecar/src/logger';
import { createTestDatabase } from '../helpers/database';
import { REDIS_URL, wipeQueuePrefix } from '../helpers/redis';

const STORES = 1000;

export async function benchDigest(): Promise<void> {
  const database = await createTestDatabase();
  const prefix = `woombench${randomBytes(4).toString('hex')}`;
  const container = new Container(loadConfig({ DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' }), { log: createLogger('silent') });
  try {
    // 20:00 UTC on Tuesday 24 November: past 08:00 in each of these zones, and still the 24th there.
    const now = new Date('2026-11-24T20:00:00Z');
    const yesterday = '2026-11-23';
    const zones = ['Europe/Berlin', 'America/Sao_Paulo', 'UTC', 'America/New_York'];
    const orders: Record<string, unknown>[] = [];
    const figures: Record<string, unknown>[] = [];
    for (let s = 0; s < STORES; s++) {
      const settings = { ...defaultSettings(zones[s % zones.length]!), alert_emails: [`owner@s${s}.example`] };
      const store = await container.stores.create({ name: `Store ${s}`, url: `https://s${s}.example`, settings });
      await database.db('stores').where({ id: store.id }).update({ created_at: new Date('2026-09-01T00:00:00Z') });
      for (let d = 56; d >= 1; d--) {
        const n = 30 + ((s + d) % 20);
        figures.push({ store_id: store.id, day: shiftDay(yesterday, -d), orders: n, successful: n - 2, failed: 2, cancelled: 0, refunded: 0, revenue: (n - 2) * 30, average_order_value: 30, customer_orders: n, admin_orders: 0, renewal_orders: 0, currency: 'EUR', computed_at: now });
      }
      for (let o = 0; o < 40; o++) {
        const at = new Date(Date.parse(`${yesterday}T10:00:00Z`) + o * 15 * 60_000);
        orders.push({ store_id: store.id, order_id: o + 1, status: o % 10 === 0 ? 'failed' : 'completed', total: 25, currency: 'EUR', created_via: 'checkout', created_at: at, status_changed_at: at, updated_at: at });
      }
    }
    for (let i = 0; i < orders.length; i += 2000) await database.db('orders').insert(orders.slice(i, i + 2000));
    for (let i = 0; i < figures.length; i += 2000) await database.db('daily_figures').insert(figures.slice(i, i + 2000));

    // As in production: the roll-up job ran soon after each store's midnight, hours before the digest hour.
    let start = process.hrtime.bigint();
    await container.dailyFiguresService.rollUpAll(now);
    const rollUpMs = Number(process.hrtime.bigint() - start) / 1e6;
    start = process.hrtime.bigint();
    const sent = await container.digests.runDue(now);
    const firstMs = Number(process.hrtime.bigint() - start) / 1e6;
    const idle: number[] = [];
    for (let k = 1; k <= 5; k++) {
      start = process.hrtime.bigint();
      await container.digests.runDue(new Date(now.getTime() + k * 60_000));
      idle.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    idle.sort((a, b) => a - b);
    console.log(
      `digest job: ${STORES.toLocaleString('en')} stores, ${sent.length} digests decided and queued in ${(firstMs / 1000).toFixed(2)} s (${(firstMs / STORES).toFixed(1)} ms a store; yesterday rolled up before, in ${(rollUpMs / 1000).toFixed(2)} s); a look with every digest out: median ${idle[2]!.toFixed(0)} ms`,
    );
  } finally {
    await container.close();
    await wipeQueuePrefix(prefix);
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchDigest().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
