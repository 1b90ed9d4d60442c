import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths';
import { PROBE_TIMEOUT_MS, type ProbeObservation, type ProbeTarget } from '../domain/probe';

const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Names WOOM, so a store admin reading their access log knows who calls. */
export const PROBE_USER_AGENT = `WOOM-Probe/${VERSION} (+WooCommerce Order Monitor)`;

const MAX_REDIRECTS = 5;
/** Enough for any page's markers; a store's 3 MB page is not read to the end. */
const BODY_CAP_BYTES = 1024 * 1024;

/**
 * One GET, as a visitor with no cookies: redirects followed (at most 5, each a GET), the time to the first
 * byte of the last answer measured, the body read up to 1 MiB, the whole within the time limit. Never
 * throws: a failure is part of what it observed. A redirect to `stopAt` (a URL the run requested
 * already) is not followed: the observation is the redirect itself, with `notFollowed` set.
 */
export async function observe(target: ProbeTarget, url: string, timeoutMs = PROBE_TIMEOUT_MS, stopAt?: string): Promise<ProbeObservation> {
  const signal = AbortSignal.timeout(timeoutMs);
  let current = url;
  let redirected = false;
  try {
    for (let hop = 0; ; hop++) {
      const started = performance.now();
      const res = await fetch(current, {
        method: 'GET',
        redirect: 'manual',
        signal,
        headers: { 'User-Agent': PROBE_USER_AGENT, Accept: target === 'store_api' ? 'application/json' : 'text/html,*/*;q=0.8' },
      });
      const ttfbMs = Math.round(performance.now() - started);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        await res.body?.cancel();
        const next = new URL(location, current).toString();
        redirected = true;
        if (stopAt !== undefined && sameUrl(next, stopAt)) {
          return { target, url, status: res.status, error: null, ttfbMs, body: '', finalUrl: next, redirected, notFollowed: next };
        }
        current = next;
        continue;
      }
      const body = await readCapped(res);
      return { target, url, status: res.status, error: null, ttfbMs, body, finalUrl: current, redirected };
    }
  } catch (error) {
    const timedOut = signal.aborted;
    return { target, url, status: null, error: timedOut ? 'timeout' : 'unreachable', errorMessage: timedOut ? null : reason(error), ttfbMs: null, body: '', finalUrl: current, redirected };
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).toString() === new URL(b).toString();
  } catch {
    return false;
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < BODY_CAP_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).toString('utf8');
}

/** "connection refused", "name not found", ... from undici's error and its cause. */
function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    CERT_HAS_EXPIRED: 'TLS certificate expired',
    UND_ERR_SOCKET: 'connection closed',
  };
  if (code && words[code]) return `${words[code]}, ${code}`;
  return (cause?.message ?? (error as Error).message ?? String(error)).slice(0, 200);
}
