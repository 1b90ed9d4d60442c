import { isPeakTime, localTime } from '../domain/time';
import type { Settings } from '../domain/settings';
import type { HourlyCount } from '../store/reports';

/** Geometry of the 24-hour chart, computed here so the template only places numbers. */
export interface HourlyChart {
  width: number;
  height: number;
  plotTop: number;
  plotBottom: number;
  yMax: number;
  bars: Array<{ x: number; successY: number; successHeight: number; failedX: number; failedY: number; failedHeight: number; label: string; successful: number; failed: number }>;
  ticks: Array<{ x: number; label: string }>;
  gridLines: Array<{ y: number; label: number }>;
  thresholdPath: string | null;
  barWidth: number;
  description: string;
}

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 36;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 190;

/**
 * Orders of the last 24 hours per hour, successful and failed apart, with the time-based threshold
 * scaled from "per check interval" to "per hour" for each hour's peak or off-peak period.
 */
export function hourlyChart(counts: readonly HourlyCount[], settings: Settings, now: Date): HourlyChart {
  const currentHour = Math.floor(now.getTime() / 3600_000);
  const byHour = new Map(counts.map((c) => [Math.floor(c.hour.getTime() / 3600_000), c]));
  const hours = Array.from({ length: 24 }, (_, i) => currentHour - 23 + i);
  const perHour = 60 / settings.check_interval_minutes;
  const showThreshold = settings.mode !== 'rolling_average';
  const thresholds = hours.map((hour) => {
    const middle = new Date(hour * 3600_000 + 1800_000);
    const peak = isPeakTime(middle, settings.timezone, { start: settings.peak_start, end: settings.peak_end, weekdays: settings.peak_weekdays });
    return (peak ? settings.threshold_peak : settings.threshold_off_peak) * perHour;
  });
  const values = hours.map((hour) => byHour.get(hour) ?? { successful: 0, failed: 0 });
  const yMax = niceCeiling(Math.max(1, ...values.map((v) => Math.max(v.successful, v.failed)), ...(showThreshold ? thresholds : [])));
  const slot = (WIDTH - LEFT - RIGHT) / 24;
  const barWidth = Math.max(2, slot / 2 - 2);
  const y = (value: number) => BOTTOM - (value / yMax) * (BOTTOM - TOP);
  const hourLabel = (hour: number) => String(Math.floor(localTime(new Date(hour * 3600_000), settings.timezone).minuteOfDay / 60)).padStart(2, '0');

  const bars = hours.map((hour, i) => {
    const x = LEFT + i * slot + 1;
    const v = values[i]!;
    return {
      x: round(x),
      successY: round(y(v.successful)),
      successHeight: round(BOTTOM - y(v.successful)),
      failedX: round(x + barWidth + 1),
      failedY: round(y(v.failed)),
      failedHeight: round(BOTTOM - y(v.failed)),
      label: `${hourLabel(hour)}:00`,
      successful: v.successful,
      failed: v.failed,
    };
  });
  const thresholdPath = showThreshold
    ? thresholds.map((t, i) => `${i === 0 ? 'M' : 'L'}${round(LEFT + i * slot)},${round(y(t))} L${round(LEFT + (i + 1) * slot)},${round(y(t))}`).join(' ')
    : null;
  const total = values.reduce((sum, v) => ({ successful: sum.successful + v.successful, failed: sum.failed + v.failed }), { successful: 0, failed: 0 });
  return {
    width: WIDTH,
    height: HEIGHT,
    plotTop: TOP,
    plotBottom: BOTTOM,
    yMax,
    bars,
    ticks: hours.flatMap((hour, i) => (i % 3 === 0 ? [{ x: round(LEFT + i * slot + slot / 2), label: `${hourLabel(hour)}:00` }] : [])),
    gridLines: [0, 0.5, 1].map((f) => ({ y: round(y(yMax * f)), label: round(yMax * f) })),
    thresholdPath,
    barWidth: round(barWidth),
    description: `Last 24 hours: ${total.successful} successful and ${total.failed} failed orders${showThreshold ? '; the dashed line is the time-based threshold per hour' : ''}.`,
  };
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** A 24-hour sparkline small enough for the WordPress dashboard widget: one point per hour. */
export interface Sparkline {
  width: number;
  height: number;
  /** SVG polyline points of the successful orders per hour, oldest first. */
  points: string;
  /** Hours with failed orders, as x positions of red marks. */
  failedAt: number[];
  successful: number;
  failed: number;
  description: string;
}

const SPARK_WIDTH = 240;
const SPARK_HEIGHT = 40;

export function sparkline(counts: readonly HourlyCount[], now: Date): Sparkline {
  const currentHour = Math.floor(now.getTime() / 3600_000);
  const byHour = new Map(counts.map((c) => [Math.floor(c.hour.getTime() / 3600_000), c]));
  const values = Array.from({ length: 24 }, (_, i) => byHour.get(currentHour - 23 + i) ?? { successful: 0, failed: 0 });
  const max = Math.max(1, ...values.map((v) => v.successful));
  const x = (i: number) => round((i / 23) * (SPARK_WIDTH - 4) + 2);
  const y = (v: number) => round(SPARK_HEIGHT - 4 - (v / max) * (SPARK_HEIGHT - 8));
  const successful = values.reduce((s, v) => s + v.successful, 0);
  const failed = values.reduce((s, v) => s + v.failed, 0);
  return {
    width: SPARK_WIDTH,
    height: SPARK_HEIGHT,
    points: values.map((v, i) => `${x(i)},${y(v.successful)}`).join(' '),
    failedAt: values.flatMap((v, i) => (v.failed > 0 ? [x(i)] : [])),
    successful,
    failed,
    description: `Last 24 hours: ${successful} paid ${successful === 1 ? 'order' : 'orders'}, ${failed} failed.`,
  };
}
