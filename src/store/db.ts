// The one narrow database port. Everything above src/store talks to PostgreSQL through this
// interface, and it has exactly two implementations: a pg.Pool (postgres.ts) and an embedded
// PGlite (pglite.ts). Integration tests run unchanged on both.
import type { Db as BossDb } from "pg-boss";

/** The schema pg-boss keeps its queues and jobs in, beside credauth's tables. */
export const BOSS_SCHEMA = "pgboss";

export type Row = Record<string, unknown>;

export interface Queryable {
  /** One parameterised statement; values are never interpolated into text. */
  query<T extends object = Row>(text: string, values?: readonly unknown[]): Promise<T[]>;
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
   * Starts keeping reads exact across processes, after migration, in a process that serves: on
   * PostgreSQL it joins the other serving processes (store/cache-coherence.ts); embedded, where
   * this process sees every write, there is nothing to join. `onClockMoved` hears of the clock
   * another process moved (store/clock.ts), before that write is acknowledged.
   */
  startReadCache(log: ReadCacheLogger, onClockMoved?: (offsetMs: number) => void): Promise<void>;
  /**
   * A number that changes whenever data may have changed, or null when this process cannot vouch
   * for it (then nothing may be cached). Embedded PGlite belongs to one process, which sees every
   * write: the epoch moves after every transaction and every standalone statement that is not a
   * plain read, before the caller's promise resolves. On PostgreSQL it also moves with every write
   * another process announces, once the read cache has joined (null before, and while it cannot
   * hear the others). Writes that touched only the scopes in `unaffectedBy` do not move it
   * (store/write-scopes.ts); a write whose scopes are not known moves every epoch.
   */
  writeEpoch(unaffectedBy?: readonly string[]): number | null;
  /** How many statements and transactions that may have written this process has finished. */
  writesCommitted(): number;
  /**
   * Resolves once every process answering reads from a cache has seen every write this process
   * committed before the call (at once embedded, and on PostgreSQL without a read cache).
   */
  awaitWritesSeen(): Promise<void>;
  /** This process's connections (for metrics): how many are open, at work, and waited for. */
  connections(): ConnectionUse;
  close(): Promise<void>;
}

export interface ReadCacheLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * A statement that can only read: a single SELECT (or WITH … SELECT) with no data-modifying part, no
 * row lock (`for update`, `for share`) and no function known to write. Anything else counts as a
 * write; a false "write" only costs the read cache a miss, a false "read" would cost containment,
 * so the test leans one way.
 */
export function isPlainRead(sql: string): boolean {
  return (
    /^\s*(select|with)\b/i.test(sql) &&
    !/\b(insert|update|delete|merge|truncate|nextval|setval|share|pg_advisory\w*)\b|;/i.test(sql)
  );
}

/**
 * The one write no cached read depends on: a credential's last use of an SSO authorization
 * (organizations.ts), which a read records at most once a minute. It moves no read cache's epoch,
 * as the triggers of migration 9 do not announce it.
 */
export const RECORD_AUTHORIZATION_ACCESS =
  "update credential_authorizations set accessed_at = credauth_now() where id = any($1::bigint[])";

/** Whether a statement may change what a cached read answers. */
export function changesCachedReads(sql: string): boolean {
  return !isPlainRead(sql) && sql !== RECORD_AUTHORIZATION_ACCESS;
}

export interface ConnectionUse {
  /** Open now; PGlite has its one session. */
  open: number;
  /** Running a statement or holding a transaction. */
  busy: number;
  /** Callers waiting for a connection (a free pool client, or PGlite's single session). */
  waiting: number;
  /** The most this process opens. */
  max: number;
}

/**
 * The database cannot be reached right now (refused, dropped, shutting down, starting up). Not a
 * fault of the request: the API answers 503 with Retry-After, and the statement can be tried
 * again once the database is back. The driver's error is kept as `cause`, for the log.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "DatabaseUnavailableError";
  }
}

/** SQLSTATEs that mean the server or the connection went away, not that the statement was wrong. */
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown: the server is stopping (a restart)
  "57P02", // crash_shutdown: another backend crashed, this one was terminated
  "57P03", // cannot_connect_now: the server is starting up or in recovery
  "53300", // too_many_connections
]);
const CONNECTION_EXCEPTION_CLASS = "08";
const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
// node-postgres says these in words only.
const UNAVAILABLE_DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && code.startsWith(CONNECTION_EXCEPTION_CLASS)) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  return UNAVAILABLE_DRIVER_MESSAGES.test(error.message);
}
