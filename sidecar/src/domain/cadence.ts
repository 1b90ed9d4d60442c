import type { Baseline } from './baseline';
import { checkCadenceMinutes, type Settings } from './settings';

/**
 * How often an adaptive store's scheduled check runs, from its volume. A check can only change the answer
 * as fast as a stop can be detected at all: never before about STOP_EVIDENCE_ORDERS orders were expected
 * and none came, at the store's busiest hour. A store that sells a hundred an hour can be seen to stop in
 * minutes and is checked every minute; one that sells ten a day needs hours of silence before any budget
 * lets it speak, and checking it every 15 minutes delays that by under a tenth. Order events still bring
 * an immediate check (the failure test), and the fixed modes keep their own check_interval_minutes.
 */
export const STOP_EVIDENCE_ORDERS = 3;

/** Check every minute while the fastest possible stop detection takes under this many minutes... */
const EVERY_MINUTE_BELOW = 60;
/** ...else the largest of these steps that is at most a twelfth of it. */
const STEPS = [5, 10, 15] as const;
const SHARE_OF_DETECTION = 12;

/** Minutes of silence at the busiest hour before a stop could first be told from chance. */
export function minimumStopDetectionMinutes(baseline: Pick<Baseline, 'ratePerHour'>): number {
  let peak = 0;
  for (const rate of baseline.ratePerHour) peak = Math.max(peak, rate);
  return peak > 0 ? (60 * STOP_EVIDENCE_ORDERS) / peak : Number.POSITIVE_INFINITY;
}

/**
 * Minutes between scheduled checks, given minimumStopDetectionMinutes of the store's baseline (null: no
 * baseline built yet, so every minute until the first check has learnt the volume).
 */
export function volumeCadenceMinutes(settings: Pick<Settings, 'mode' | 'check_interval_minutes'>, detection: number | null): number {
  const configured = checkCadenceMinutes(settings);
  if (settings.mode !== 'adaptive' || detection === null) return configured;
  if (detection < EVERY_MINUTE_BELOW) return configured;
  const wanted = Math.max(...STEPS.filter((step) => step * SHARE_OF_DETECTION <= detection), STEPS[0]);
  // check_interval_minutes stays an upper bound an admin can set.
  return Math.max(configured, Math.min(wanted, settings.check_interval_minutes));
}

/** The sentence the settings and status pages show. */
export function cadenceSentence(minutes: number, mode: Settings['mode']): string {
  const every = minutes === 1 ? 'every minute' : `every ${minutes} minutes`;
  if (mode !== 'adaptive') return `Checked ${every} (the check interval), and right after new orders.`;
  return minutes === 1
    ? 'Checked every minute: at this store’s volume a stop can show within the hour. New orders bring a check at once.'
    : `Checked ${every}: at this store’s volume a stop takes hours to tell from a quiet spell, so checking more often would not find it sooner. New orders bring a check at once.`;
}
