// A migrated, empty embedded database (pg-boss's schema included) as a PGlite dump, made once per
// process: each startCredauth after the first loads it (about 0.4 s) instead of paying PGlite's
// initdb and the migrations again (about 1.7 s).
import { JOB_DEFAULTS } from "../config.ts";
import { startJobs } from "../jobs/queue.ts";
import { migrate } from "../store/migrate.ts";
import { openPglite } from "../store/pglite.ts";

let made: Promise<Blob> | null = null;

export function migratedDump(): Promise<Blob> {
  made ??= (async () => {
    const db = await openPglite(undefined);
    try {
      await migrate(db);
      const silent = { info() {}, warn() {}, error() {} };
      const jobs = await startJobs(db, { kind: "pglite", dataDir: null }, JOB_DEFAULTS, silent, { work: false });
      await jobs.stop();
      return await db.pglite.dumpDataDir("none");
    } finally {
      await db.close();
    }
  })();
  // A failure is not kept: the next start tries again.
  made.catch(() => {
    made = null;
  });
  return made;
}
