/**
 * `npm run demo`: the whole product on one machine like ours, for a newcomer to try. It starts an SMTP
 * catcher, the sidecar, and a real WordPress 7.0.4 with the real WooCommerce 11.0.1 and the bridge,
 * connects them, prints the URLs and the admin login, and then takes commands to make orders. Ctrl-C (or
 * `quit`) stops everything and drops the demo's databases.
 *
 * Ports: PORT (sidecar, default 8080) and WP_PORT or `--wp-port N` (WordPress, default a free one).
 * PUBLIC_URL defaults to the sidecar's real address, so the links in the alert mails work.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startSidecar } from './lib/sidecar';
import { startTestSmtp } from './lib/smtp';
import { startWordPress, TAB_PATH } from './lib/wordpress';

const MAIL_DIR = join(process.cwd(), 'test-artifacts', 'demo-mail');
const HELP = `commands:
  paid N      create N paid (processing) orders
  failed N    create N orders whose payment failed
  check       run both detectors now and print their numbers
  quit        stop everything`;

/** WordPress's port: `--wp-port N`, else WP_PORT, else a free one. */
function wordPressPort(): number | undefined {
  const flag = process.argv.indexOf('--wp-port');
  const text = flag >= 0 ? process.argv[flag + 1] : process.env.WP_PORT;
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`WP_PORT / --wp-port must be a port number (1-65535), got "${text}"`);
  return port;
}

async function main(): Promise<void> {
  mkdirSync(MAIL_DIR, { recursive: true });
  const port = Number(process.env.PORT ?? 8080);
  const wpPort = wordPressPort();
  console.log('Starting the SMTP catcher, the sidecar and WordPress with WooCommerce (the first time about two minutes, then about half a minute)...');
  const smtp = await startTestSmtp();
  const sidecar = await startSidecar({ smtpPort: smtp.port, devPages: true, port, publicUrl: process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}` });
  const wp = await startWordPress(wpPort === undefined ? {} : { port: wpPort });
  let delivered = 0;
  const mailWatcher = setInterval(() => {
    for (; delivered < smtp.messages.length; delivered += 1) {
      const mail = smtp.messages[delivered]!;
      const file = join(MAIL_DIR, `${String(delivered + 1).padStart(3, '0')}.txt`);
      writeFileSync(file, `Subject: ${mail.subject}\nTo: ${mail.to && 'text' in mail.to ? mail.to.text : ''}\n\n${mail.text ?? ''}`);
      console.log(`\n[mail] ${mail.subject}  (${file})`);
    }
  }, 500);
  // php -S gets no visitors, so nothing would start WP-Cron or Action Scheduler: do what a real cron does,
  // one run at a time.
  let cronRunning = false;
  const cron = setInterval(() => {
    if (cronRunning) return;
    cronRunning = true;
    void wp.runQueue().catch(() => undefined).finally(() => (cronRunning = false));
  }, 3_000);

  const store = await sidecar.addStore({
    name: 'Demo Shop',
    url: wp.url,
    timezone: process.env.WOOM_DEMO_TIMEZONE ?? 'UTC',
    // Fixed rules, so the demo alerts at once (a new store is adaptive by default and would first want
    // history): an alert when 40% or more of the last 10 orders (at least 4) failed, so "paid 5" then
    // "failed 4" (4 of 9, 44%) alerts.
    settings: {
      alert_emails: ['owner@demo-shop.local'],
      mode: 'hybrid',
      threshold_peak: 1,
      threshold_off_peak: 0,
      probe_enabled: true,
      rad_window_size: 10,
      rad_min_orders: 4,
      rad_failure_threshold_pct: 40,
      failure_statuses: ['failed'],
      cooldown_minutes: 0,
    },
  });
  await wp.connectBridge({ sidecarUrl: sidecar.url, storeId: store.id, secret: store.secret });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(mailWatcher);
    clearInterval(cron);
    console.log('\nStopping...');
    await wp.stop();
    await sidecar.close();
    await smtp.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  console.log(`
WOOM demo is running.
  WordPress admin:   ${wp.url}/wp-admin/  (login ${wp.admin.login} / ${wp.admin.password})
  Order Monitor tab: ${wp.url}${TAB_PATH}
  Sidecar:           ${sidecar.url}/readyz
  Sidecar pages:     ${sidecar.url}/v1/stores/${store.id}/pages/status (development flag on)
  E-mails:           printed here and saved in ${MAIL_DIR}
  Store:             ${store.id} (connected; alert e-mails go to owner@demo-shop.local)

Try "paid 5", then "failed 4": 4 of the last 9 orders failed (the demo alerts from 40%), and an alert
e-mail arrives within seconds.
${HELP}`);

  const input = createInterface({ input: process.stdin, output: process.stdout, prompt: 'woom-demo> ' });
  input.prompt();
  // One command at a time, in the order typed (or piped): making orders takes seconds on real WooCommerce.
  let pending: Promise<void> = Promise.resolve();
  input.on('close', () => void pending.then(stop));
  input.on('line', (line) => {
    pending = pending.then(() => runCommand(line));
  });
  const runCommand = async (line: string): Promise<void> => {
    const [command, countText] = line.trim().split(/\s+/);
    const count = Math.min(Math.max(Number(countText ?? 1) || 1, 1), 200);
    try {
      if (command === 'paid' || command === 'failed') {
        const ids = await wp.createOrders({ status: command === 'paid' ? 'processing' : 'failed', count });
        console.log(`created ${ids.length} ${command} order(s): #${ids.join(', #')}`);
        await wp.runQueue();
      } else if (command === 'check') {
        const outcome = await sidecar.container.checks.run(store.id, 'manual');
        for (const result of outcome?.evaluations ?? []) console.log(`  ${result.detector}: ${result.summary}`);
      } else if (command === 'quit' || command === 'exit') {
        return void stop();
      } else if (command) {
        console.log(HELP);
      }
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
    }
    input.prompt();
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
