/** The window the sales feed's rate is counted over: "more than 10 a minute". */
export const SALES_FEED_WINDOW_MS = 60_000;

/**
 * What the sales feed does with the successful orders not yet posted to a channel: post each on its own,
 * post them as one message, or wait for the minute to pass. Pure: the caller counts what was posted to the
 * channel in the last minute and when the oldest of those posts went out.
 *
 * Up to `batchAbove` orders a minute are posted one by one. Above that, one message a minute: a burst
 * with nothing posted in the last minute goes out at once as one message; orders after a batched message
 * belong to the same rush and wait for its minute to pass, then go as the next message, until a whole
 * minute goes by without a batch. A trickle just over the rate waits for the oldest post of the minute
 * to leave it, then is counted again.
 */
export function salesFeedStep(input: {
  pending: number;
  /** Orders posted to the channel in the last minute (each order of a batched message counts). */
  postedLastMinute: number;
  /** When the oldest of those went out; null when none did. */
  oldestPostAt: Date | null;
  /** When the channel's last batched message went out, if within the last two minutes. */
  lastBatchAt: Date | null;
  batchAbove: number;
  now: Date;
}): { action: 'none' } | { action: 'each' } | { action: 'batch' } | { action: 'wait'; until: Date } {
  if (input.pending === 0) return { action: 'none' };
  const now = input.now.getTime();
  if (input.lastBatchAt && now - input.lastBatchAt.getTime() < 2 * SALES_FEED_WINDOW_MS) {
    const next = new Date(input.lastBatchAt.getTime() + SALES_FEED_WINDOW_MS);
    return next <= input.now ? { action: 'batch' } : { action: 'wait', until: next };
  }
  if (input.postedLastMinute + input.pending <= input.batchAbove) return { action: 'each' };
  if (input.postedLastMinute === 0 || !input.oldestPostAt) return { action: 'batch' };
  const until = new Date(input.oldestPostAt.getTime() + SALES_FEED_WINDOW_MS);
  return until <= input.now ? { action: 'batch' } : { action: 'wait', until };
}
