// A migrated, empty embedded database (pg-boss's schema included) as a PGlite dump. The published
// package ships one, made by `npm run build` (dist/harness/migrated-database.tar.gz, about 5 MB),
// so even a process's first startCredauth skips PGlite's initdb and the migrations (about 2.5 s);
// in a checkout the first start makes it. Either way it is held once per process, unpacked, and
// each start loads it (about 0.4 s).
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { JOB_DEFAULTS } from "../config.ts";
import { startJobs } from "../jobs/queue.ts";
import { migrate } from "../store/migrate.ts";
import { openPglite } from "../store/pglite.ts";

/** Where the build puts the shipped dump: beside this module, in dist/harness/. */
export const SHIPPED_DUMP = new URL("./migrated-database.tar.gz", import.meta.url);

/** Makes the dump: initdb, the migrations, pg-boss's schema. */
export async function makeMigratedDump(compression: "none" | "gzip"): Promise<Blob> {
  const db = await openPglite(undefined);
  try {
    await migrate(db);
    const silent = { info() {}, warn() {}, error() {} };
    const jobs = await startJobs(db, { kind: "pglite", dataDir: null }, JOB_DEFAULTS, silent, { work: false });
    await jobs.stop();
    return await db.pglite.dumpDataDir(compression);
  } finally {
    await db.close();
  }
}

let made: Promise<Blob> | null = null;

export function migratedDump(): Promise<Blob> {
  made ??= existsSync(SHIPPED_DUMP)
    ? Promise.resolve(new Blob([gunzipSync(readFileSync(SHIPPED_DUMP))], { type: "application/x-tar" }))
    : makeMigratedDump("none");
  // A failure is not kept: the next start tries again.
  made.catch(() => {
    made = null;
  });
  return made;
}
