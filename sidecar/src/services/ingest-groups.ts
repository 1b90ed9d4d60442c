import type { EventRepository, IngestRequest, IngestResult } from '../store/events';

interface Waiting {
  request: IngestRequest;
  resolve: (result: IngestResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the bridge's ingest: the requests that arrive while earlier ones are being written
 * are written together, in one transaction with the statements of one batch (EventRepository.ingestMany),
 * and each is answered once its group has committed, as before. With many stores sending at once, each
 * request cost ten statements and a commit of its own; in a group they share them.
 *
 * A group that fails (a replayed signature among them, a deadlock with another sidecar) is written again
 * one batch at a time, so one bad batch fails alone.
 */
export class IngestGroups {
  private readonly waiting: Waiting[] = [];
  private writing = 0;

  constructor(
    private readonly events: EventRepository,
    private readonly limits = {
      /** Groups written at once: the connection pool also serves checks, pages and the console. */
      parallel: 4,
      /** Events per group (a single batch larger than this is a group of its own). */
      maxEvents: 2_000,
    },
  ) {}

  ingest(request: IngestRequest): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.writing < this.limits.parallel && this.waiting.length > 0) {
      const group: Waiting[] = [this.waiting.shift()!];
      let events = group[0]!.request.events.length;
      while (this.waiting.length > 0 && events + this.waiting[0]!.request.events.length <= this.limits.maxEvents) {
        events += this.waiting[0]!.request.events.length;
        group.push(this.waiting.shift()!);
      }
      this.writing += 1;
      void this.write(group).finally(() => {
        this.writing -= 1;
        this.drain();
      });
    }
  }

  private async write(group: readonly Waiting[]): Promise<void> {
    try {
      const results = await this.events.ingestMany(group.map((g) => g.request));
      group.forEach((g, i) => g.resolve(results[i]!));
      return;
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
    }
    for (const g of group) {
      try {
        g.resolve((await this.events.ingestMany([g.request]))[0]!);
      } catch (error) {
        g.reject(error);
      }
    }
  }
}
