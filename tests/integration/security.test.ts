import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Express } from 'express';
import { loadConfig } from '../../sidecar/src/config';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../sidecar/src/http/body';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { startSidecar, type SidecarHandle } from '../helpers/sidecar';
import { orderEvent, signed, type StoreCredentials } from '../helpers/signing';

let sidecar: SidecarHandle;
let shop: StoreCredentials;

beforeAll(async () => {
  sidecar = await startSidecar();
  shop = await sidecar.addStore({ name: 'Secure shop', url: 'https://secure.example', timezone: 'UTC' });
});
afterAll(async () => sidecar?.close());

const settingsPath = (id: string) => `/v1/stores/${id}/settings`;
const currentSettings = async () => (await signed(sidecar.app, shop, 'GET', settingsPath(shop.id))).body.settings;

/** The exact same request again: the same headers and body bytes. */
function send(method: 'PUT' | 'POST' | 'DELETE', path: string, headers: Record<string, string>, body: string) {
  const agent = request(sidecar.app);
  const req = method === 'PUT' ? agent.put(path) : method === 'POST' ? agent.post(path) : agent.delete(path);
  return req.set(headers).set('Content-Type', 'application/json').send(body);
}

describe('replayed signed requests (item 3)', () => {
  it('applies a signed PUT once; the same request again gets 409 and changes nothing', async () => {
    const path = settingsPath(shop.id);
    const body = JSON.stringify({ threshold_peak: 7 });
    const headers = signedHeaders(shop, 'PUT', path, body);
    expect((await send('PUT', path, headers, body)).status).toBe(200);
    expect((await signed(sidecar.app, shop, 'PUT', path, { threshold_peak: 8 })).status).toBe(200);

    const replay = await send('PUT', path, headers, body);
    expect(replay.status).toBe(409);
    expect(replay.body.error).toBe('replayed');
    expect((await currentSettings()).threshold_peak).toBe(8);
  });

  it('refuses a replayed event batch and a replayed channel deletion', async () => {
    const body = JSON.stringify({ store: shop.id, events: [orderEvent({})] });
    const headers = signedHeaders(shop, 'POST', '/v1/events', body);
    expect((await send('POST', '/v1/events', headers, body)).status).toBe(202);
    const replayed = await send('POST', '/v1/events', headers, body);
    expect(replayed.status).toBe(409);
    expect(replayed.body.error).toBe('replayed');

    // The ingest records the signature in its own transaction: two copies at once, one applied.
    const twinBody = JSON.stringify({ store: shop.id, events: [orderEvent({}), orderEvent({})] });
    const twinHeaders = signedHeaders(shop, 'POST', '/v1/events', twinBody);
    const before = Number((await sidecar.db('order_events').where({ store_id: shop.id }).count({ n: '*' }))[0]!.n);
    const twins = await Promise.all([send('POST', '/v1/events', twinHeaders, twinBody), send('POST', '/v1/events', twinHeaders, twinBody)]);
    expect(twins.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(Number((await sidecar.db('order_events').where({ store_id: shop.id }).count({ n: '*' }))[0]!.n)).toBe(before + 2);

    const deletePath = `/v1/stores/${shop.id}/channels/999999`;
    const deleteHeaders = signedHeaders(shop, 'DELETE', deletePath, '');
    // A refused request changed nothing, so the same one may be sent again and gets the same answer.
    expect((await send('DELETE', deletePath, deleteHeaders, '')).status).toBe(404);
    expect((await send('DELETE', deletePath, deleteHeaders, '')).status).toBe(404);
  });

  it('accepts a timestamp as far ahead as behind, and no further', async () => {
    const path = settingsPath(shop.id);
    for (const [offset, status] of [[-290, 200], [290, 200], [-310, 401], [310, 401]] as const) {
      const body = JSON.stringify({ threshold_off_peak: 3 });
      const res = await send('PUT', path, signedHeaders(shop, 'PUT', path, body, new Date(Date.now() + offset * 1000)), body);
      expect({ offset, status: res.status }).toEqual({ offset, status });
    }
  });
});

/**
 * Opens a request that declares or streams `bodyBytes` but sends only `sendBytes` of them, and resolves
 * with the answer if one comes while the body is still unfinished.
 */
function answerBeforeBodyEnds(path: string, headers: Record<string, string>, opts: { declared?: number; sendBytes: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${sidecar.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', ...(opts.declared ? { 'Content-Length': String(opts.declared) } : {}) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer while the body was still being sent'));
    }, 10_000);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    req.on('error', () => undefined);
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (sent < opts.sendBytes) {
        const part = chunk.subarray(0, Math.min(chunk.length, opts.sendBytes - sent));
        sent += part.length;
        if (!req.write(part)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

describe('signature before body (item 4)', () => {
  it('answers 401 to an unknown store before the body is read', async () => {
    const headers = { 'X-Woom-Store': 'no-such-store', 'X-Woom-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-Woom-Signature': 'sha256=00' };
    const res = await answerBeforeBodyEnds('/v1/events', headers, { declared: 100_000, sendBytes: 10 });
    expect(res.status).toBe(401);
  });

  it('answers 401 to a stale timestamp before the body is read', async () => {
    const headers = signedHeaders(shop, 'POST', '/v1/events', 'x', new Date(Date.now() - 3600_000));
    const res = await answerBeforeBodyEnds('/v1/events', headers, { declared: 100_000, sendBytes: 10 });
    expect(res.status).toBe(401);
  });

  it('answers 413 while an oversized body is still streaming', async () => {
    const headers = signedHeaders(shop, 'POST', '/v1/events', 'x');
    const streamed = await answerBeforeBodyEnds('/v1/events', headers, { sendBytes: MAX_BODY_BYTES + 200_000 });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).errors[0].field).toBe('(body)');
    const declared = await answerBeforeBodyEnds('/v1/events', headers, { declared: 50 * MAX_BODY_BYTES, sendBytes: 10 });
    expect(declared.status).toBe(413);
  });
});

