import type { DatabaseConfig } from "../config.ts";
import type { Db } from "./db.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

export interface DatabaseLogger {
  warn(details: object, message: string): void;
}

export async function openDatabase(database: DatabaseConfig, logger?: DatabaseLogger): Promise<Db> {
  if (database.kind === "pglite") return openPglite(database.dataDir ?? undefined);
  return openPostgres(database.url, {
    onError: (error) => logger?.warn({ err: error }, "a database connection was lost; it will be replaced"),
  });
}
