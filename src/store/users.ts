import type { User } from "../domain/model.ts";
import type { Queryable } from "./db.ts";

export async function findUserByLogin(db: Queryable, login: string): Promise<User | null> {
  const [row] = await db.query<{ id: number; login: string; created_at: Date }>(
    "select id, login, created_at from users where lower(login) = lower($1)",
    [login],
  );
  return row ? { id: row.id, login: row.login, createdAt: row.created_at } : null;
}
