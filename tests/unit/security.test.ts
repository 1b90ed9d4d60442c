import { describe, expect, it } from 'vitest';
import { defaultSettings, mergeSettings } from '../../sidecar/src/domain/settings';
import { neutraliseCell } from '../../sidecar/src/http/csv-cell';
import { escapeSlackText } from '../../sidecar/src/notify/slack-notifier';

describe('CSV export cells (issue 16, item 2)', () => {
  it('prefixes a quote to cells a spreadsheet would run as a formula', () => {
    for (const cell of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(neutraliseCell(cell)).toBe(`'${cell}`);
    }
  });

  it('leaves ordinary text, numbers and empty cells as they are', () => {
    expect(neutraliseCell('processing')).toBe('processing');
    expect(neutraliseCell('a=b')).toBe('a=b');
    expect(neutraliseCell('')).toBe('');
    expect(neutraliseCell(42)).toBe(42);
    expect(neutraliseCell(-3)).toBe(-3);
  });
});

describe('Slack text (issue 16, item 9)', () => {
  it('escapes the three characters Slack reads as markup', () => {
    expect(escapeSlackText('<!channel> & <http://evil|click>')).toBe('&lt;!channel&gt; &amp; &lt;http://evil|click&gt;');
  });
});

describe('e-mail address lengths (issue 16, item 11)', () => {
  const current = defaultSettings('Europe/Berlin');
  it('refuses a local part over 64 characters or an address over 254', () => {
    const longLocal = `${'a'.repeat(65)}@shop.example`;
    const longWhole = `ops@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(60)}.example`;
    expect(longWhole.length).toBeGreaterThan(254);
    const result = mergeSettings(current, { alert_emails: ['ok@shop.example', longLocal], escalation_emails: [longWhole] });
    expect(result.ok).toBe(false);
    const fields = !result.ok ? result.errors.map((e) => `${e.field}: ${e.message}`) : [];
    expect(fields).toEqual([
      'alert_emails[1]: must have at most 64 characters before the @',
      'escalation_emails[0]: must be at most 254 characters long',
    ]);
  });

  it('accepts addresses at the limits', () => {
    const atLimit = `${'a'.repeat(64)}@shop.example`;
    expect(mergeSettings(current, { alert_emails: [atLimit] }).ok).toBe(true);
  });
});

describe('outbound addresses (issue 16, item 1)', () => {
  it('calls only public unicast addresses', async () => {
    const { nonPublicRange } = await import('../../sidecar/src/notify/outbound-guard');
    const refused = ['127.0.0.1', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::', '0.0.0.0', '0.1.2.3', '10.0.0.1', '172.16.0.1', '192.168.0.1', '169.254.169.254', 'fe80::1', 'fc00::1', 'fd12::1', '224.0.0.1', 'ff02::1', '100.64.0.1', '::ffff:10.0.0.1'];
    expect(refused.filter((ip) => nonPublicRange(ip) === null)).toEqual([]);
    expect(['8.8.8.8', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8'].map(nonPublicRange)).toEqual([null, null, null, null]);
  });
});

describe('answers to failed requests (issue 16, item 5)', () => {
  it('answers 503 with Retry-After to a lost or refused connection, without claiming nothing changed', async () => {
    const { failureAnswer } = await import('../../sidecar/src/http/errors');
    for (const code of ['ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'ECONNREFUSED']) {
      const answer = failureAnswer(Object.assign(new Error('Connection lost: The server closed the connection.'), { code }));
      expect({ code, status: answer.status, retryAfter: answer.retryAfter }).toEqual({ code, status: 503, retryAfter: 30 });
      expect(answer.message).not.toMatch(/nothing was (stored|changed)/);
    }
    const bug = failureAnswer(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(bug.status).toBe(500);
    expect(bug.message).not.toMatch(/nothing was (stored|changed)/);
  });
});

describe('sealed secrets (issue 16, item 10)', () => {
  it('opens what it sealed, only in the same row, and names a key it does not have', async () => {
    const { SecretBox } = await import('../../sidecar/src/store/secret-box');
    const { randomBytes } = await import('node:crypto');
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('cs_secret', 'row:1');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(box.seal('cs_secret', 'row:1')).not.toBe(sealed);
    expect(box.open(sealed, 'row:1')).toBe('cs_secret');
    expect(() => box.open(sealed, 'row:2')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'row:1')).toThrow(/neither WOOM_SECRET_KEY/);
    expect(new SecretBox(null).seal('plain', 'row:1')).toBe('plain');
  });
});
