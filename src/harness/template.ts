// A migrated, empty embedded database (pg-boss's schema included) as a PGlite dump. The published
// package ships one, made by `npm run build` (dist/harness/migrated-database.tar.gz, about 5 MB),
// so even a process's first startCredauth skips PGlite's initdb and the migrations (about 2.5 s);
// in a checkout the first start makes it and keeps it in node_modules/.cache, named by the
// migrations and pg-boss it holds, for the next process. Either way it is held once per process,
// unpacked, and each start loads it (about 0.4 s).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
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

/**
 * In a checkout, where a made dump is kept: named by a hash of the migrations and pg-boss's
 * version, so a changed schema makes a new one. Null where there is no checkout's cache folder.
 */
export function keptDumpPath(): string | null {
  const root = new URL("../../", import.meta.url);
  const migrations = new URL("src/store/migrations/", root);
  const cache = fileURLToPath(new URL("node_modules/.cache/credauth/", root));
  const bossPackage = new URL("node_modules/pg-boss/package.json", root);
  if (!existsSync(migrations) || !existsSync(bossPackage)) return null;
  const hash = createHash("sha256").update(readFileSync(bossPackage));
  for (const name of readdirSync(migrations).sort()) hash.update(name).update(readFileSync(new URL(name, migrations)));
  return `${cache}harness-${hash.digest("hex").slice(0, 16)}.tar`;
}

/** Keeps a made dump for the next process of this checkout (best effort: a cache). */
export function keepDump(tar: Uint8Array): void {
  const path = keptDumpPath();
  if (path === null || existsSync(path)) return;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const making = `${path}.${process.pid}`;
    writeFileSync(making, tar, { mode: 0o600 });
    renameSync(making, path);
  } catch {
    // A read-only checkout keeps nothing: each process makes its own.
  }
}

let made: Promise<Blob> | null = null;

async function makeAndKeep(): Promise<Blob> {
  const dump = await makeMigratedDump("none");
  keepDump(new Uint8Array(await dump.arrayBuffer()));
  return dump;
}

export function migratedDump(): Promise<Blob> {
  const kept = existsSync(SHIPPED_DUMP) ? null : keptDumpPath();
  made ??= existsSync(SHIPPED_DUMP)
    ? Promise.resolve(new Blob([gunzipSync(readFileSync(SHIPPED_DUMP))], { type: "application/x-tar" }))
    : kept !== null && existsSync(kept)
      ? Promise.resolve(new Blob([readFileSync(kept)], { type: "application/x-tar" }))
      : makeAndKeep();
  // A failure is not kept: the next start tries again.
  made.catch(() => {
    made = null;
  });
  return made;
}
