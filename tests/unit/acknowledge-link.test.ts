import { describe, expect, it } from 'vitest';
import { ackUrl, createAckToken, readAckToken, verifyAckToken } from '../../sidecar/src/http/ack-token';

const secret = 'woomsk_test_secret';
const now = new Date('2026-11-24T10:00:00Z');
const claims = { storeId: 'st_1', alertId: 42, recipient: 'owner@shop.example', expiresAt: new Date('2026-12-01T10:00:00Z') };

describe('acknowledge links', () => {
  it('carry the alert, the recipient and the expiry, signed with a key derived from the store secret', () => {
    const token = createAckToken(claims, secret);
    expect(readAckToken(token)).toEqual(claims);
    expect(verifyAckToken(token, secret, now)).toBe('valid');
    expect(ackUrl('https://woom.example/', token)).toBe(`https://woom.example/acknowledge/${token}`);
    expect(token).not.toContain(secret);
  });

  it('refuse a changed payload, a changed signature, another store secret, and garbage', () => {
    const token = createAckToken(claims, secret);
    const [, mac] = token.split('.');
    const otherAlert = createAckToken({ ...claims, alertId: 43 }, 'someone else').split('.')[0];
    expect(verifyAckToken(`${otherAlert}.${mac}`, secret, now)).toBe('forged');
    expect(verifyAckToken(`${token.slice(0, -2)}AA`, secret, now)).toBe('forged');
    expect(verifyAckToken(token, 'woomsk_rotated', now)).toBe('forged');
    expect(verifyAckToken('nonsense', secret, now)).toBe('forged');
    expect(readAckToken('a.b.c')).toBeNull();
  });

  it('expire, and say so only for a genuine link', () => {
    const token = createAckToken(claims, secret);
    expect(verifyAckToken(token, secret, new Date('2026-12-01T10:00:00Z'))).toBe('expired');
    expect(verifyAckToken(token, 'other', new Date('2026-12-02T10:00:00Z'))).toBe('forged');
  });
});
