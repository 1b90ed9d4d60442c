import type { Knex } from 'knex';

export type IdempotencyClaim =
  | { state: 'claimed'; id: number }
  | { state: 'replay'; status: number; body: string }
  | { state: 'in_progress' }
  | { state: 'mismatch' };

/** How long a key is remembered: a client retrying a request after a day is making a new one. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/**
 * Idempotency-Key on creating POSTs: the first request with a key claims it (a row without a response),
 * the response is saved on it, and a retry with the same key and body gets that response again.
 */
export class IdempotencyRepository {
  constructor(private readonly db: Knex) {}

  async claim(caller: string, key: string, requestHash: string, now = new Date()): Promise<IdempotencyClaim> {
    await this.db('api_idempotency').where('created_at', '<', new Date(now.getTime() - IDEMPOTENCY_TTL_MS)).delete();
    try {
      const [id] = await this.db('api_idempotency').insert({ caller, idem_key: key, request_hash: requestHash, created_at: now });
      return { state: 'claimed', id: Number(id) };
    } catch (error) {
      if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
    }
    const row = await this.db('api_idempotency').where({ caller, idem_key: key }).first();
    if (!row) return { state: 'in_progress' };
    if (row.request_hash !== requestHash) return { state: 'mismatch' };
    if (row.status === null) return { state: 'in_progress' };
    return { state: 'replay', status: Number(row.status), body: row.body as string };
  }

  async complete(id: number, status: number, body: string): Promise<void> {
    await this.db('api_idempotency').where({ id }).update({ status, body });
  }

  /** A request that failed unexpectedly frees its key, so the retry runs. */
  async release(id: number): Promise<void> {
    await this.db('api_idempotency').where({ id }).whereNull('status').delete();
  }
}
