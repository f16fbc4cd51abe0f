// One migrated embedded database (pg-boss's schema included) per test run: the global setup builds
// it once, before any test file starts, and every test copies it instead of paying PGlite's initdb
// and the migrations again (seconds of CPU per copy). A file run on its own builds its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_DEFAULTS } from "../../src/config.ts";
import { startJobs } from "../../src/jobs/queue.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";

/** Where the global setup says the run's template is. */
export const TEMPLATE_VARIABLE = "CREDAUTH_TEST_TEMPLATE";

export interface Template {
  /** A migrated data folder, to copy for a server process. */
  dataFolder: string;
  /** The same database as a PGlite dump, to load into an in-memory instance. */
  dump: string;
}

/** Builds a template under a new temporary folder, which the caller removes. */
export async function buildTemplate(): Promise<{ root: string; template: Template }> {
  const root = mkdtempSync(join(tmpdir(), "credauth-template-"));
  const template = { dataFolder: join(root, "data"), dump: join(root, "pglite.tar") };
  const db = await openPglite(template.dataFolder);
  await migrate(db);
  const silent = { info() {}, warn() {}, error() {} };
  const jobs = await startJobs(db, { kind: "pglite", dataDir: template.dataFolder }, JOB_DEFAULTS, silent, {
    work: false,
  });
  await jobs.stop();
  const dump = await db.pglite.dumpDataDir("none");
  writeFileSync(template.dump, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  return { root, template };
}

let own: Promise<Template> | null = null;

/** The run's template, or (a test file run on its own) one built for this process. */
export function testTemplate(): Promise<Template> {
  const root = process.env[TEMPLATE_VARIABLE];
  if (root) return Promise.resolve({ dataFolder: join(root, "data"), dump: join(root, "pglite.tar") });
  own ??= buildTemplate().then(({ root, template }) => {
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
    return template;
  });
  return own;
}

/** The template's dump as the Blob PGlite's `loadDataDir` takes. */
export async function templateDump(): Promise<Blob> {
  return new Blob([readFileSync((await testTemplate()).dump)]);
}
