// `npm test`: lint (biome, the type checks) while the tests' database template is built — each
// keeps one core busy — then the fast tier (unit, integration, in-process end-to-end) in two shares
// at once, one per core. Each share runs its files in one process (--test-isolation=none), so a
// file's start-up — imports, an embedded database — is paid once per share, not once per file.
// Every share's report is printed whole when it ends; then the slowest files and the run's time,
// against the 60-second budget (decision 32). Arguments replace the fast tier's files.
import { spawn } from "node:child_process";
import { globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { keepDump } from "../src/harness/template.ts";
import { buildTemplate, TEMPLATE_VARIABLE } from "../test/helpers/template.ts";

const FAST_TIER = ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"];
const SHARES = 2;
const BUDGET_SECONDS = 60;
// Each file's time in the last run, to share the files out evenly (not in git: machine-specific).
const TIMES_CACHE = join("node_modules", ".cache", "credauth", "test-times.json");

const started = performance.now();
const files = (
  process.argv.length > 2 ? process.argv.slice(2) : FAST_TIER.flatMap((pattern) => globSync(pattern))
).sort();
// The three parts of `npm run lint` at once: the type check is the longest, and the other core is
// free again once the template is built.
const lintPart = (script: string) =>
  new Promise<{ ok: boolean; report: string }>((resolve) => {
    const child = spawn("npm", ["run", "--silent", script], { stdio: ["ignore", "pipe", "pipe"] });
    let report = "";
    child.stdout.on("data", (chunk) => (report += chunk));
    child.stderr.on("data", (chunk) => (report += chunk));
    child.on("close", (code) => resolve({ ok: code === 0, report }));
  });
const lint = Promise.all(["lint:format", "lint:types", "lint:console"].map(lintPart)).then((parts) => ({
  ok: parts.every((part) => part.ok),
  report: parts.map((part) => part.report).join(""),
}));
const { root, template } = await buildTemplate();
// The template is the migrated database startCredauth starts from (made the same way): kept for
// it, a checkout's first startCredauth loads it instead of making it again.
keepDump(readFileSync(template.dump));
const linted = await lint;
process.stdout.write(linted.report);
if (!linted.ok) {
  rmSync(root, { recursive: true, force: true });
  console.error("lint failed (npm run lint): fix it first, or `npm run format` for what biome can fix");
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), "credauth-test-times-"));

/** Seconds a file takes, roughly, from what it is: measured averages of each kind. */
function guessedSeconds(file: string): number {
  if (file.startsWith("test/unit/")) return 0.2;
  const source = readFileSync(file, "utf8");
  const tests = source.match(/\bit\(/g)?.length ?? 0;
  // An end-to-end file starts servers or instances: a base, and most of a second per test.
  if (file.startsWith("test/e2e/")) return 2 + 0.8 * tests;
  const onEveryBackend = /\bbackends\(\)/.test(source) && process.env.TEST_DATABASE_URL ? 2 : 1;
  return onEveryBackend * (1 + 0.1 * tests);
}

function lastTimes(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(TIMES_CACHE, "utf8"));
  } catch {
    return {}; // no earlier run on this machine
  }
}

/**
 * The files in SHARES lists of about equal time, longest first to the least loaded (LPT). A file
 * the last run did not time weighs a guess from its kind, which the next run corrects.
 */
function shareOut(files: string[]): string[][] {
  const last = lastTimes();
  const weight = (file: string) => last[file] ?? guessedSeconds(file);
  const shares = Array.from({ length: SHARES }, () => ({ files: [] as string[], load: 0 }));
  for (const file of [...files].sort((a, b) => weight(b) - weight(a))) {
    const lightest = shares.reduce((a, b) => (b.load < a.load ? b : a));
    lightest.files.push(file);
    lightest.load += weight(file);
  }
  return shares.map(({ files }) => files);
}

function runShare(index: number, files: string[]): Promise<{ ok: boolean; report: string }> {
  const times = join(scratch, `share-${index}.jsonl`);
  const child = spawn(
    process.execPath,
    [
      "--test",
      "--test-isolation=none",
      // A test that failed before its cleanup may leave a server or database open: the share still ends.
      "--test-force-exit",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-reporter=${join(import.meta.dirname, "..", "test", "helpers", "file-times-reporter.ts")}`,
      `--test-reporter-destination=${times}`,
      ...files,
    ],
    { env: { ...process.env, [TEMPLATE_VARIABLE]: root }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let report = "";
  child.stdout.on("data", (chunk) => (report += chunk));
  child.stderr.on("data", (chunk) => (report += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ ok: code === 0, report })));
}

// A share with no files is not run: `node --test` without files would run every test it finds.
const shares = await Promise.all(
  shareOut(files)
    .filter((share) => share.length > 0)
    .map((share, i) => runShare(i + 1, share)),
);
for (const [i, { report }] of shares.entries())
  process.stdout.write(`\n── share ${i + 1} of ${shares.length} ──\n${report}`);

const times = shares
  .map((_, i) => join(scratch, `share-${i + 1}.jsonl`))
  .flatMap((path) => readFileSync(path, "utf8").split("\n").filter(Boolean))
  .map((line) => JSON.parse(line) as { file: string; seconds: number })
  .sort((a, b) => b.seconds - a.seconds);
rmSync(scratch, { recursive: true, force: true });
mkdirSync(join(TIMES_CACHE, ".."), { recursive: true });
const cached = {
  ...lastTimes(),
  ...Object.fromEntries(times.map(({ file, seconds }) => [relative(process.cwd(), file), seconds])),
};
writeFileSync(TIMES_CACHE, JSON.stringify(cached, null, 1));
rmSync(root, { recursive: true, force: true });

const wall = (performance.now() - started) / 1000;
console.log("\nslowest test files:");
for (const { file, seconds } of times.slice(0, 8))
  console.log(`${seconds.toFixed(1).padStart(7)} s  ${relative(process.cwd(), file)}`);
console.log(`${wall.toFixed(1).padStart(7)} s  this run, lint included (the budget is ${BUDGET_SECONDS} s on 2 cores)`);
process.exitCode = shares.every(({ ok }) => ok) ? 0 : 1;
