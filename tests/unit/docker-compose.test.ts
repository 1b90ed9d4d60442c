import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Docker cannot run on our machines, so docker-compose.yml is checked as text against what the stack
 * needs to work by itself: the failures below are the ones a user with Docker would otherwise meet.
 */
const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const services = compose.slice(compose.indexOf('\nservices:\n'), compose.indexOf('\nvolumes:\n'));

function service(name: string): string {
  const start = services.indexOf(`\n  ${name}:\n`);
  if (start < 0) throw new Error(`no service ${name}`);
  const next = services.slice(start + 1).search(/\n {2}[a-z#]/);
  return next < 0 ? services.slice(start) : services.slice(start, start + 1 + next);
}

describe('docker-compose.yml', () => {
  const siteUrl = /--url=(http:\/\/localhost:(\d+))/.exec(service('wordpress-setup'));
  const sitePort = siteUrl?.[2];

  it("WordPress's Apache listens on the site URL's port, so WP-Cron and Action Scheduler can call the site back", () => {
    expect(sitePort).toBeDefined();
    const wordpress = service('wordpress');
    expect(wordpress).toContain(`Listen ${sitePort}/' /etc/apache2/ports.conf`);
    expect(wordpress).toContain(`<VirtualHost *:${sitePort}>`);
    expect(wordpress).toContain('exec docker-entrypoint.sh apache2-foreground');
    expect(wordpress).toContain(`- "${sitePort}:${sitePort}"`);
  });

  it('runs the due WP-Cron events every minute, so the bridge sends its events and heartbeats without visitors', () => {
    const cron = service('wordpress-cron');
    expect(cron).toContain('image: wordpress:cli');
    expect(cron).toMatch(/while :; do[\s\S]*wp cron event run --due-now[\s\S]*sleep 60;[\s\S]*done/);
    expect(cron).toContain('restart: unless-stopped');
  });

  it("the sidecar reaches the store at the URL it is registered with, and the bridge the sidecar at localhost", () => {
    // Sharing WordPress's network namespace makes localhost:<site port> the store inside the sidecar too.
    for (const name of ['sidecar', 'wordpress-cron', 'wordpress-setup']) expect(service(name)).toContain('network_mode: service:wordpress');
    expect(service('wordpress')).toContain('- "8080:8080"');
    expect(compose).toContain(`store add --name "Shop" --url ${siteUrl?.[1]} `);
    expect(compose).not.toContain('--probe off');
  });

  it('runs the sidecar on Node 22 and installs its packages only when the lock file changed', () => {
    const sidecar = service('sidecar');
    expect(sidecar).toMatch(/image: node:22-/);
    expect(sidecar).toMatch(/cmp -s package-lock.json node_modules\/\S+ \|\|\s+\{ npm ci && cp package-lock.json node_modules\//);
  });
});
