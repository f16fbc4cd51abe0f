import type { AuthenticatedCredential, Principal } from "../domain/model.ts";
import type { Queryable } from "./db.ts";
import { CREDENTIAL_FENCED } from "./revocation-scope.ts";

interface PrincipalRow {
  credential_id: number;
  type: AuthenticatedCredential["type"];
  scopes: string[];
  permissions: Record<string, string>;
  resource_owner: string | null;
  expires_at: Date | null;
  token_hash: Uint8Array;
  user_id: number;
  login: string;
  user_created_at: Date;
  [key: string]: unknown;
}

/**
 * The live credential with this token hash and its owner, or null. A credential that an unsettled
 * revocation will destroy is already dead here: this is the containment fence on authentication.
 */
export async function findPrincipalByTokenHash(
  db: Queryable,
  tokenHash: Uint8Array,
): Promise<{ principal: Principal; storedHash: Uint8Array } | null> {
  const [row] = await db.query<PrincipalRow>(
    `select c.id as credential_id, c.type, c.scopes, c.permissions, c.resource_owner, c.expires_at, c.token_hash,
            u.id as user_id, u.login, u.created_at as user_created_at
       from credentials c join users u on u.id = c.user_id
      where c.token_hash = $1 and c.destroyed_at is null and c.type <> 'ssh_key'
        and not ${CREDENTIAL_FENCED}`,
    [tokenHash],
  );
  if (!row) return null;
  return {
    storedHash: row.token_hash,
    principal: {
      user: { id: row.user_id, login: row.login, createdAt: row.user_created_at },
      credential: {
        id: row.credential_id,
        type: row.type,
        scopes: row.scopes,
        permissions: row.permissions,
        resourceOwner: row.resource_owner,
        expiresAt: row.expires_at,
      },
    },
  };
}
