/**
 * What the bridge's hooks add to an order change, in real WordPress 7.0.4 with the real WooCommerce
 * 11.0.1 (HPOS) and MariaDB: 1,000 orders created (`woocommerce_new_order`, by `wc_create_order()`),
 * 1,000 status changes (`woocommerce_order_status_changed`) and 1,000 later saves of orders the sidecar
 * already knows, with a new total (`woocommerce_update_order`: one primary-key read, one order.updated).
 * Markers at the first and last priority of each hook time the
 * callbacks in between (the bridge's), with hrtime, inside WordPress; the same is measured with the
 * bridge's callbacks removed, as the baseline. Also timed: the once-per-request Action Scheduler
 * enqueue the bridge does at shutdown (outside the hook).
 */
import { startWordPress, WOOCOMMERCE_VERSION } from '../../scripts/lib/wordpress';

const ORDERS = 1000;

interface Samples {
  new_order: number[];
  status_changed: number[];
  update_order: number[];
  update_order_baseline: number[];
  new_order_baseline: number[];
  status_changed_baseline: number[];
  shutdown_enqueue: number[];
  outbox_rows: number;
  outbox_types: unknown;
  wordpress: string;
  php: string;
  mariadb: string;
}

function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index]!;
}

function summary(name: string, ns: number[]): string {
  const ms = ns.map((n) => n / 1e6).sort((a, b) => a - b);
  return `${name.padEnd(44)} n=${String(ms.length).padStart(4)}  median ${percentile(ms, 50).toFixed(3)} ms  p99 ${percentile(ms, 99).toFixed(3)} ms  max ${percentile(ms, 100).toFixed(3)} ms`;
}

const PHP = `
use Woom\\Bridge\\Plugin;
global $wpdb;
$n = ${ORDERS};
$timer = new class {
  public int $start = 0;
  public array $samples = [];
  public function begin(...$args) { $this->start = hrtime(true); }
  public function end(...$args) { $this->samples[] = hrtime(true) - $this->start; }
};
$bench = function (string $hook, callable $body, ?callable $after_begin = null) use ($timer, $n): array {
  $timer->samples = [];
  add_action($hook, [$timer, 'begin'], PHP_INT_MIN, 4);
  add_action($hook, [$timer, 'end'], PHP_INT_MAX, 4);
  if ($after_begin) { $after_begin(); }
  for ($i = 0; $i < $n; $i++) { $body($i); }
  remove_action($hook, [$timer, 'begin'], PHP_INT_MIN);
  remove_action($hook, [$timer, 'end'], PHP_INT_MAX);
  return $timer->samples;
};
$statuses = ['processing', 'completed', 'failed', 'cancelled', 'on-hold', 'refunded'];
$plugin = Plugin::instance();
$out = [];
$ids = [];
// The bridge hears of a new order first of all (PHP_INT_MIN): put it back behind the timer's start.
$out['new_order'] = $bench('woocommerce_new_order', function ($i) use (&$ids) {
  $ids[] = wc_create_order(['status' => 'pending', 'created_via' => 'checkout'])->get_id();
}, function () use ($plugin) {
  remove_action('woocommerce_new_order', [$plugin->listener, 'on_new_order'], PHP_INT_MIN);
  add_action('woocommerce_new_order', [$plugin->listener, 'on_new_order'], PHP_INT_MIN, 2);
});
$out['status_changed'] = $bench('woocommerce_order_status_changed', function ($i) use ($ids, $statuses) {
  wc_get_order($ids[$i])->update_status($statuses[$i % count($statuses)]);
});
// As if the sidecar had acknowledged them: what it was sent is on record, and a new total differs from it.
$known = [];
foreach ($ids as $id) { $known[$id] = ['total' => '0', 'currency' => get_woocommerce_currency(), 'payment_method' => '', 'created_via' => 'checkout']; }
$plugin->reported->put($known);
// Later saves come in later requests: forget that these orders were created in this one (the listener
// leaves an order created in the same request to be refreshed when it is sent).
(function () { $this->created = []; })->call($plugin->listener);
$out['update_order'] = $bench('woocommerce_update_order', function ($i) use ($ids) {
  $o = wc_get_order($ids[$i]); $o->set_total('19.90'); $o->save();
});
$out['outbox_rows'] = (int) $wpdb->get_var("SELECT COUNT(*) FROM {$wpdb->prefix}woom_outbox");
$out['outbox_types'] = $wpdb->get_results("SELECT JSON_VALUE(payload, '$.type') AS type, COUNT(*) AS n FROM {$wpdb->prefix}woom_outbox GROUP BY type");

remove_action('woocommerce_new_order', [$plugin->listener, 'on_new_order'], PHP_INT_MIN);
remove_action('woocommerce_order_status_changed', [$plugin->listener, 'on_status_changed'], 10);
remove_action('woocommerce_update_order', [$plugin->listener, 'on_update_order'], 10);
$base_ids = [];
$out['new_order_baseline'] = $bench('woocommerce_new_order', function ($i) use (&$base_ids) {
  $base_ids[] = wc_create_order(['status' => 'pending', 'created_via' => 'checkout'])->get_id();
});
$out['status_changed_baseline'] = $bench('woocommerce_order_status_changed', function ($i) use ($base_ids, $statuses) {
  wc_get_order($base_ids[$i])->update_status($statuses[$i % count($statuses)]);
});
$out['update_order_baseline'] = $bench('woocommerce_update_order', function ($i) use ($base_ids) {
  $o = wc_get_order($base_ids[$i]); $o->set_total('19.90'); $o->save();
});

$out['shutdown_enqueue'] = [];
for ($i = 0; $i < $n; $i++) {
  $wpdb->query("UPDATE {$wpdb->prefix}actionscheduler_actions SET status = 'complete' WHERE status = 'pending' AND hook = 'woom_drain_outbox_async'");
  $t = hrtime(true);
  $plugin->scheduler->enqueue_drain();
  $out['shutdown_enqueue'][] = hrtime(true) - $t;
}
$out['wordpress'] = get_bloginfo('version');
$out['php'] = PHP_VERSION;
$out['mariadb'] = (string) $wpdb->get_var('SELECT VERSION()');
echo "\\n@@BENCH@@" . wp_json_encode($out);
`;

