import { describe, expect, it } from 'vitest';
import { assertPublicUrlReachable, ConfigError, loadConfig } from '../../sidecar/src/config';

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

  describe('PUBLIC_URL left at its default', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        assertPublicUrlReachable(loadConfig(env), env);
        return null;
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
    };

    it('is accepted when the sidecar listens where the default points: port 8080 on this machine', () => {
      expect(refusal({})).toBeNull();
      expect(refusal({ HOST: 'localhost' })).toBeNull();
    });

    it('is refused on another port, naming PORT and the variable to set', () => {
      const message = refusal({ PORT: '9090' });
      expect(message).toContain('PUBLIC_URL is not set');
      expect(message).toContain('port 9090 (PORT)');
      expect(message).toContain('Set PUBLIC_URL');
    });

    it('is refused on a non-local address, naming HOST', () => {
      const message = refusal({ HOST: '0.0.0.0' });
      expect(message).toContain('listens on 0.0.0.0 (HOST)');
      expect(message).toContain('Set PUBLIC_URL');
    });

    it('is not checked once PUBLIC_URL is set, whatever the port and address', () => {
      expect(refusal({ PORT: '9090', HOST: '0.0.0.0', PUBLIC_URL: 'https://monitor.shop.example' })).toBeNull();
    });
  });
});
