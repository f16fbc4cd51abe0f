import { mkdirSync } from "node:fs";
import { PGlite, types, type Transaction } from "@electric-sql/pglite";
import { fromPglite } from "pg-boss";
import type { Db, Queryable, Row } from "./db.ts";

type PgliteSession = Pick<PGlite, "query" | "exec"> | Transaction;

function queryableOf(session: PgliteSession): Queryable {
  return {
    async query<T extends Row>(text: string, values?: readonly unknown[]) {
      const result = await session.query<T>(text, values as unknown[] | undefined);
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
export async function openPglite(dataDir: string | undefined): Promise<Db & { pglite: PGlite }> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [types.INT8]: (value: string) => Number(value) },
  });
  const base = queryableOf(pglite);
  const bossDb = fromPglite(pglite);
  return {
    kind: "pglite",
    pglite,
    ...base,
    // pg-boss's own adapter also rolls back after a failed statement on the single session.
    asBossDb: () => bossDb,
    async exec(sql: string) {
      await pglite.exec(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction((tx) => fn(queryableOf(tx)));
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
