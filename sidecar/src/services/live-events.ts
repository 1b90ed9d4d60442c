import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AlertRepository } from '../store/alerts';

export type LiveEventType = 'alert.opened' | 'alert.changed' | 'alert.resolved' | 'orders' | 'store.changed';

export interface LiveEvent {
  /** The Redis stream id: ordered across every sidecar, the SSE id a reconnect resumes from. */
  id: string;
  type: LiveEventType;
  storeId: string;
}

/** Orders arriving in a burst are one event per store this often at most. */
export const ORDERS_DEBOUNCE_MS = 2_000;
const STREAM_LENGTH = 10_000;
/** Sets a store's fingerprint unless it is already that; answers whether it changed and the old one. */
const SWAP_FINGERPRINT = `local old = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if old == ARGV[2] then return {0, old} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, old}`;

/**
 * The console's live events. Each is appended to a Redis stream (its id is the SSE id, so a reconnect
 * resumes with Last-Event-ID) and announced on a pub/sub channel, so a console on any sidecar hears
 * what happened on any other. What changed is found by comparing the store's open alerts with what was
 * last announced (kept in Redis too, so two sidecars do not announce one change twice... or miss one).
 */
export class LiveEvents {
  private subscriber: Redis | null = null;
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly orderTimers = new Map<string, NodeJS.Timeout>();
  private readonly stream: string;
  private readonly channel: string;
  private readonly fingerprints: string;

  constructor(
    private readonly deps: { redis: Redis; redisUrl: string; prefix: string; alerts: AlertRepository; log: Logger; ordersDebounceMs?: number },
  ) {
    this.stream = `${deps.prefix}:live:stream`;
    this.channel = `${deps.prefix}:live`;
    this.fingerprints = `${deps.prefix}:live:alerts`;
  }

  /** Listens to every sidecar's events; the subscription starts with the first listener. */
  async subscribe(listener: (event: LiveEvent) => void): Promise<() => void> {
    if (!this.subscriber) {
      const subscriber = new Redis(this.deps.redisUrl, { maxRetriesPerRequest: null });
      subscriber.on('error', (error) => this.deps.log.warn({ err: error.message }, 'live events subscriber error'));
      subscriber.on('message', (_channel: string, message: string) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(message) as LiveEvent;
        } catch {
          return;
        }
        for (const l of this.listeners) l(event);
      });
      this.subscriber = subscriber;
      await subscriber.subscribe(this.channel);
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Events after `lastId` (a reconnect's Last-Event-ID), oldest first. */
  async since(lastId: string): Promise<LiveEvent[]> {
    if (!/^\d+-\d+$/.test(lastId)) return [];
    const entries = await this.deps.redis.xrange(this.stream, `(${lastId}`, '+', 'COUNT', 1000);
    return entries.map(([id, fields]) => ({ id, type: fields[1] as LiveEventType, storeId: fields[3] ?? '' }));
  }

  async publish(type: LiveEventType, storeId: string): Promise<void> {
    const id = (await this.deps.redis.xadd(this.stream, 'MAXLEN', '~', String(STREAM_LENGTH), '*', 'type', type, 'store', storeId)) ?? '';
    await this.deps.redis.publish(this.channel, JSON.stringify({ id, type, storeId } satisfies LiveEvent));
  }

  /** Orders arrived: one event per store per debounce period. */
  ordersArrived(storeId: string): void {
    if (this.orderTimers.has(storeId)) return;
    const timer = setTimeout(() => {
      this.orderTimers.delete(storeId);
      this.publish('orders', storeId).catch((error: Error) => this.deps.log.warn({ err: error.message }, 'could not publish a live event'));
    }, this.deps.ordersDebounceMs ?? ORDERS_DEBOUNCE_MS);
    timer.unref();
    this.orderTimers.set(storeId, timer);
  }

  /**
   * Something may have changed the store's alerts (a check, a probe, a check-in, a person): compares its
   * open alerts with the last announced ones and says what changed, or that the store changed.
   */
  storeChanged(storeId: string): void {
    // One announcement of a store at a time in this sidecar: two at once (a check and an API write) would
    // both see the old fingerprint and both say "alert.opened", or a stale one undo the newer.
    const previous = this.announcing.get(storeId) ?? Promise.resolve();
    const next = previous
      .then(() => this.announce(storeId))
      .catch((error: Error) => this.deps.log.warn({ storeId, err: error.message }, 'could not publish a live event'))
      .finally(() => {
        if (this.announcing.get(storeId) === next) this.announcing.delete(storeId);
      });
    this.announcing.set(storeId, next);
  }

  private readonly announcing = new Map<string, Promise<void>>();

  private async announce(storeId: string): Promise<void> {
    const open = await this.deps.alerts.openAlerts(storeId);
    const now = open.map((a) => `${a.id}:${a.severity}:${a.acknowledgedAt ? 1 : 0}:${a.escalatedAt ? 1 : 0}`).sort().join(',');
    // Compare-and-set in Redis, so of two sidecars announcing one change only one says what changed.
    const [changed, before] = (await this.deps.redis.eval(SWAP_FINGERPRINT, 1, this.fingerprints, storeId, now)) as [number, string];
    if (!changed) return this.publish('store.changed', storeId);
    const ids = (s: string) => new Set(s ? s.split(',').map((x) => x.split(':')[0]) : []);
    const [was, is] = [ids(before), ids(now)];
    const type: LiveEventType = [...is].some((id) => !was.has(id)) ? 'alert.opened' : [...was].some((id) => !is.has(id)) ? 'alert.resolved' : 'alert.changed';
    await this.publish(type, storeId);
  }

  async close(): Promise<void> {
    for (const timer of this.orderTimers.values()) clearTimeout(timer);
    this.listeners.clear();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
    this.subscriber = null;
  }
}
