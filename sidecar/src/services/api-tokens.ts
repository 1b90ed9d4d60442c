import { randomBytes } from 'node:crypto';
import type { ApiTokenRecord, ApiTokenRepository, TokenScope } from '../store/api-tokens';
import type { StoreRepository } from '../store/stores';
import { OperatorError, sha256 } from './operator-accounts';

export const TOKEN_PREFIX = 'woomtk_';

/** API tokens: created (shown once), listed with their last use, revoked; a request's bearer checked. */
export class ApiTokens {
  constructor(
    private readonly tokens: ApiTokenRepository,
    private readonly stores: StoreRepository,
  ) {}

  async create(input: { name: string; scope: string; storeId?: string | null; createdBy: string }): Promise<{ token: string; record: ApiTokenRecord }> {
    const name = input.name.trim();
    if (!name || name.length > 100) throw new OperatorError('is required, at most 100 characters', 'name');
    if (input.scope !== 'read' && input.scope !== 'write') throw new OperatorError(`must be read or write (got "${input.scope}")`, 'scope');
    const storeId = input.storeId?.trim() || null;
    if (storeId && !(await this.stores.find(storeId))) throw new OperatorError(`No store with id ${storeId}`, 'store_id');
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record = await this.tokens.create({ name, scope: input.scope as TokenScope, storeId, tokenHash: sha256(token), hint: token.slice(0, TOKEN_PREFIX.length + 4), createdBy: input.createdBy });
    return { token, record };
  }

  list(): Promise<ApiTokenRecord[]> {
    return this.tokens.list();
  }

  revoke(id: number): Promise<boolean> {
    return this.tokens.revoke(id);
  }

  /** The token a bearer names, if it is one of ours and not revoked; records its use. */
  async authenticate(bearer: string, now = new Date()): Promise<ApiTokenRecord | null> {
    if (!bearer.startsWith(TOKEN_PREFIX) || bearer.length > 200) return null;
    const record = await this.tokens.findActiveByHash(sha256(bearer));
    if (record) await this.tokens.touch(record.id, now);
    return record;
  }
}
