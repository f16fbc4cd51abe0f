import type { DatabaseConfig } from "../config.ts";
import type { Db } from "./db.ts";
import { openPglite } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";

export async function openDatabase(database: DatabaseConfig): Promise<Db> {
  return database.kind === "postgres" ? openPostgres(database.url) : openPglite(database.dataDir ?? undefined);
}
