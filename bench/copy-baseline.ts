// The bulk load's baseline: the same rows the fixture declares (bench/fixture-file.ts), audit
// events of the grants included, loaded with plain COPY into the same schema in one transaction.
// The COPY text is written to files before the clock starts, so the baseline times COPY alone.
import { createReadStream, openAsBlob, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { openPglite } from "../src/store/pglite.ts";
import { copyRows } from "./fixture-file.ts";
import type { WorldSize } from "./world.ts";

/** Rows per COPY file: the embedded database takes each file whole. */
const ROWS_PER_FILE = 100_000;

export interface CopyPart {
  table: string;
  columns: string;
  file: string;
}

/** Writes the world's rows as COPY files in `dir`, in load order. */
export function writeCopyFiles(size: WorldSize, dir: string): CopyPart[] {
  const parts: CopyPart[] = [];
  let table = "";
  let columns = "";
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    const file = join(dir, `copy-${parts.length}.txt`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    parts.push({ table, columns, file });
    lines = [];
  };
  for (const row of copyRows(size)) {
    if (row.table !== table || lines.length >= ROWS_PER_FILE) {
      flush();
      table = row.table;
      columns = row.columns;
    }
    lines.push(row.line);
  }
  flush();
  return parts;
}

/** Loads the parts into a PostgreSQL database in one transaction; returns the milliseconds it took. */
export async function copyIntoPostgres(url: string, parts: CopyPart[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    await client.query("begin");
    for (const part of parts) {
      await pipeline(
        createReadStream(part.file),
        client.query(copyFrom(`copy ${part.table} (${part.columns}) from stdin`)),
      );
    }
    await client.query("commit");
    return performance.now() - started;
  } finally {
    await client.end();
  }
}

/** Loads the parts into an embedded data folder in one transaction; returns the milliseconds it took. */
export async function copyIntoPglite(dataDir: string, parts: CopyPart[]): Promise<number> {
  const db = await openPglite(dataDir);
  try {
    const started = performance.now();
    await db.pglite.exec("begin");
    for (const part of parts) {
      await db.pglite.query(`copy ${part.table} (${part.columns}) from '/dev/blob'`, [], {
        blob: await openAsBlob(part.file),
      });
    }
    await db.pglite.exec("commit");
    return performance.now() - started;
  } finally {
    await db.close();
  }
}
