import pino, { type Logger } from 'pino';

/** One JSON line per event on stdout; the one logger every module gets from the container. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'woom-sidecar' }, timestamp: pino.stdTimeFunctions.isoTime });
}
