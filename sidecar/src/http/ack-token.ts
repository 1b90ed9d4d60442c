import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The acknowledge link in alert e-mails: `${PUBLIC_URL}/acknowledge/<payload>.<mac>`, where payload is
 * base64url JSON {s: store id, a: alert id, r: recipient, e: expiry in unix seconds} and mac is
 * base64url HMAC-SHA256 over the payload, keyed by a key derived from the store's secret (rotating the
 * secret voids every link). Whoever holds the link may acknowledge that one alert until it expires.
 */
export interface AckClaims {
  storeId: string;
  alertId: number;
  recipient: string;
  expiresAt: Date;
}

export const ACK_LINK_LIFETIME_MS = 7 * 86_400_000;

const keyFor = (storeSecret: string): Buffer => createHmac('sha256', storeSecret).update('woom acknowledge link v1').digest();
const macOf = (payload: string, storeSecret: string): Buffer => createHmac('sha256', keyFor(storeSecret)).update(payload).digest();

export function createAckToken(claims: AckClaims, storeSecret: string): string {
  const payload = Buffer.from(
    JSON.stringify({ s: claims.storeId, a: claims.alertId, r: claims.recipient, e: Math.floor(claims.expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  return `${payload}.${macOf(payload, storeSecret).toString('base64url')}`;
}

/** What a token claims, unverified: enough to find the store whose secret verifies it. */
export function readAckToken(token: string): AckClaims | null {
  const [payload, mac, extra] = token.split('.');
  if (!payload || !mac || extra !== undefined || !/^[A-Za-z0-9_-]{1,2000}$/.test(payload)) return null;
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof c.s !== 'string' || !Number.isSafeInteger(c.a) || typeof c.r !== 'string' || !Number.isSafeInteger(c.e)) return null;
    return { storeId: c.s, alertId: Number(c.a), recipient: c.r, expiresAt: new Date(Number(c.e) * 1000) };
  } catch {
    return null;
  }
}

/** Signature first (constant time), then expiry: an expired link is only reported as such if genuine. */
export function verifyAckToken(token: string, storeSecret: string, now: Date): 'valid' | 'forged' | 'expired' {
  const claims = readAckToken(token);
  const [payload = '', mac = ''] = token.split('.');
  const given = Buffer.from(mac, 'base64url');
  const expected = macOf(payload, storeSecret);
  if (!claims || given.length !== expected.length || !timingSafeEqual(given, expected)) return 'forged';
  return now < claims.expiresAt ? 'valid' : 'expired';
}

export const ackUrl = (publicUrl: string, token: string): string => `${publicUrl.replace(/\/+$/, '')}/acknowledge/${token}`;
