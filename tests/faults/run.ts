/**
 * `npm run test:faults`: while orders stream in through real WordPress and the bridge, restart Redis,
 * then MariaDB, then the sidecar, then make SMTP refuse for FAULT_SMTP_REFUSE_SECONDS (default 300);
 * afterwards every event must be stored once, every due check must have run, and every alert must have
 * been delivered once. Prints the figures and "N passed, N failed"; exits non-zero on a failure.
 *
 * Redis and MariaDB are private servers on their own ports, so restarting them disturbs nothing else on
 * the machine; everything talks to 127.0.0.1 and every wait is bounded.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { signedHeaders } from '../../sidecar/src/http/signature';
import { createDatabaseClient } from '../../sidecar/src/store/database';
import { startTestSmtp } from '../helpers/smtp';
import { freePort, startWordPress } from '../helpers/wordpress';
import { privateMariaDb, privateRedis, sidecarProcess } from './services';

const SMTP_REFUSE_SECONDS = Number(process.env.FAULT_SMTP_REFUSE_SECONDS ?? 300);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

interface Figure {
  name: string;
  ok: boolean;
  detail: string;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (message: string) => console.log(`[${seconds(started).padStart(6)} s] ${message}`);
  const smtp = await startTestSmtp();
  const redis = await privateRedis(await freePort());
  const mariadb = await privateMariaDb(await freePort());
  await redis.start();
  await mariadb.start();
  const databaseUrl = `mysql://root@127.0.0.1:${mariadb.port}/woom_faults`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    SMTP_URL: smtp.url,
    QUEUE_PREFIX: 'woomfaults',
    NOTIFY_BACKOFF_MS: '1000',
    NOTIFY_BACKOFF_MAX_MS: '5000',
    // Retries every 5 s must outlast the SMTP outage: 60 attempts would end after about 5 minutes.
    NOTIFY_ATTEMPTS: '1000',
    LOG_LEVEL: 'info',
  };
  const sidecar = sidecarProcess(env, await freePort());
  const wp = await startWordPress({ retryBaseSeconds: 1, retryMaxSeconds: 2 });
  const db = createDatabaseClient(databaseUrl);
  const figures: Figure[] = [];
  const check = (name: string, ok: boolean, detail: string) => figures.push({ name, ok, detail });

  try {
    await sidecar.start();
    const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['sidecar/src/cli/woom.ts', 'store', 'add', '--name', 'Fault shop', '--url', wp.url, '--timezone', 'UTC'], { env: { ...process.env, ...env } });
    const store = { id: /id:\s+(\S+)/.exec(stdout)![1]!, secret: /secret:\s+(\S+)/.exec(stdout)![1]! };
    const path = `/v1/stores/${store.id}/settings`;
    const body = JSON.stringify({ mode: 'rolling_average', check_interval_minutes: 1, cooldown_minutes: 0, max_alerts_per_day: 100, alert_emails: ['ops@fault.test'] });
    const put = await fetch(`http://127.0.0.1:${sidecar.port}${path}`, { method: 'PUT', headers: { ...signedHeaders(store, 'PUT', path, body), 'Content-Type': 'application/json' }, body });
    if (put.status !== 200) throw new Error(`settings: ${put.status} ${await put.text()}`);
    // From here the store is checked every minute: each minute up to the end of the test owes a check.
    const scheduledFrom = Date.now();
    await wp.connectBridge({ sidecarUrl: `http://127.0.0.1:${sidecar.port}`, storeId: store.id, secret: store.secret });
    log(`sidecar on ${sidecar.port}, Redis on ${redis.port}, MariaDB on ${mariadb.port}, WordPress at ${wp.url}`);

    // Orders stream in through WordPress; a real cron would run the bridge's queue, here every second.
    const created: Array<{ id: number; status: string }> = [];
    let failNext = 0;
    let streaming = true;
    let createErrors = 0;
    const stream = (async () => {
      while (streaming) {
        const status = failNext > 0 ? 'failed' : 'processing';
        try {
          const [id] = await wp.createOrders({ status, payment_method: 'stripe' });
          created.push({ id: id!, status });
          if (failNext > 0) failNext -= 1;
        } catch {
          createErrors += 1;
        }
        await sleep(600);
      }
    })();
    const cron = setInterval(() => void wp.runQueue().catch(() => undefined), 1000);

    await sleep(20_000);
    log('a burst of 8 failed orders');
    failNext = 8;
    await sleep(10_000);
    log('Redis: stop (it keeps nothing on disk)');
    await redis.stop();
    await sleep(5_000);
    await redis.start();
    log('Redis: started again, empty');
    await sleep(15_000);
    log('MariaDB: stop');
    await mariadb.stop();
    await sleep(6_000);
    await mariadb.start();
    log('MariaDB: started again');
    await sleep(20_000);
    log('sidecar: SIGTERM');
    await sidecar.stop();
    await sleep(5_000);
    await sidecar.start();
    log('sidecar: started again');
    await sleep(15_000);
    log(`SMTP: refusing every message (451) for ${SMTP_REFUSE_SECONDS} s, and a second burst of failed orders`);
    smtp.refuseWith(451);
    failNext = 8;
    await sleep(SMTP_REFUSE_SECONDS * 1000);
    smtp.refuseWith(null);
    log('SMTP: accepting again');
    await sleep(20_000);
    streaming = false;
    await stream;
    log(`stopped making orders: ${created.length} created (${created.filter((o) => o.status === 'failed').length} failed), ${createErrors} errors`);

    // Drain: the outbox empties, every notification is settled.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const outbox = await wp.outboxCounts();
      const pending = await db('notifications').where({ store_id: store.id, status: 'pending' }).count({ n: '*' }).first();
      if (outbox.pending === 0 && Number(pending?.n) === 0) break;
      await sleep(1000);
    }
    clearInterval(cron);
    await sleep(3000);

    // 1. Every event stored once.
    const events = await db('order_events').where({ store_id: store.id }).whereNot({ type: 'heartbeat' }).select('order_id', 'to_status');
    const perOrder = new Map<number, number>();
    for (const e of events) perOrder.set(Number(e.order_id), (perOrder.get(Number(e.order_id)) ?? 0) + 1);
    const missing = created.filter((o) => !perOrder.has(o.id));
    const twice = [...perOrder.values()].filter((n) => n > 1).length;
    check('every order event stored', missing.length === 0, `${created.length} orders made in WordPress, ${perOrder.size} in the sidecar, ${missing.length} missing`);
    check('no event stored twice', twice === 0 && events.length === created.length, `${events.length} order events for ${created.length} orders, ${twice} orders with more than one`);
    const orders = await db('orders').where({ store_id: store.id }).select('order_id', 'status');
    const wrong = created.filter((o) => orders.find((r: { order_id: number }) => Number(r.order_id) === o.id)?.status !== o.status).length;
    check('every order has its status', wrong === 0, `${wrong} orders with another status`);
    check('the bridge kept nothing back', (await wp.outboxCounts()).pending === 0 && (await wp.outboxCounts()).dead === 0, JSON.stringify(await wp.outboxCounts()));

    // 2. Every due check ran, up to the end of the test: the gaps are counted from when the schedule was
    // set to now, so schedules lost after a restart (checks that stop for good) show as a long last gap
    // and too few runs, not as a shorter span.
    const until = Date.now();
    const runs = (await db('check_runs').where({ store_id: store.id, trigger: 'schedule' }).where('ran_at', '>=', new Date(scheduledFrom)).orderBy('ran_at').pluck('ran_at')) as Date[];
    const times = [scheduledFrom, ...runs.map((at) => at.getTime()), until];
    const gaps = times.slice(1).map((at, i) => (at - times[i]!) / 1000);
    const longest = Math.max(0, ...gaps);
    const due = Math.floor((until - scheduledFrom) / 60_000);
    // One check may fall into an outage (MariaDB down, the sidecar restarting) and run late instead.
    check(
      'every due check ran',
      runs.length >= due - 1 && longest <= 90,
      `${runs.length} scheduled checks for ${due} due over ${((until - scheduledFrom) / 1000).toFixed(0)} s up to the end, longest gap ${longest.toFixed(0)} s (interval 60 s, last check ${gaps.at(-1)!.toFixed(0)} s before the end; gaps ${gaps.map((g) => g.toFixed(0)).join(' ')} s)`,
    );

    // 3. Every alert delivered once.
    const notifications = await db('notifications').where({ store_id: store.id }).whereIn('kind', ['alert', 'reminder', 'resolved']).orderBy('id');
    const deliveries = await db('deliveries').whereIn('notification_id', notifications.map((n: { id: number }) => n.id));
    const sentPer = notifications.map((n: { id: number }) => deliveries.filter((d: { notification_id: number; status: string }) => Number(d.notification_id) === Number(n.id) && d.status === 'sent').length);
    const retries = deliveries.filter((d: { status: string }) => d.status === 'retrying').length;
    const alerts = notifications.filter((n: { kind: string }) => n.kind === 'alert').length;
    check('alerts raised for both bursts', alerts >= 2, `${alerts} alerts, ${notifications.length} notifications in all`);
    check('every alert delivered once', sentPer.every((n: number) => n === 1), `sent per notification: ${sentPer.join(', ')}; ${retries} attempts refused and retried`);
    const received = smtp.messages.filter((m) => m.subject?.includes('Fault shop') && !m.subject.includes('Test notification')).length;
    check('the SMTP server received each once', received === notifications.length, `${received} messages received for ${notifications.length} notifications`);
  } catch (error) {
    check('the run itself', false, error instanceof Error ? error.message : String(error));
    console.log(sidecar.log().split('\n').slice(-30).join('\n'));
  } finally {
    await db.destroy().catch(() => undefined);
    await wp.stop().catch(() => undefined);
    await sidecar.close();
    await redis.close();
    await mariadb.close();
    await smtp.close();
  }

  for (const f of figures) console.log(`${f.ok ? 'ok  ' : 'FAIL'} ${f.name}: ${f.detail}`);
  const failed = figures.filter((f) => !f.ok).length;
  console.log(`faults: ${figures.length - failed} passed, ${failed} failed (${seconds(started)} s)`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
