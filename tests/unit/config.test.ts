import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../sidecar/src/config';

describe('configuration', () => {
  it('has working defaults for a machine like ours', () => {
    expect(loadConfig({})).toMatchObject({
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/woom',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: 8080,
      QUEUE_PREFIX: 'woom',
    });
  });

  it('names every bad variable with its value and what it expects', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'postgres://x/y', PORT: 'eighty', SMTP_URL: 'mail.example', REDIS_URL: 'redis://127.0.0.1:6379' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL="postgres://x/y": must be a URL starting with mysql:// or mariadb://');
    expect(message).toContain('PORT="eighty"');
    expect(message).toContain('SMTP_URL="mail.example": must be a URL starting with smtp:// or smtps://');
    expect(message).not.toContain('REDIS_URL');
  });
});
