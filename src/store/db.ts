// The one narrow database port. Everything above src/store talks to PostgreSQL through this
// interface, and it has exactly two implementations: a pg.Pool (postgres.ts) and an embedded
// PGlite (pglite.ts). Integration tests run unchanged on both.
import type { Db as BossDb } from "pg-boss";

export type Row = Record<string, unknown>;

export interface Queryable {
  /** One parameterised statement; values are never interpolated into text. */
  query<T extends Row = Row>(text: string, values?: readonly unknown[]): Promise<T[]>;
  /** The same session as a pg-boss database, so a job can be sent inside our transaction. */
  asBossDb(): BossDb;
}

export interface Db extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction on one session; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATE codes we react to, by name (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SQLSTATE = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  checkViolation: "23514",
} as const;

export function sqlState(error: unknown): string | undefined {
  if (error !== null && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}
