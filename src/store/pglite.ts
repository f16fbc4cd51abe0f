import { mkdirSync } from "node:fs";
import { PGlite, type Transaction, types } from "@electric-sql/pglite";
import { fromPglite } from "pg-boss";
import { restrictToOwner } from "./data-folder.ts";
import { changesCachedReads, type Db, type Queryable, type Row } from "./db.ts";
import { OneTripStatements } from "./pglite-statements.ts";
import { isAbortedTransaction, parseWrittenScopes, WRITTEN_SCOPES, WriteVersions } from "./write-scopes.ts";

const RESTRICT_EVERY_MS = 60 * 60 * 1000;

type PgliteSession = Pick<PGlite, "query" | "exec"> | Transaction;

/**
 * A statement with parameters is one of credauth's own, run again and again: its parameters' types
 * are learned once and it is sent in one trip (pglite-statements.ts). One without is run as it
 * comes (DDL, a snapshot's tables by name).
 */
function queryableOf(
  session: PgliteSession,
  inOneTrip: (text: string, values: readonly unknown[]) => Promise<Row[]>,
): Queryable {
  return {
    async query<T extends object>(text: string, values?: readonly unknown[]) {
      if (values?.length) return (await inOneTrip(text, values)) as T[];
      const result = await session.query<T>(text);
      return result.rows;
    },
    asBossDb() {
      return {
        async executeSql(text: string, values?: unknown[]) {
          if (values?.length) return { rows: (await session.query(text, values)).rows as Row[] };
          const results = await session.exec(text);
          return { rows: results.flatMap((r) => r.rows as Row[]) };
        },
      };
    },
  };
}

/**
 * Embedded PostgreSQL in this process. `dataDir` undefined keeps everything in memory (tests).
 * PGlite has a single session: a transaction holds it, and every other query waits for it, so
 * code inside `transaction()` must use the `tx` it is given, never the outer Db.
 */
export async function openPglite(
  dataDir: string | undefined,
  options: { loadDataDir?: Blob } = {},
): Promise<Db & { pglite: PGlite }> {
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    // A dump of another database (dumpDataDir) to start from: tests start from a migrated template.
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  // PGlite writes its files 0666 whatever the umask: they are made the owner's alone now, hourly,
  // and at close (the folder itself is 0700, so nobody else can reach them in between).
  const tightening = dataDir ? setInterval(() => restrictToOwner(dataDir), RESTRICT_EVERY_MS) : null;
  tightening?.unref();
  if (dataDir) restrictToOwner(dataDir);
  const statements = new OneTripStatements(pglite);
  const base = queryableOf(pglite, (text, values) => statements.alone(text, values));
  const bossDb = fromPglite(pglite);
  // Moved in `finally`, so a transaction that failed halfway counts too: as a write to every
  // scope, unless it said which it touched before its commit.
  const versions = new WriteVersions();
  let writes = 0;
  const wrote = (scopes: string[] | null) => {
    writes++;
    versions.wrote(scopes);
  };
  // Statements and transactions asked for and not yet done: one has the session, the rest wait.
  let pending = 0;
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    pending++;
    try {
      return await work();
    } finally {
      pending--;
    }
  };
  const transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    let scopes: string[] | null = null;
    try {
      return await counted(() =>
        pglite.transaction(async (tx) => {
          const result = await fn(queryableOf(tx, (text, values) => statements.inTransaction(text, values)));
          try {
            const rows = await statements.inTransaction<{ scopes: string | null }>(WRITTEN_SCOPES, []);
            scopes = parseWrittenScopes(rows[0]?.scopes);
          } catch (error) {
            if (!isAbortedTransaction(error)) throw error;
          }
          return result;
        }),
      );
    } finally {
      wrote(scopes);
    }
  };
  return {
    kind: "pglite",
    pglite,
    async query<T extends object>(text: string, values?: readonly unknown[]) {
      try {
        return await counted(() => base.query<T>(text, values));
      } finally {
        // A statement on its own cannot say what it touched (that takes a transaction): any scope.
        if (changesCachedReads(text)) wrote(null);
      }
    },
    // pg-boss's own adapter also rolls back after a failed statement on the single session. Its
    // statements touch only the queue's own schema; a job sent with a revocation goes through
    // `transaction`, whose commit moves the epochs of what it touched.
    asBossDb: () => bossDb,
    async exec(sql: string) {
      try {
        await pglite.exec(sql);
      } finally {
        wrote(null);
      }
    },
    transaction,
    startReadCache: async () => {},
    writeEpoch: (unaffectedBy) => versions.epoch(unaffectedBy),
    writesCommitted: () => writes,
    awaitWritesSeen: async () => {},
    connections: () => ({ open: 1, busy: Math.min(pending, 1), waiting: Math.max(pending - 1, 0), max: 1 }),
    async close() {
      if (tightening) clearInterval(tightening);
      if (!pglite.closed) await pglite.close();
      if (dataDir) restrictToOwner(dataDir);
    },
  };
}
