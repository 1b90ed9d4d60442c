/**
 * Is WordPress still reporting? The bridge sends a heartbeat every 5 minutes even when nothing sells, so
 * silence means the monitor is blind (the site is down, WP-Cron stopped, the bridge was deactivated), not
 * that the shop is quiet. Pure: the caller passes the last contact and the time.
 */
export const SILENCE_MINUTES = 15;

export interface ReportingResult {
  detector: 'reporting';
  breached: boolean;
  /** WordPress has never reported: the store is not connected yet, nothing to miss. */
  learning: boolean;
  silentMinutes: number | null;
  summary: string;
}

export function evaluateReporting(now: Date, lastContactAt: Date | null, thresholdMinutes = SILENCE_MINUTES): ReportingResult {
  if (!lastContactAt) {
    return { detector: 'reporting', breached: false, learning: true, silentMinutes: null, summary: 'WordPress has not reported yet' };
  }
  const silentMinutes = Math.max(0, Math.floor((now.getTime() - lastContactAt.getTime()) / 60_000));
  const breached = silentMinutes >= thresholdMinutes;
  return {
    detector: 'reporting',
    breached,
    learning: false,
    silentMinutes,
    summary: breached
      ? `WordPress has not reported for ${silentMinutes} minutes (it reports every 5)`
      : `WordPress reported ${silentMinutes === 0 ? 'less than a minute' : `${silentMinutes} min`} ago`,
  };
}
