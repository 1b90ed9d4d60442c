import type { Express } from 'express';
import request from 'supertest';
import { signedHeaders } from '../../sidecar/src/http/signature';

export interface StoreCredentials {
  id: string;
  secret: string;
}

// The second a request was last signed at, per store, method, path and body.
const lastSigned = new Map<string, number>();

/**
 * A supertest request signed the way the bridge signs it; `body` is sent byte for byte as given. The
 * sidecar accepts a signed state change once, so the same request signed twice in one second would be a
 * replay: a test that sends it again signs it a second later, as a sender retrying later would.
 */
export function signed(app: Express, store: StoreCredentials, method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, body?: unknown, now?: Date) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  if (!now && method !== 'GET') {
    const key = `${store.id} ${method} ${path} ${text}`;
    const second = Math.max(Math.floor(Date.now() / 1000), (lastSigned.get(key) ?? 0) + 1);
    lastSigned.set(key, second);
    now = new Date(second * 1000);
  }
  const headers = signedHeaders(store, method, path, text, now);
  const agent = request(app);
  const req = method === 'GET' ? agent.get(path) : method === 'PUT' ? agent.put(path) : method === 'PATCH' ? agent.patch(path) : method === 'DELETE' ? agent.delete(path) : agent.post(path);
  req.set(headers);
  if (method === 'PUT' || method === 'PATCH' || method === 'POST') req.set('Content-Type', 'application/json').send(text);
  return req;
}

let counter = 0;

/** A contract event for an order, with sensible defaults and a fresh uuid. */
export function orderEvent(
  fields: Partial<{ id: string; type: string; order_id: number; from: string | null; to: string; total: string; created_at: string; occurred_at: string; payment_method: string }>,
) {
  const now = new Date().toISOString();
  counter += 1;
  return {
    id: crypto.randomUUID(),
    type: 'order.created',
    order_id: 1000 + counter,
    from: null,
    to: 'processing',
    total: '25.00',
    currency: 'EUR',
    payment_method: 'stripe',
    created_via: 'checkout',
    created_at: now,
    occurred_at: now,
    ...fields,
  };
}
