import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/** MariaDB's "duplicate key" error: the signature is already on record. */
const DUPLICATE_KEY = 'ER_DUP_ENTRY';

/**
 * Remembers the signatures of accepted state changes until their timestamp leaves the signature
 * window. MariaDB rather than Redis: a state change needs MariaDB anyway, and ingest must keep working
 * while Redis is down.
 */
export class SignedRequestRepository {
  constructor(private readonly db: Knex) {}

  private static hash(storeId: string, signature: string): Buffer {
    return createHash('sha256').update(`${storeId}\n${signature}`).digest();
  }

  /** False when this signature was used before (a replay). */
  async claim(storeId: string, signature: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.db('signed_requests').insert({ signature_hash: SignedRequestRepository.hash(storeId, signature), store_id: storeId, expires_at: expiresAt });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  /** A request that changed nothing (refused, or failed) may be sent again as it was. */
  async release(storeId: string, signature: string): Promise<void> {
    await this.db('signed_requests').where({ signature_hash: SignedRequestRepository.hash(storeId, signature) }).delete();
  }

  async prune(now: Date): Promise<number> {
    return this.db('signed_requests').where('expires_at', '<', now).delete();
  }
}
