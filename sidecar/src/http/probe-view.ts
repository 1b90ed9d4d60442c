import { formatUptime, PROBE_TARGETS, TARGET_LABELS, uptimePct, type ProbeResult, type ProbeTarget } from '../domain/probe';
import type { Settings } from '../domain/settings';
import { formatLocal, localTime } from '../domain/time';
import type { ProbeRepository, UptimeCounts } from '../store/probes';

const DAY_MS = 86_400_000;
const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 190;
// Colour and dash both tell the lines apart, so the chart does not rely on colour alone.
const LINE_STYLE: Record<ProbeTarget, { color: string; dash: string }> = {
  home: { color: '#2271b1', dash: '' },
  store_api: { color: '#8a4baf', dash: '2 2' },
  cart: { color: '#00a32a', dash: '6 3' },
  checkout: { color: '#b26200', dash: '10 3 2 3' },
};

/** The status page's "Store probe" section: uptime over 24 h and 30 days, the latest run, response times. */
export async function probeSection(probes: ProbeRepository, storeId: string, settings: Settings, now: Date) {
  const [day, month, results] = await Promise.all([
    probes.uptime(storeId, new Date(now.getTime() - DAY_MS)),
    probes.uptime(storeId, new Date(now.getTime() - 30 * DAY_MS)),
    probes.since(storeId, new Date(now.getTime() - DAY_MS)),
  ]);
  const latestAt = results.length ? Math.max(...results.map((r) => r.at.getTime())) : null;
  const lastRun = PROBE_TARGETS.map((target) => [...results].reverse().find((r) => r.target === target)).filter((r): r is ProbeResult => Boolean(r));
  return {
    enabled: settings.enabled && settings.probe_enabled,
    interval: settings.probe_interval_minutes,
    failuresToAlert: settings.probe_failures_to_alert,
    uptime: [
      { label: 'Whole store (every page passed)', day: formatUptime(uptimePct(day.runs.total, day.runs.passed)), month: formatUptime(uptimePct(month.runs.total, month.runs.passed)) },
      ...PROBE_TARGETS.map((target) => ({ label: TARGET_LABELS[target], day: uptimeOf(day, target), month: uptimeOf(month, target) })),
    ],
    lastRunAt: latestAt === null ? null : formatLocal(new Date(latestAt), settings.timezone),
    lastRun: lastRun.map((r) => ({ label: TARGET_LABELS[r.target], ok: r.ok, detail: r.detail, url: r.url })),
    chart: results.length ? responseTimeChart(results, settings.timezone, now) : null,
  };
}

function uptimeOf(counts: UptimeCounts, target: ProbeTarget): string {
  const row = counts.byTarget.find((r) => r.target === target);
  return formatUptime(row ? uptimePct(row.total, row.passed) : null);
}

/** Time to first byte of each page over the last 24 hours, with the failed probes marked below the axis. */
export function responseTimeChart(results: readonly ProbeResult[], timezone: string, now: Date) {
  const start = now.getTime() - DAY_MS;
  const answered = results.filter((r) => r.ttfbMs !== null);
  const yMax = niceCeiling(Math.max(100, ...answered.map((r) => r.ttfbMs!)));
  const x = (at: Date) => round(LEFT + ((at.getTime() - start) / DAY_MS) * (WIDTH - LEFT - RIGHT));
  const y = (ms: number) => round(BOTTOM - (ms / yMax) * (BOTTOM - TOP));
  const lines = PROBE_TARGETS.map((target) => {
    const points = answered.filter((r) => r.target === target && r.ok);
    return {
      label: TARGET_LABELS[target],
      ...LINE_STYLE[target],
      path: points.map((r, i) => `${i === 0 ? 'M' : 'L'}${x(r.at)},${y(r.ttfbMs!)}`).join(' '),
    };
  }).filter((line) => line.path !== '');
  const failures = results.filter((r) => !r.ok).map((r) => ({ x: x(r.at), title: `${formatLocal(r.at, timezone)} ${TARGET_LABELS[r.target]}: ${r.detail}` }));
  // Every 3 hours from 24 hours ago; "now" at the right edge would be cut off.
  const ticks = Array.from({ length: 8 }, (_, i) => {
    const at = new Date(start + (i * DAY_MS) / 8);
    const minute = localTime(at, timezone).minuteOfDay;
    return { x: x(at), label: `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}` };
  });
  const median = (values: number[]) => (values.length ? [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]! : null);
  const checkoutMedian = median(answered.filter((r) => r.target === 'checkout' && r.ok).map((r) => r.ttfbMs!));
  return {
    width: WIDTH,
    height: HEIGHT,
    lines,
    failures,
    failureY: BOTTOM + 2,
    ticks,
    gridLines: [0, 0.5, 1].map((f) => ({ y: y(yMax * f), label: `${round(yMax * f)} ms` })),
    description:
      `Time to first byte of each probed page over the last 24 hours (up to ${yMax} ms)` +
      `${checkoutMedian === null ? '' : `; checkout median ${checkoutMedian} ms`}; ${failures.length} failed ${failures.length === 1 ? 'probe' : 'probes'} marked in red below the axis.`,
  };
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const round = (n: number) => Math.round(n * 10) / 10;
