import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signaturePayload, signaturesMatch, signedHeaders } from '../../sidecar/src/http/signature';

describe('request signatures', () => {
  it('signs ingest as timestamp.body and other endpoints with method and path too', () => {
    expect(signaturePayload('1700000000', 'POST', '/v1/events', '{"a":1}')).toBe('1700000000.{"a":1}');
    expect(signaturePayload('1700000000', 'PUT', '/v1/stores/st_1/settings', '{}')).toBe('1700000000.PUT./v1/stores/st_1/settings.{}');
  });

  it('produces the documented header: sha256= and the hex HMAC', () => {
    const headers = signedHeaders({ id: 'st_1', secret: 's3cret' }, 'POST', '/v1/events', 'body', new Date(1_700_000_000_000));
    const hex = createHmac('sha256', 's3cret').update('1700000000.body').digest('hex');
    expect(headers).toEqual({ 'X-Woom-Store': 'st_1', 'X-Woom-Timestamp': '1700000000', 'X-Woom-Signature': `sha256=${hex}` });
  });

  it('compares signatures exactly', () => {
    expect(signaturesMatch('sha256=ab', 'sha256=ab')).toBe(true);
    expect(signaturesMatch('sha256=ab', 'sha256=ac')).toBe(false);
    expect(signaturesMatch('sha256=ab', 'sha256=abc')).toBe(false);
  });
});
