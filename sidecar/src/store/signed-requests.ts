import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/** MariaDB's "duplicate key" error: the signature is already on record. */
const DUPLICATE_KEY = 'ER_DUP_ENTRY';

/** A signature to record, and until when (its timestamp's end of the signature window). */
export interface SignatureClaim {
  signature: string;
  expiresAt: Date;
}

/** The signed request was accepted before: the transaction that claimed it again must change nothing. */
export class ReplayedRequestError extends Error {
  constructor() {
    super('This signed request was already accepted');
  }
}

const signatureHash = (storeId: string, signature: string): Buffer => createHash('sha256').update(`${storeId}\n${signature}`).digest();

/**
 * Records the signature, in the caller's transaction when given one; throws ReplayedRequestError when it
 * is on record.
 */
export async function claimSignature(db: Knex, storeId: string, claim: SignatureClaim): Promise<void> {
  await claimSignatures(db, [{ storeId, claim }]);
}

/** Several stores' signatures in one statement; throws ReplayedRequestError when any is on record. */
export async function claimSignatures(db: Knex, claims: ReadonlyArray<{ storeId: string; claim: SignatureClaim }>): Promise<void> {
  if (claims.length === 0) return;
  try {
    await db('signed_requests').insert(claims.map(({ storeId, claim }) => ({ signature_hash: signatureHash(storeId, claim.signature), store_id: storeId, expires_at: claim.expiresAt })));
  } catch (error) {
    if ((error as { code?: string }).code === DUPLICATE_KEY) throw new ReplayedRequestError();
    throw error;
  }
}

/**
 * Remembers the signatures of accepted state changes until their timestamp leaves the signature
 * window. MariaDB rather than Redis: a state change needs MariaDB anyway, and ingest must keep working
 * while Redis is down.
 */
export class SignedRequestRepository {
  constructor(private readonly db: Knex) {}

  /** False when this signature was used before (a replay). */
  async claim(storeId: string, signature: string, expiresAt: Date): Promise<boolean> {
    try {
      await claimSignature(this.db, storeId, { signature, expiresAt });
      return true;
    } catch (error) {
      if (error instanceof ReplayedRequestError) return false;
      throw error;
    }
  }

  /** A request that changed nothing (refused, or failed) may be sent again as it was. */
  async release(storeId: string, signature: string): Promise<void> {
    await this.db('signed_requests').where({ signature_hash: signatureHash(storeId, signature) }).delete();
  }

  async prune(now: Date): Promise<number> {
    return this.db('signed_requests').where('expires_at', '<', now).delete();
  }
}
