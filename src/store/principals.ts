import type { AuthenticatedCredential, Principal } from "../domain/model.ts";
import type { Db, Queryable } from "./db.ts";
import { type ExactRead, exactCache } from "./exact-cache.ts";
import { CREDENTIAL_FENCED } from "./revocation-scope.ts";

interface PrincipalRow {
  credential_id: number;
  type: AuthenticatedCredential["type"];
  scopes: string[];
  permissions: Record<string, string>;
  resource_owner: string | null;
  expires_at: Date | null;
  user_id: number;
  login: string;
  user_created_at: Date;
}

/** The authentication statement ($1: the token's hash), run on every authenticated request. */
// A fine-grained PAT the organization has not approved (or has revoked) reaches no resource owner.
export const PRINCIPAL_BY_TOKEN_HASH = `select c.id as credential_id, c.type, c.scopes, c.permissions,
            case when c.org_access = 'approved' then c.resource_owner end as resource_owner, c.expires_at,
            u.id as user_id, u.login, u.created_at as user_created_at
       from credentials c join users u on u.id = c.user_id
      where c.token_hash = $1 and c.destroyed_at is null
        and not ${CREDENTIAL_FENCED}`;

/**
 * The live credential with this token hash and its owner, or null. A credential that an unsettled
 * revocation will destroy is already dead here: this is the containment fence on authentication.
 * The hash is the lookup key itself (unique, indexed), so there is nothing further to compare.
 */
export async function findPrincipalByTokenHash(db: Queryable, tokenHash: Uint8Array): Promise<Principal | null> {
  const [row] = await db.query<PrincipalRow>(PRINCIPAL_BY_TOKEN_HASH, [tokenHash]);
  if (!row) return null;
  // Frozen: a cached principal is shared by every request that presents the same token.
  return Object.freeze({
    user: Object.freeze({ id: row.user_id, login: row.login, createdAt: row.user_created_at }),
    credential: Object.freeze({
      id: row.credential_id,
      type: row.type,
      scopes: Object.freeze([...row.scopes]) as string[],
      permissions: Object.freeze({ ...row.permissions }),
      resourceOwner: row.resource_owner,
      expiresAt: row.expires_at,
    }),
  });
}

export type PrincipalLookup = (tokenHash: Uint8Array) => Promise<Principal | null>;

/**
 * findPrincipalByTokenHash through the exact cache (store/exact-cache.ts). Only live principals
 * are kept; expiry is still checked on every request. The key is the hash the database stores
 * anyway, never the token.
 */
export function principalLookup(db: Db, read: ExactRead = exactCache(db)): PrincipalLookup {
  return (tokenHash) =>
    read(
      `principal ${Buffer.from(tokenHash).toString("base64")}`,
      () => findPrincipalByTokenHash(db, tokenHash),
      (found) => found !== null,
    );
}

export interface TokenStanding {
  /** It authenticates now (through the containment fence, as the API sees it). */
  works: boolean;
  /** Destroyed, for good. */
  destroyed: boolean;
  /** Organizations it holds a live SSO authorization for, and those whose authorization was revoked. */
  authorizedFor: string[];
  revokedFor: string[];
}

/** Where each token stands (the demo banner): null for a token credauth does not know. */
export async function describeTokens(db: Queryable, tokenHashes: Uint8Array[]): Promise<(TokenStanding | null)[]> {
  const rows = await db.query<{
    hash: Uint8Array;
    destroyed: boolean;
    authorized_for: string[];
    revoked_for: string[];
  }>(
    `select c.token_hash as hash, c.destroyed_at is not null as destroyed,
            coalesce(array_agg(o.login order by o.login) filter (where a.revoked_at is null and o.id is not null), '{}') as authorized_for,
            coalesce(array_agg(o.login order by o.login) filter (where a.revoked_at is not null), '{}') as revoked_for
       from credentials c
       left join credential_authorizations a on a.credential_id = c.id
       left join organizations o on o.id = a.organization_id
      where c.token_hash = any($1::bytea[])
      group by c.id`,
    [tokenHashes],
  );
  const byHash = new Map(rows.map((row) => [Buffer.from(row.hash).toString("hex"), row]));
  return Promise.all(
    tokenHashes.map(async (hash) => {
      const row = byHash.get(Buffer.from(hash).toString("hex"));
      if (!row) return null;
      return {
        works: (await findPrincipalByTokenHash(db, hash)) !== null,
        destroyed: row.destroyed,
        authorizedFor: row.authorized_for,
        revokedFor: row.revoked_for,
      };
    }),
  );
}
