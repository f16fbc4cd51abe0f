import type { User } from "../domain/model.ts";
import { credentialTypesWhere } from "./credential-type-sql.ts";
import type { Queryable } from "./db.ts";
import { AUTHORIZATION_FENCED, CREDENTIAL_FENCED } from "./revocation-scope.ts";

export async function findUserByLogin(db: Queryable, login: string): Promise<User | null> {
  const [row] = await db.query<{ id: number; login: string; created_at: Date }>(
    "select id, login, created_at from users where lower(login) = lower($1)",
    [login],
  );
  return row ? { id: row.id, login: row.login, createdAt: row.created_at } : null;
}

export interface PublicKeyRow {
  id: number;
  public_key: string;
  title: string | null;
  created_at: Date;
}

const LIVE_KEYS_OF_USER = `
  from credentials c join users u on u.id = c.user_id
 where c.user_id = $1 and c.type in ${credentialTypesWhere((facts) => facts.prefix === null)}
   and c.destroyed_at is null and not ${CREDENTIAL_FENCED}`;

/**
 * The user's live SSH keys (not destroyed, and not behind an unsettled revocation that destroys
 * them), oldest first, and how many there are in all.
 */
export async function listPublicKeys(
  db: Queryable,
  userId: number,
  page: { limit: number; offset: number },
): Promise<{ rows: PublicKeyRow[]; total: number }> {
  const [count] = await db.query<{ total: number }>(`select count(*)::int as total ${LIVE_KEYS_OF_USER}`, [userId]);
  const rows = await db.query<PublicKeyRow>(
    `select c.id, c.public_key, c.title, c.created_at ${LIVE_KEYS_OF_USER} order by c.id limit $2 offset $3`,
    [userId, page.limit, page.offset],
  );
  return { rows, total: count?.total ?? 0 };
}

/** A credential as a test asserts on it: its state as every read path sees it, fence included. */
export interface CredentialStanding {
  id: number;
  type: string;
  note: string | null;
  token_last_eight: string | null;
  fingerprint: string | null;
  state: "live" | "destroyed" | "expired";
  created_at: Date;
  expires_at: Date | null;
  destroyed_at: Date | null;
  authorizations: {
    organization: string;
    state: "live" | "revoked";
    credential_authorized_at: Date;
    credential_accessed_at: Date | null;
    revoked_at: Date | null;
  }[];
}

/**
 * A user's credentials and their organization authorizations, newest first. A credential or an
 * authorization behind an unsettled revocation's fence is destroyed or revoked already: the job only
 * writes down what the 202 decided.
 */
export async function describeUserCredentials(db: Queryable, userId: number): Promise<CredentialStanding[]> {
  return db.query<CredentialStanding>(
    `select c.id, c.type, coalesce(c.note, c.title) as note, c.token_last_eight, c.fingerprint,
            case when c.destroyed_at is not null or ${CREDENTIAL_FENCED} then 'destroyed'
                 when c.expires_at <= credauth_now() then 'expired'
                 else 'live' end as state,
            c.created_at, c.expires_at, c.destroyed_at,
            coalesce((
              select json_agg(json_build_object(
                       'organization', o.login,
                       'state', case when a.revoked_at is not null or ${AUTHORIZATION_FENCED} then 'revoked' else 'live' end,
                       'credential_authorized_at', a.authorized_at,
                       'credential_accessed_at', a.accessed_at,
                       'revoked_at', a.revoked_at) order by o.login)
                from credential_authorizations a join organizations o on o.id = a.organization_id
               where a.credential_id = c.id), '[]') as authorizations
       from credentials c join users u on u.id = c.user_id
      where c.user_id = $1
      order by c.id desc`,
    [userId],
  );
}
