// `npm run build` (and `npm pack`, through prepack): the JavaScript the published package runs.
// TypeScript compiles src/ to dist/ with its imports rewritten to .js; the SQL migrations, which
// the code reads beside itself, are copied along, and the harness's migrated database is made.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
// Progress goes to stderr: `npm pack --json` prints its answer on stdout.
execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.build.json")], {
  stdio: ["ignore", process.stderr, process.stderr],
});
const migrations = join(root, "src", "store", "migrations");
for (const file of readdirSync(migrations).filter((name) => name.endsWith(".sql")))
  cpSync(join(migrations, file), join(dist, "store", "migrations", file));
// The migrated empty database startCredauth loads (src/harness/template.ts), made by this build's
// own migrations, so the package's first start in a process skips initdb and the migrations.
const { makeMigratedDump } = await import("../src/harness/template.ts");
const dump = await makeMigratedDump("gzip");
writeFileSync(join(dist, "harness", "migrated-database.tar.gz"), Buffer.from(await dump.arrayBuffer()));
console.error(`built ${dist}`);
