import type { User } from "../domain/model.ts";
import { credentialTypesWhere } from "./credential-type-sql.ts";
import type { Queryable } from "./db.ts";
import { CREDENTIAL_FENCED } from "./revocation-scope.ts";

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
