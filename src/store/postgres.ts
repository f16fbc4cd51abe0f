import pg from "pg";
import { CacheCoherence } from "./cache-coherence.ts";
import { changesCachedReads, DatabaseUnavailableError, type Db, isConnectionFailure, type Queryable } from "./db.ts";
import { isAbortedTransaction, parseWrittenScopes, WRITTEN_SCOPES } from "./write-scopes.ts";

// bigint (int8) and numeric counts come back as strings from node-postgres; ids and counts in
// credauth stay far below 2^53, so they are read as numbers, the same as the PGlite adapter does.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value: string) => Number(value));

/** A request waits this long for a connection before it is answered 503 (the database is down or saturated). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Every statement credauth sends through query() is a fixed text with parameters, so each gets a
 * name and node-postgres prepares it once per connection: PostgreSQL then parses and plans it once,
 * not on every request (the authentication query runs on every request).
 */
const statementNames = new Map<string, string>();
// Texts built at run time (audit-log filters) vary; past this many, new texts go unprepared.
const MAX_PREPARED_STATEMENTS = 500;
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `credauth_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** A lost connection becomes DatabaseUnavailableError; every other error passes unchanged. */
async function classified<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw isConnectionFailure(error) ? new DatabaseUnavailableError(error) : error;
  }
}

function queryableOf(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T extends object>(text: string, values?: readonly unknown[]) {
      const name = statementName(text);
      const result = await classified(
        client.query({ ...(name ? { name } : {}), text, values: values as unknown[] | undefined }),
      );
      return result.rows as T[];
    },
    asBossDb() {
      return {
        async executeSql(text: string, values?: unknown[]) {
          // pg-boss's statements are fixed texts per queue too: prepared once per connection, the
          // job insert of a revocation request is not parsed and planned again each time.
          const name = values?.length ? statementName(text) : undefined;
          const result = await classified(client.query(name ? { name, text, values } : { text, values }));
          // Multi-statement text (no values) returns one result per statement.
          if (Array.isArray(result)) return { rows: result.flatMap((r: pg.QueryResult) => r.rows ?? []) };
          return { rows: result.rows };
        },
      };
    },
  };
}

export function openPostgres(
  connectionString: string,
  options: { maxConnections?: number; onError?: (error: Error) => void } = {},
): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    application_name: "credauth",
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle client losing its connection (a database restart) must not crash the process; the
  // pool drops it and the next query opens a new one.
  const onError = options.onError ?? (() => {});
  pool.on("error", onError);
  const base = queryableOf(pool);
  // The read cache across processes, once a serving process starts it; and this process's writes,
  // counted when they finish (failed or not), so a response knows whether it must wait for them.
  let coherence: CacheCoherence | null = null;
  let writes = 0;
  /** A write finished: to these scopes, or (null) to any. */
  const wrote = (scopes: string[] | null = null) => {
    writes++;
    coherence?.noteLocalWrite(scopes);
  };
  const transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    const client = await classified(pool.connect());
    // While checked out, a client has no pool listener: a connection dropped mid-transaction
    // would be an unhandled 'error' event, which ends the process. The statement under way
    // fails with the same error, so this listener only has to keep it from being thrown.
    let lost: Error | undefined;
    const onLost = (error: Error) => {
      lost = error;
    };
    client.on("error", onLost);
    let scopes: string[] | null = null;
    try {
      await classified(client.query("begin"));
      const result = await fn(queryableOf(client));
      // What the transaction wrote, asked in the commit's own round trip (two statements, one message).
      try {
        const [written] = (await classified(client.query(`${WRITTEN_SCOPES}; commit`))) as unknown as pg.QueryResult[];
        scopes = parseWrittenScopes(written?.rows[0]?.scopes);
      } catch (error) {
        if (!isAbortedTransaction(error)) throw error;
        await classified(client.query("commit"));
      }
      return result;
    } catch (error) {
      if (isConnectionFailure(error) || error instanceof DatabaseUnavailableError) lost ??= error as Error;
      // A failed rollback means the connection broke too: destroy it rather than reuse it.
      if (lost === undefined) {
        await client.query("rollback").catch((failure: Error) => {
          lost = failure;
        });
      }
      throw isConnectionFailure(error) ? new DatabaseUnavailableError(error) : error;
    } finally {
      client.removeListener("error", onLost);
      // A broken connection is destroyed rather than handed to the next request.
      client.release(lost);
      wrote(scopes);
    }
  };
  return {
    kind: "postgres",
    async query<T extends object>(text: string, values?: readonly unknown[]) {
      try {
        return await base.query<T>(text, values);
      } finally {
        // A statement on its own cannot say what it touched (that takes a transaction): any scope.
        if (changesCachedReads(text)) wrote();
      }
    },
    asBossDb: base.asBossDb,
    async exec(sql: string) {
      try {
        await classified(pool.query(sql));
      } finally {
        wrote();
      }
    },
    transaction,
    async startReadCache(log, onClockMoved) {
      if (coherence) return;
      const joining = new CacheCoherence(
        connectionString,
        (text, values) => base.query(text, values),
        log,
        onClockMoved,
      );
      await joining.start();
      coherence = joining;
    },
    writeEpoch: (unaffectedBy) => coherence?.epoch(unaffectedBy) ?? null,
    writesCommitted: () => writes,
    async awaitWritesSeen() {
      await coherence?.awaitSeen();
    },
    connections: () => ({
      open: pool.totalCount,
      busy: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max,
    }),
    async close() {
      await coherence?.close();
      await pool.end();
    },
  };
}
