// One migrated embedded database (pg-boss's schema included) per test run: the global setup builds
// it once, before any test file starts, and every test copies it instead of paying PGlite's initdb
// and the migrations again (seconds of CPU per copy). A file run on its own builds its own.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_DEFAULTS } from "../../src/config.ts";
import { startJobs } from "../../src/jobs/queue.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";

/** Where the global setup says the run's template is. */
export const TEMPLATE_VARIABLE = "CREDAUTH_TEST_TEMPLATE";

export interface Template {
  /** The database as a PGlite dump, to load into an in-memory instance. */
  dump: string;
  /** The database as initdb left it, before any migration, as a PGlite dump. */
  emptyDump: string;
  /** The same database as a data folder, to copy for a server process: made from the dump on first use. */
  dataFolder: string;
}

/** Builds a template under a new temporary folder, which the caller removes. */
export async function buildTemplate(): Promise<{ root: string; template: Template }> {
  const root = mkdtempSync(join(tmpdir(), "credauth-template-"));
  const template = templateIn(root);
  // In memory: PGlite's initdb takes half the time it takes on disk.
  const db = await openPglite(undefined);
  writeFileSync(template.emptyDump, Buffer.from(await (await db.pglite.dumpDataDir("none")).arrayBuffer()));
  await migrate(db);
  const silent = { info() {}, warn() {}, error() {} };
  const jobs = await startJobs(db, { kind: "pglite", dataDir: null }, JOB_DEFAULTS, silent, {
    work: false,
  });
  await jobs.stop();
  const dump = await db.pglite.dumpDataDir("none");
  writeFileSync(template.dump, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  return { root, template };
}

const templateIn = (root: string): Template => ({
  dataFolder: join(root, "data"),
  dump: join(root, "pglite.tar"),
  emptyDump: join(root, "empty.tar"),
});

let own: Promise<Template> | null = null;

/** The run's template, or (a test file run on its own) one built for this process. */
export function testTemplate(): Promise<Template> {
  const root = process.env[TEMPLATE_VARIABLE];
  if (root) return Promise.resolve(templateIn(root));
  own ??= buildTemplate().then(({ root, template }) => {
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
    return template;
  });
  return own;
}

/**
 * The template's data folder, made from the dump by the first process that asks (the fast tier
 * starts no server process, so most runs never pay for it). Made beside and renamed into place, so
 * processes asking at once each see a whole folder.
 */
export async function templateDataFolder(): Promise<string> {
  const { dataFolder, dump } = await testTemplate();
  if (existsSync(dataFolder)) return dataFolder;
  const making = `${dataFolder}.${process.pid}`;
  const db = await openPglite(making, { loadDataDir: new Blob([readFileSync(dump)]) });
  await db.close();
  try {
    renameSync(making, dataFolder);
  } catch {
    rmSync(making, { recursive: true, force: true }); // another process got there first
  }
  return dataFolder;
}

/** The template's dump as the Blob PGlite's `loadDataDir` takes; `empty`: before any migration. */
export async function templateDump(which: "migrated" | "empty" = "migrated"): Promise<Blob> {
  const template = await testTemplate();
  return new Blob([readFileSync(which === "empty" ? template.emptyDump : template.dump)]);
}
