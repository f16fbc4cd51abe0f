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
  /**
   * A number that changes whenever data may have changed, or null when this process cannot know.
   * Embedded PGlite belongs to one process, which sees every write: the epoch moves after every
   * transaction and every standalone statement that is not a plain read, before the caller's
   * promise resolves. On PostgreSQL other processes write too, so there is no epoch.
   */
  writeEpoch(): number | null;
  close(): Promise<void>;
}
