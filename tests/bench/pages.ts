import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { startSidecar } from '../helpers/sidecar';

const EVENTS = 100_000;
const RUNS = 200;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function get(port: number, agent: Agent, path: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** p95 time to serve the status page of a store with 100,000 order events (8 weeks of history). */
export async function benchStatusPage(): Promise<void> {
  const sidecar = await startSidecar();
  try {
    const store = await sidecar.addStore({ name: 'Busy', url: 'https://busy.example', timezone: 'Europe/Berlin', settings: { enabled: false } });
    const now = Date.now();
    const span = 56 * 24 * 3600_000;
    // 100,000 events: each order is created, then most are paid and a few fail (about 2.2 events an order).
    let orderId = 0;
    let written = 0;
    while (written < EVENTS) {
      const events = [];
      const orders = [];
      for (let i = 0; i < 1000 && written < EVENTS; i += 1) {
        orderId += 1;
        const created = new Date(now - span + Math.floor((orderId / (EVENTS / 2)) * span) - 60_000);
        const status = orderId % 13 === 0 ? 'failed' : 'processing';
        const base = { store_id: store.id, order_id: orderId, total: 30, currency: 'EUR', payment_method: orderId % 3 ? 'stripe' : 'paypal', created_via: 'checkout', order_created_at: created, received_at: created, data: null };
        events.push({ ...base, id: randomUUID(), type: 'order.created', from_status: null, to_status: 'pending', occurred_at: created });
        events.push({ ...base, id: randomUUID(), type: 'order.status_changed', from_status: 'pending', to_status: status, occurred_at: new Date(created.getTime() + 30_000) });
        written += 2;
        orders.push({ store_id: store.id, order_id: orderId, status, total: 30, currency: 'EUR', payment_method: base.payment_method, created_via: 'checkout', created_at: created, status_changed_at: created, updated_at: created });
      }
      await sidecar.db('order_events').insert(events);
      await sidecar.db('orders').insert(orders);
    }
    for (let i = 0; i < 40; i += 1) {
      await sidecar.db('alerts').insert({ store_id: store.id, detector: 'rolling_average', severity: 'warning', state: 'resolved', opened_at: new Date(now - i * 86_400_000), resolved_at: new Date(now - i * 86_400_000 + 3600_000), last_notified_at: new Date(now - i * 86_400_000), details: JSON.stringify({ findings: [{ summary: '8 of the last 10 orders failed (80%), threshold 70%' }] }) });
    }
    await sidecar.container.checks.run(store.id, 'manual');

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const path = `/v1/stores/${store.id}/pages/status`;
    for (let i = 0; i < 20; i += 1) await get(sidecar.port, agent, path, signedHeaders(store, 'GET', path, ''));
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i += 1) {
      const started = process.hrtime.bigint();
      const res = await get(sidecar.port, agent, path, signedHeaders(store, 'GET', path, ''));
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (res.status !== 200) throw new Error(`status page answered ${res.status}`);
      bytes = res.bytes;
    }
    agent.destroy();
    times.sort((a, b) => a - b);
    console.log(`status page: a store with ${written} order events (${orderId} orders over 8 weeks), ${RUNS} signed GETs over HTTP`);
    console.log(`  median ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms (aim < 100 ms; the specification asks < 500 ms), ${(bytes / 1024).toFixed(0)} KiB`);
  } finally {
    await sidecar.close();
  }
}
