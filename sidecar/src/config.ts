import { z } from 'zod';
import { isKnownTimeZone } from './domain/time';

const urlWithProtocol = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const DEFAULT_PUBLIC_URL = 'http://localhost:8080';

const configSchema = z.object({
  DATABASE_URL: urlWithProtocol(['mysql:', 'mariadb:']).default('mysql://root@127.0.0.1:3306/woom'),
  REDIS_URL: urlWithProtocol(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  SMTP_URL: urlWithProtocol(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('WOOM Order Monitor <woom@localhost>'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PUBLIC_URL: urlWithProtocol(['http:', 'https:']).default(DEFAULT_PUBLIC_URL),
  /** Local by default, like the default PUBLIC_URL: listening on other addresses is a deliberate choice. */
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Namespaces every BullMQ key, so several sidecars (or test runs) can share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('woom'),
  /** First retry delay of an e-mail that could not be sent; doubles each attempt. */
  NOTIFY_BACKOFF_MS: z.coerce.number().int().min(10).default(30_000),
  /** The back-off stops doubling here, so a mail server back after an hour is tried again within minutes. */
  NOTIFY_BACKOFF_MAX_MS: z.coerce.number().int().min(10).default(600_000),
  NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(60),
  /** How long one request to a store's WooCommerce REST API may take. */
  REST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** How long a Slack or webhook receiver may take to answer one delivery. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** When set, GET /metrics asks for it as a bearer token. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Hosts Slack and webhook channels may reach although they are not public addresses (development,
   * docker-compose): names or IPs, comma separated. Everything else must resolve to a public address.
   */
  OUTBOUND_ALLOW: z.string().default(''),
  /** 0 drops the per-store label from the metrics (a fleet of thousands of stores would swamp Prometheus). */
  METRICS_STORE_LABELS: z.enum(['0', '1', 'true', 'false']).default('1').transform((v) => v === '1' || v === 'true'),
  /** Days kept of each kind of record before the retention job deletes it (docs/scaling.md, "Retention"). */
  RETENTION_EVENTS_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  RETENTION_HEARTBEATS_DAYS: z.coerce.number().int().min(3).max(3650).default(14),
  RETENTION_CHECK_RUNS_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  RETENTION_NOTIFICATIONS_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  RETENTION_PROBES_DAYS: z.coerce.number().int().min(31).max(3650).default(35),
  /** Orders and their hourly roll-ups: at least the baseline's eight weeks and a day. */
  RETENTION_ORDERS_DAYS: z.coerce.number().int().min(57).max(36500).default(400),
  /**
   * Seals WooCommerce consumer secrets and webhook signing keys in MariaDB (AES-256-GCM): base64 of 32
   * random bytes (openssl rand -base64 32). Unset, they are stored in plain text (development).
   */
  WOOM_SECRET_KEY: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 random bytes in base64 (openssl rand -base64 32)').optional(),
  /** Keys being rotated out, comma separated: they still open secrets until `woom secrets rotate-key` ran. */
  WOOM_SECRET_KEY_PREVIOUS: z
    .string()
    .refine((v) => v.split(/[\s,]+/).filter(Boolean).every((k) => Buffer.from(k, 'base64').length === 32), 'must be keys of 32 bytes in base64, comma separated')
    .optional(),
  /** When the all-stores digest goes to the operators who asked for it (docs/digest.md): HH:MM in this zone. */
  ALL_STORES_DIGEST_AT: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, e.g. 08:00').default('08:00'),
  ALL_STORES_DIGEST_TIMEZONE: z.string().refine(isKnownTimeZone, 'must be a known IANA time zone, e.g. Europe/Berlin').default('UTC'),
  /** Lets a browser open the pages without a signature; only for development. */
  WOOM_DEV_PAGES: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Reads the environment once; an error names every bad variable and what it expects. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The acknowledge links in e-mails start with PUBLIC_URL. Left at its default while the sidecar listens
 * elsewhere, every link is dead (issue 13 item 8), so the sidecar refuses to start rather than send them.
 */
export function assertPublicUrlReachable(config: Config, env: Record<string, string | undefined> = process.env): void {
  if (env.PUBLIC_URL !== undefined && env.PUBLIC_URL !== '') return;
  const defaultPort = Number(new URL(DEFAULT_PUBLIC_URL).port);
  const reasons: string[] = [];
  if (config.PORT !== defaultPort) reasons.push(`it listens on port ${config.PORT} (PORT), not ${defaultPort}`);
  if (!isLoopback(config.HOST)) reasons.push(`it listens on ${config.HOST} (HOST), not only on this machine`);
  if (reasons.length === 0) return;
  throw new ConfigError(
    `Invalid configuration:\n  PUBLIC_URL is not set, so the links in alert e-mails would point at ${DEFAULT_PUBLIC_URL}, but ${reasons.join(' and ')}.\n` +
      `  Set PUBLIC_URL to the address people's browsers reach the sidecar at, e.g. PUBLIC_URL=https://monitor.example.com`,
  );
}
