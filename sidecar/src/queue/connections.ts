import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * BullMQ's two connection profiles: workers block on Redis and must retry forever
 * (maxRetriesPerRequest: null); producers fail fast so an HTTP request never hangs on a dead Redis.
 */
export function createRedis(url: string, profile: 'worker' | 'producer', log: Logger): Redis {
  const options: RedisOptions =
    profile === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  const redis = new Redis(url, { ...options, lazyConnect: false, retryStrategy: (times) => Math.min(times * 200, 5_000) });
  // Without a listener an unreachable Redis would crash the process with an unhandled 'error' event.
  redis.on('error', (error) => log.warn({ err: error.message, profile }, 'redis connection error'));
  return redis;
}
