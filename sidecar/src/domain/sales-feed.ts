/** The window the sales feed's rate is counted over: "more than 10 a minute". */
export const SALES_FEED_WINDOW_MS = 60_000;

/**
 * What the sales feed does with the successful orders not yet posted to a channel: post each on its own,
 * post them as one message, or wait for the minute to pass. Pure: the caller counts what was posted to the
 * channel in the last minute and when the oldest of those posts went out.
 *
 * Up to `batchAbove` orders a minute are posted one by one. Above that, one message a minute: a burst
 * with nothing posted in the last minute goes out at once as one message, and further orders wait until
 * the oldest post of the last minute is a minute old, so a sustained rush gives one message a minute.
 */
export function salesFeedStep(input: {
  pending: number;
  /** Orders posted to the channel in the last minute (each order of a batched message counts). */
  postedLastMinute: number;
  /** When the oldest of those went out; null when none did. */
  oldestPostAt: Date | null;
  batchAbove: number;
  now: Date;
}): { action: 'none' } | { action: 'each' } | { action: 'batch' } | { action: 'wait'; until: Date } {
  if (input.pending === 0) return { action: 'none' };
  if (input.postedLastMinute + input.pending <= input.batchAbove) return { action: 'each' };
  if (input.postedLastMinute === 0 || !input.oldestPostAt) return { action: 'batch' };
  const until = new Date(input.oldestPostAt.getTime() + SALES_FEED_WINDOW_MS);
  return until <= input.now ? { action: 'batch' } : { action: 'wait', until };
}
