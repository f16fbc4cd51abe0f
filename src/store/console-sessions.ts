// Console sessions: created at sign-in, found by the hash of the cookie's id, ended at sign-out or
// expiry. The session id itself is never stored.
import type { Queryable } from "./db.ts";

export type SessionKind = "token" | "admin";

export interface StoredSession {
  kind: SessionKind;
  /**
   * The signed-in token's hash: a GitHub token's is looked up through the fence on every request, the
   * site-admin token's compared with the configured one.
   */
  tokenHash: Uint8Array;
  expiresAt: Date;
}

/** Stores a session; sessions already expired are removed on the way. */
export async function insertSession(
  db: Queryable,
  idHash: Uint8Array,
  session: { kind: SessionKind; tokenHash: Uint8Array; ttlSeconds: number },
): Promise<void> {
  await db.query(
    `with expired as (delete from console_sessions where expires_at < credauth_now())
     insert into console_sessions (id_hash, kind, token_hash, expires_at)
     values ($1, $2, $3, credauth_now() + make_interval(secs => $4))`,
    [idHash, session.kind, session.tokenHash, session.ttlSeconds],
  );
}

/** The live session with this id hash, or null (none, or expired). */
export async function findSession(db: Queryable, idHash: Uint8Array): Promise<StoredSession | null> {
  const [row] = await db.query<{ kind: SessionKind; token_hash: Uint8Array; expires_at: Date }>(
    "select kind, token_hash, expires_at from console_sessions where id_hash = $1 and expires_at > credauth_now()",
    [idHash],
  );
  return row ? { kind: row.kind, tokenHash: row.token_hash, expiresAt: row.expires_at } : null;
}

export async function deleteSession(db: Queryable, idHash: Uint8Array): Promise<void> {
  await db.query("delete from console_sessions where id_hash = $1", [idHash]);
}

/** Removes every expired session; how many. (A worker does so at start and hourly.) */
export async function deleteExpiredSessions(db: Queryable): Promise<number> {
  const rows = await db.query<{ id_hash: Uint8Array }>(
    "delete from console_sessions where expires_at < credauth_now() returning id_hash",
  );
  return rows.length;
}
