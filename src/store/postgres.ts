import pg from "pg";
import type { Db, Queryable, Row } from "./db.ts";

// bigint (int8) and numeric counts come back as strings from node-postgres; ids and counts in
// credauth stay far below 2^53, so they are read as numbers, the same as the PGlite adapter does.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value: string) => Number(value));

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

function queryableOf(client: pg.Pool | pg.PoolClient): Queryable {
  const queryable: Queryable = {
    async query<T extends Row>(text: string, values?: readonly unknown[]) {
      const name = statementName(text);
      const result = await client.query({ ...(name ? { name } : {}), text, values: values as unknown[] | undefined });
      return result.rows as T[];
    },
    asBossDb() {
      return {
        async executeSql(text: string, values?: unknown[]) {
          const result = await client.query(text, values);
          // Multi-statement text (no values) returns one result per statement.
          if (Array.isArray(result)) return { rows: result.flatMap((r: pg.QueryResult) => r.rows ?? []) };
          return { rows: result.rows };
        },
      };
    },
  };
  return queryable;
}

export function openPostgres(connectionString: string, options: { maxConnections?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10, application_name: "credauth" });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const base = queryableOf(pool);
  return {
    kind: "postgres",
    ...base,
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query("begin");
        const result = await fn(queryableOf(client));
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    writeEpoch: () => null,
    async close() {
      await pool.end();
    },
  };
}