describe('CSV exports (item 2)', () => {
  it('neutralises cells a spreadsheet would run as a formula', async () => {
    const event = orderEvent({ payment_method: '=HYPERLINK("https://evil.example","pay")' });
    expect((await signed(sidecar.app, shop, 'POST', '/v1/events', { store: shop.id, events: [event] })).status).toBe(202);
    const day = new Date().toISOString().slice(0, 10);
    const path = `/v1/stores/${shop.id}/pages/export/events.csv?from=${day}&to=${day}`;
    const res = await signed(sidecar.app, shop, 'GET', path);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`"'=HYPERLINK(""https://evil.example"",""pay"")"`);
    expect(res.text).not.toMatch(/,"?=HYPERLINK/);
  });
});

describe('headers on HTML answers (item 8)', () => {
  it('sends a CSP without inline script, no framing, nosniff and no Referer on the pages and the acknowledge page', async () => {
    const pages = [
      await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/pages/settings`),
      await signed(sidecar.app, shop, 'GET', `/v1/stores/${shop.id}/pages/status`),
      await request(sidecar.app).get('/acknowledge/not-a-token'),
    ];
    for (const res of pages) {
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(res.headers['content-security-policy']);
      const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1];
      expect(scriptSrc).toBe("'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      // The policy is only worth its name if the pages keep to it.
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(res.text).not.toMatch(/\son[a-z]+\s*=/i);
    }
  });
});

/** An address of this machine that is not loopback, so a request to it comes from a non-loopback peer. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

/** Serves `app` on every interface for one test. */
async function listenEverywhere(app: Express): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '0.0.0.0', () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('metrics and the listening address (item 6)', () => {
  it.skipIf(!outsideAddress)('answers /metrics to loopback clients only when no METRICS_TOKEN is set', async () => {
    const server = await listenEverywhere(sidecar.app);
    try {
      const outside = await fetch(`http://${outsideAddress}:${server.port}/metrics`);
      expect(outside.status).toBe(403);
      expect(((await outside.json()) as { message: string }).message).toContain('METRICS_TOKEN');
      expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('files every store under one empty store label when METRICS_STORE_LABELS=0', async () => {
    const fleet = await startSidecar({ env: { METRICS_STORE_LABELS: '0' } });
    try {
      const store = await fleet.addStore({ name: 'Fleet shop', url: 'https://fleet.example', timezone: 'UTC' });
      expect((await signed(fleet.app, store, 'POST', '/v1/events', { store: store.id, events: [orderEvent({}), orderEvent({})] })).status).toBe(202);
      const text = (await request(fleet.app).get('/metrics')).text;
      expect(text).toContain('woom_events_ingested_total{store="",result="accepted"} 2');
      expect(text).not.toContain(store.id);
    } finally {
      await fleet.close();
    }
  });

  it('reads HOST as the address to listen on', () => {
    expect(loadConfig({ HOST: '127.0.0.1' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
  });
});

describe('the development page flag (item 7)', () => {
  it.skipIf(!outsideAddress)('opens the pages without a signature for loopback clients only', async () => {
    const dev = await startSidecar({ devPages: true });
    const server = await listenEverywhere(dev.app);
    try {
      const store = await dev.addStore({ name: 'Dev shop', url: 'https://devshop.example', timezone: 'UTC' });
      const path = `/v1/stores/${store.id}/pages/settings`;
      expect((await fetch(`http://127.0.0.1:${server.port}${path}`)).status).toBe(200);
      const outside = await fetch(`http://${outsideAddress}:${server.port}${path}`);
      expect(outside.status).toBe(401);
      expect(await outside.text()).not.toContain('form-table');
    } finally {
      await server.close();
      await dev.close();
    }
  });

  it('still asks a posted form for its CSRF token', async () => {
    const dev = await startSidecar({ devPages: true });
    try {
      const store = await dev.addStore({ name: 'Dev form', url: 'https://devform.example', timezone: 'UTC' });
      const path = `/v1/stores/${store.id}/pages/status`;
      const page = await request(dev.app).get(path);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      expect(token).toBeDefined();
      expect(page.text).not.toContain('<!--woom:form-fields-->');

      const form = new URLSearchParams({ op: 'maintenance_start', minutes: '30' });
      const forged = await request(dev.app).post(path).type('form').send(form.toString());
      expect(forged.status).toBe(403);
      expect(await dev.db('maintenance_windows').where({ store_id: store.id }).count({ n: '*' })).toEqual([{ n: 0 }]);

      form.set('_csrf', token!);
      const real = await request(dev.app).post(path).type('form').send(form.toString());
      expect(real.status).toBe(200);
      expect(await dev.db('maintenance_windows').where({ store_id: store.id }).count({ n: '*' })).toEqual([{ n: 1 }]);
    } finally {
      await dev.close();
    }
  });
});

describe('errors that tell the truth (item 5)', () => {
  it('answers a committed settings change with success although Redis, which holds the schedules, fails', async () => {
    const broken = await startSidecar();
    try {
      const store = await broken.addStore({ name: 'No Redis', url: 'https://noredis.example', timezone: 'UTC' });
      // The producer connection (queues, schedules) goes away for good; MariaDB is fine.
      broken.container.redis.disconnect();
      const res = await signed(broken.app, store, 'PUT', settingsPath(store.id), { threshold_peak: 3, check_interval_minutes: 30 });
      expect(res.status).toBe(200);
      expect(res.body.settings).toMatchObject({ threshold_peak: 3, check_interval_minutes: 30 });
      expect((await broken.container.settings.get(store.id))?.threshold_peak).toBe(3);
    } finally {
      await broken.close();
    }
  });
});