export async function benchWordPressHooks(): Promise<void> {
  const wp = await startWordPress();
  try {
    const started = Date.now();
    const output = await wp.php(PHP);
    const marker = output.indexOf('@@BENCH@@');
    if (marker < 0) throw new Error(`the benchmark script printed no result:\n${output.slice(-2000)}\n${await wp.logs()}`);
    const s = JSON.parse(output.slice(marker + '@@BENCH@@'.length)) as Samples;
    if (s.outbox_rows !== 3 * ORDERS) throw new Error(`expected ${3 * ORDERS} outbox rows, found ${s.outbox_rows}: ${JSON.stringify(s.outbox_types)}`);
    console.log(
      `\nWordPress hooks: real WordPress ${s.wordpress} + WooCommerce ${WOOCOMMERCE_VERSION} (HPOS), PHP ${s.php}, MariaDB ${s.mariadb}, ${ORDERS} new orders + ${ORDERS} status changes + ${ORDERS} later saves (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    console.log(summary('woocommerce_order_status_changed, bridge', s.status_changed));
    console.log(summary('woocommerce_order_status_changed, no bridge', s.status_changed_baseline));
    console.log(summary('woocommerce_new_order, bridge', s.new_order));
    console.log(summary('woocommerce_new_order, no bridge', s.new_order_baseline));
    console.log(summary('woocommerce_update_order, bridge', s.update_order));
    console.log(summary('woocommerce_update_order, no bridge', s.update_order_baseline));
    console.log(summary('once per request at shutdown (AS enqueue)', s.shutdown_enqueue));
    console.log('Aim: median < 1 ms per hook (specification: < 10 ms). The hook callbacks write one outbox row; no network.');
  } finally {
    await wp.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchWordPressHooks().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
