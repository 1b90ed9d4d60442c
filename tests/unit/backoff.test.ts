import { describe, expect, it } from 'vitest';
import { cappedBackoff } from '../../sidecar/src/queue/notification-queue';

describe('e-mail retry back-off', () => {
  it('doubles from the base and stops at the cap', () => {
    const delay = cappedBackoff({ attempts: 60, backoffMs: 30_000, maxBackoffMs: 600_000 });
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(delay)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000]);
  });
});
