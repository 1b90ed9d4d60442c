import { startSidecar } from '../helpers/sidecar';

/**
 * One store's scheduled check with eight weeks of a 2,000-orders-a-day store behind it, in adaptive mode
 * (the default) and in fixed mode: the figure that decides how many stores one core can check a minute.
 */
const DAYS = 56;
const PER_DAY = 2_000;
const RUNS = 200;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;

/** Orders spread over the day with an evening peak; 4% declined, half of those tried again within minutes. */
export function historyRows(storeId: string, now: number, days = DAYS, perDay = PER_DAY): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  const total = days * perDay;
  const span = days * 86_400_000;
  for (let i = 0; i < total; i += 1) {
    const created = new Date(now - span + Math.floor((i / total) * span));
    const declined = i % 25 === 0;
    const order = {
      store_id: storeId,
      status: declined ? 'failed' : 'completed',
      total: 10 + (i % 40),
      currency: 'EUR',
      payment_method: i % 3 ? 'stripe' : 'paypal',
      created_via: 'checkout',
      created_at: created,
      status_changed_at: created,
      updated_at: created,
    };
    rows.push({ ...order, order_id: rows.length + 1 });
    if (declined && i % 50 === 0) {
      const again = new Date(created.getTime() + 2 * 60_000);
      rows.push({ ...order, order_id: rows.length + 1, status: 'completed', created_at: again, status_changed_at: again, updated_at: again });
    }
  }
  return rows;
}

async function timeRuns(run: () => Promise<unknown>, count: number): Promise<number[]> {
  for (let i = 0; i < 10; i += 1) await run();
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const t = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

export async function benchChecks(): Promise<void> {
  const sidecar = await startSidecar();
  try {
    const now = Date.now();
    const adaptive = await sidecar.addStore({ name: 'Adaptive', url: 'https://adaptive.example', timezone: 'Europe/Berlin', settings: { enabled: false, mode: 'adaptive' } });
    const rows = historyRows(adaptive.id, now);
    for (let i = 0; i < rows.length; i += 2000) await sidecar.db('orders').insert(rows.slice(i, i + 2000));
    await sidecar.container.rollups?.rebuild(adaptive.id);
    const fixed = await sidecar.addStore({ name: 'Fixed', url: 'https://fixed.example', timezone: 'Europe/Berlin', settings: { enabled: false, mode: 'hybrid' } });
    const fixedRows = historyRows(fixed.id, now).map((r) => ({ ...r, store_id: fixed.id }));
    for (let i = 0; i < fixedRows.length; i += 2000) await sidecar.db('orders').insert(fixedRows.slice(i, i + 2000));
    await sidecar.container.rollups?.rebuild(fixed.id);

    const a = await timeRuns(() => sidecar.container.checks.run(adaptive.id, 'schedule'), RUNS);
    console.log(`check, adaptive mode: ${rows.length} orders over ${DAYS} days (${PER_DAY}/day), ${RUNS} scheduled runs`);
    console.log(`  whole check: median ${ms(percentile(a, 50))}, p95 ${ms(percentile(a, 95))} (aim median < 5 ms, p95 < 15 ms)`);
    const f = await timeRuns(() => sidecar.container.checks.run(fixed.id, 'schedule'), RUNS);
    console.log(`check, fixed (hybrid) mode: the same history, ${RUNS} scheduled runs`);
    console.log(`  whole check: median ${ms(percentile(f, 50))}, p95 ${ms(percentile(f, 95))} (aim < 3 ms)`);
  } finally {
    await sidecar.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchChecks().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
