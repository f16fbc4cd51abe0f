// npm run bench [-- --quick | --smoke] [--database-url URL] [--redis-url URL] [--backends pglite,postgres] [--only load,small,idle,drain,enqueue,reads,routes,mixed,containment,soak,startup,ratelimits,harness] [--out DIR]
//
// Each scenario is measured beside a baseline taken in the same run on the same machine; the
// ratio is what counts (docs/performance.md). Embedded PGlite always; PostgreSQL with
// --database-url (a URL the harness may create databases from).
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hashToken } from "../src/domain/tokens.ts";
import type { Db } from "../src/store/db.ts";
import { openPglite } from "../src/store/pglite.ts";
import { openPostgres } from "../src/store/postgres.ts";
import { findPrincipalByTokenHash } from "../src/store/principals.ts";
import { createScratchDatabase, type ScratchDatabase } from "../test/helpers/postgres-admin.ts";
import { freePort, type RunningProcess, runCredauth, startServer as startCredauth } from "../test/helpers/process.ts";
import { copyIntoPglite, copyIntoPostgres, writeCopyFiles } from "./copy-baseline.ts";
import { endStateFingerprint, runDrainBaseline, runMinimalSchemaBaseline } from "./drain-baseline.ts";
import { type BaselineDrift, measureAgain, type RepeatableBaseline, releaseAll, sharedRelease } from "./drift.ts";
import { writeFixtureFile } from "./fixture-file.ts";
import { type HarnessResult, harnessCosts } from "./harness.ts";
import { type MixedResult, mixedLoad } from "./mixed.ts";
import { startPrism } from "./prism.ts";
import { type RateLimitCostResult, rateLimitCost } from "./rate-limit-cost.ts";
import { type IdleMemory, type RouteResult, routeThroughput } from "./routes.ts";
import {
  ADMIN_TOKEN,
  buildWorld,
  classicCredentials,
  classicToken,
  ENTERPRISE,
  FULL_SIZE,
  LOAD_SIZE,
  QUICK_SIZE,
  SMOKE_SIZE,
  USERS_4K_SIZE,
  USERS_20K_SIZE,
  type WorldSize,
} from "./world.ts";

const ROOT = join(import.meta.dirname, "..");

type Mode = "full" | "quick" | "smoke";
type BackendName = "pglite" | "postgres";

interface Plan {
  mode: Mode;
  drainSize: WorldSize;
  /** Smaller drains measured too (one worker), each beside its baselines: the sizes people run most. */
  smallerDrainSizes: WorldSize[];
  loadSize: WorldSize;
  seconds: number;
  concurrencies: number[];
  workerCounts: number[];
  containmentTrials: number;
  startupRuns: number;
  /** Alternating rounds of the read scenario; the medians are reported. */
  readRounds: number;
  /** Concurrencies, rounds and seconds a round of the every-read-route scenario (routes.ts). */
  routeConcurrencies: number[];
  routeRounds: number;
  // 15 routes × 2 concurrencies × 3 servers × 3 rounds: 10-second rounds would take 45 minutes a backend.
  routeSeconds: number;
  /** One-user revocations, one at a time, for the small-jobs scenario. */
  smallJobs: number;
  /** How long the idle scenario watches an idle server, after letting it settle this long. */
  idleSeconds: number;
  idleWarmupSeconds: number;
  /** The soak: mixed load at a fixed rate for this long. */
  soakSeconds: number;
  soakRate: number;
}

const PLANS: Record<Mode, Plan> = {
  full: {
    mode: "full",
    drainSize: FULL_SIZE,
    smallerDrainSizes: [USERS_4K_SIZE, USERS_20K_SIZE],
    loadSize: LOAD_SIZE,
    seconds: 10,
    concurrencies: [1, 16, 64],
    workerCounts: [1, 2, 4],
    containmentTrials: 1000,
    startupRuns: 5,
    readRounds: 3,
    routeConcurrencies: [32, 64],
    routeRounds: 3,
    routeSeconds: 5,
    smallJobs: 200,
    idleSeconds: 60,
    idleWarmupSeconds: 20,
    soakSeconds: 600,
    soakRate: 100,
  },
  quick: {
    mode: "quick",
    drainSize: QUICK_SIZE,
    smallerDrainSizes: [USERS_4K_SIZE],
    loadSize: QUICK_SIZE,
    seconds: 3,
    concurrencies: [1, 16, 64],
    workerCounts: [1, 2, 4],
    containmentTrials: 100,
    startupRuns: 3,
    readRounds: 3,
    routeConcurrencies: [32, 64],
    routeRounds: 1,
    routeSeconds: 3,
    smallJobs: 50,
    idleSeconds: 20,
    idleWarmupSeconds: 20,
    soakSeconds: 30,
    soakRate: 50,
  },
  smoke: {
    mode: "smoke",
    drainSize: SMOKE_SIZE,
    smallerDrainSizes: [],
    loadSize: SMOKE_SIZE,
    seconds: 1,
    concurrencies: [1, 4],
    workerCounts: [1, 2],
    containmentTrials: 5,
    startupRuns: 1,
    readRounds: 1,
    routeConcurrencies: [4],
    routeRounds: 1,
    routeSeconds: 1,
    smallJobs: 5,
    idleSeconds: 2,
    idleWarmupSeconds: 1,
    soakSeconds: 4,
    soakRate: 20,
  },
};

// ---------------------------------------------------------------------------------------------
// Databases and processes

interface Database {
  backend: BackendName;
  /** Flags that point credauth at it. */
  flags: string[];
  /** Its data folder (embedded) or connection URL (PostgreSQL). */
  location: string;
  open(): Promise<Db>;
  /** An identical copy, for a baseline on the same data. */
  copy(): Promise<Database>;
  drop(): Promise<void>;
}

function pgliteDatabase(dir: string): Database {
  return {
    backend: "pglite",
    flags: ["--data", dir],
    location: dir,
    open: () => openPglite(dir),
    async copy() {
      const target = `${dir}-copy-${randomBytes(3).toString("hex")}`;
      cpSync(dir, target, { recursive: true });
      chmodSync(target, 0o700); // credauth refuses a data folder others may enter
      return pgliteDatabase(target);
    },
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresDatabase(adminUrl: string, database: ScratchDatabase): Database {
  return {
    backend: "postgres",
    flags: ["--database-url", database.url],
    location: database.url,
    open: async () => openPostgres(database.url),
    copy: async () =>
      postgresDatabase(adminUrl, await createScratchDatabase(adminUrl, "credauth_bench_copy", database.name)),
    drop: database.drop,
  };
}

async function newDatabase(backend: BackendName, adminUrl: string | null, scratch: string): Promise<Database> {
  if (backend === "pglite") return pgliteDatabase(join(scratch, `db-${randomBytes(4).toString("hex")}`));
  return postgresDatabase(adminUrl!, await createScratchDatabase(adminUrl!, "credauth_bench"));
}

async function withWorld(database: Database, size: WorldSize): Promise<void> {
  const db = await database.open();
  try {
    await buildWorld(db, size);
  } finally {
    await db.close();
  }
}

type Proc = RunningProcess;

// Benchmarks send thousands of requests a second as one user: GitHub's rate limits are off.
const BENCH_ENV = { CREDAUTH_RATE_LIMIT: "off" };

function run(args: string[], env: Record<string, string> = {}, script?: string): Proc {
  return runCredauth(args, { ...BENCH_ENV, ...env }, script);
}

const waitForOutput = (proc: Proc, pattern: RegExp) => proc.waitFor(pattern, 120_000);

function startServer(database: Database, extra: string[] = [], env: Record<string, string> = {}) {
  return startCredauth([...database.flags, ...extra], { ...BENCH_ENV, ...env }, 120_000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const median = (values: number[]) => percentile(values, 50);

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Runs the load generator in its own process; `stop()` ends an open-ended load early. */
function startLoad(spec: Record<string, unknown>): { result: Promise<LoadResult>; stop(): Promise<void> } {
  const proc = run([JSON.stringify(spec)], {}, join(import.meta.dirname, "load.ts"));
  const result = new Promise<LoadResult>((resolve, reject) =>
    proc.child.on("exit", () => {
      const line = proc.output().trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as LoadResult);
      } catch {
        reject(new Error(`load generator failed:\n${proc.output()}`));
      }
    }),
  );
  return {
    result,
    stop: async () => {
      await proc.stop();
    },
  };
}

const load = (spec: Record<string, unknown>) => startLoad(spec).result;

async function api(url: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface DrainResult {
  backend: BackendName;
  workers: number;
  authorizations: number;
  credentials: number;
  drainMs: number;
  baselineMs: number;
  ratio: number;
  /** The baseline's statements split into `workers` id ranges run at once (equal to baselineMs for one worker). */
  parallelBaselineMs: number;
  /** The same revocation on bare tables (no audit, counts or fence): what the faithful schema costs. NaN: not run. */
  minimalBaselineMs: number;
  workerPeakRssMb: number;
}

/** The baseline on its copy, and proof that it reached the same end state as the job did. */
async function drainBaseline(database: Database, jobEndState: string, parts = 1): Promise<number> {
  await settle(database);
  const db = await database.open();
  try {
    const elapsed = await runDrainBaseline(db, parts);
    const baselineEndState = await endStateFingerprint(db);
    if (baselineEndState !== jobEndState)
      throw new Error(
        `the baseline did not reach the job's end state:\n  job      ${jobEndState}\n  baseline ${baselineEndState}`,
      );
    return elapsed;
  } finally {
    await db.close();
  }
}

/**
 * On PostgreSQL, a checkpoint before each measurement: the previous scenario's millions of dirty
 * pages are written out now rather than in the middle of the next one's latencies.
 */
async function settle(database: Database): Promise<void> {
  if (database.backend !== "postgres") return;
  const db = await database.open();
  try {
    await db.query("checkpoint");
  } finally {
    await db.close();
  }
}

async function fingerprintOf(database: Database): Promise<string> {
  const db = await database.open();
  try {
    return await endStateFingerprint(db);
  } finally {
    await db.close();
  }
}

async function drain(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
  baselines: RepeatableBaseline[],
  size: WorldSize = plan.drainSize,
  workerCounts: number[] = backend === "pglite" ? [1] : plan.workerCounts,
): Promise<DrainResult[]> {
  const template = await newDatabase(backend, adminUrl, scratch);
  log(`  building ${size.authorizations.toLocaleString()} authorizations on ${backend}`);
  await withWorld(template, size);
  const results: DrainResult[] = [];
  let handedOver = false;
  for (const workers of workerCounts) {
    const measured = await template.copy();
    const baselineCopy = await template.copy();
    const env = { CREDAUTH_JOB_POLL_SECONDS: "0.5", CREDAUTH_LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? "warn" };
    const server = await startServer(measured, backend === "pglite" ? [] : ["--no-worker"], env);
    const workerProcs =
      backend === "pglite" ? [server] : Array.from({ length: workers }, () => run(["worker", ...measured.flags], env));
    for (const worker of workerProcs) if (worker !== server) await waitForOutput(worker, /credauth worker processing/);
    await settle(measured);
    const accepted = await api(
      server.url,
      "POST",
      `/enterprises/${ENTERPRISE}/credential-authorizations/revoke-all`,
      ADMIN_TOKEN,
      { revoke_credentials: true },
    );
    const started = performance.now();
    if (accepted.status !== 202) throw new Error(`revoke-all answered ${accepted.status}: ${accepted.body}`);
    const jobPath = new URL(accepted.headers.get("location")!).pathname;
    let job: {
      state: string;
      counts: { authorizations_revoked: { total: number }; credentials_destroyed: { total: number } };
    };
    for (let failures = 0; ; ) {
      try {
        job = JSON.parse((await api(server.url, "GET", jobPath, ADMIN_TOKEN)).body);
      } catch (error) {
        // Embedded, a long statement holds the server's event loop (PGlite runs in it), and a
        // kept-alive connection may be reset meanwhile: ask again on a new one, a few times, while
        // the server lives. Otherwise the server is the one to ask why.
        const { exitCode, signalCode } = server.child;
        if (++failures <= 5 && exitCode === null && signalCode === null) {
          await sleep(1000);
          continue;
        }
        throw new Error(
          `the job could not be read (server exit ${exitCode}, signal ${signalCode}): ${error}\nserver output:\n${server.output().slice(-4000)}`,
        );
      }
      if (job.state === "succeeded" || job.state === "failed") break;
      await sleep(50);
    }
    const drainMs = performance.now() - started;
    if (job.state !== "succeeded") throw new Error(`the drain job ended ${job.state}`);
    const workerPeakRssMb = Math.max(...workerProcs.map((w) => w.peakRssMb()));
    for (const worker of workerProcs) await worker.stop();
    await server.stop();
    const jobEndState = await fingerprintOf(measured);
    const baselineMs = await drainBaseline(baselineCopy, jobEndState);
    // The faithful SQL baseline again at the end of the run, on another copy of the same world.
    if (workers === 1) {
      handedOver = true;
      baselines.push({
        scenario: "drain",
        backend,
        baseline: `SQL baseline, ${size.authorizations.toLocaleString()} authorizations`,
        unit: "ms",
        first: baselineMs,
        async again() {
          const copy = await template.copy();
          try {
            return await drainBaseline(copy, jobEndState);
          } finally {
            await copy.drop();
          }
        },
        release: () => template.drop(),
      });
    }
    let minimalBaselineMs = Number.NaN;
    if (workers === 1) {
      const minimalCopy = await template.copy();
      await settle(minimalCopy);
      const db = await minimalCopy.open();
      try {
        minimalBaselineMs = await runMinimalSchemaBaseline(db);
      } finally {
        await db.close();
        await minimalCopy.drop();
      }
    }
    // With several workers, what the same SQL gains from as many concurrent connections: the
    // database's own ceiling for that many writers on this machine.
    let parallelBaselineMs = baselineMs;
    if (workers > 1) {
      const parallelCopy = await template.copy();
      parallelBaselineMs = await drainBaseline(parallelCopy, jobEndState, workers);
      await parallelCopy.drop();
    }
    results.push({
      backend,
      workers,
      authorizations: job.counts.authorizations_revoked.total,
      credentials: job.counts.credentials_destroyed.total,
      drainMs,
      baselineMs,
      ratio: drainMs / baselineMs,
      parallelBaselineMs,
      minimalBaselineMs,
      workerPeakRssMb,
    });
    log(
      `  drain ${backend} x${workers}: ${Math.round(drainMs)} ms vs baseline ${Math.round(baselineMs)} ms` +
        `${workers > 1 ? ` (${workers} parallel parts: ${Math.round(parallelBaselineMs)} ms)` : ""}, worker peak RSS ${Math.round(workerPeakRssMb)} MB`,
    );
    await measured.drop();
    await baselineCopy.drop();
  }
  // Kept for the end of the run when a baseline was handed over.
  if (!handedOver) await template.drop();
  return results;
}

interface EnqueueResult {
  backend: BackendName;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  baselineRps: number;
  ratio: number;
  /** The floor of any design that authenticates against the database and stores each request on its own. */
  floorRps: number;
  floorRatio: number;
  /** Prism mocking the same operation under the same load (issue 24: every write ≥ Prism). */
  prismRps: number;
  errors: number;
}

/** autocannon revoking users of `users` one after another, as the enterprise's first owner. */
function revokeUsersLoad(
  url: string,
  users: [number, number],
  connections: number,
  durationSeconds: number,
  overallRate?: number,
) {
  return {
    url,
    method: "POST",
    path: `/enterprises/${ENTERPRISE}/credential-authorizations/bench_user_{user}/revoke`,
    token: ADMIN_TOKEN,
    body: "{}",
    userRange: users,
    connections,
    durationSeconds,
    ...(overallRate === undefined ? {} : { overallRate }),
  };
}

/**
 * `total` operations from Node, `concurrency` at a time, on their own connection to the database
 * (after `setup`): operations per second.
 */
async function operationsPerSecond(
  database: Database,
  concurrency: number,
  total: number,
  setup: string,
  operation: (db: Db, n: number) => Promise<void>,
): Promise<number> {
  const db = await database.open();
  try {
    await db.exec(setup);
    let remaining = total;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (remaining-- > 0) await operation(db, remaining);
      }),
    );
    return total / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
  }
}

/** One-row inserts from Node at the same concurrency, on a copy of the same database. */
function insertBaseline(database: Database, concurrency: number, total: number): Promise<number> {
  return operationsPerSecond(
    database,
    concurrency,
    total,
    "create table if not exists bench_inserts (id bigint generated always as identity primary key, payload text not null)",
    async (db) => void (await db.query("insert into bench_inserts (payload) values ($1)", ["x"])),
  );
}

/**
 * The least a revocation request can cost on a design that checks each token in the database and
 * stores each request on its own: the authentication query and one insert, from Node at the same
 * concurrency, with no HTTP, no authorization and no job. Its ratio to the insert baseline bounds
 * what the real endpoint can reach.
 */
function authenticateAndInsertFloor(
  database: Database,
  concurrency: number,
  total: number,
  tokenHashes: Uint8Array[],
): Promise<number> {
  return operationsPerSecond(
    database,
    concurrency,
    total,
    "create table if not exists bench_requests (id bigint generated always as identity primary key, credential_id bigint not null)",
    async (db, n) => {
      const found = await findPrincipalByTokenHash(db, tokenHashes[n % tokenHashes.length]!);
      if (found === null) throw new Error("a bench token did not authenticate");
      await db.query("insert into bench_requests (credential_id) values ($1)", [found.credential.id]);
    },
  );
}

async function enqueue(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
  baselines: RepeatableBaseline[],
) {
  const database = await newDatabase(backend, adminUrl, scratch);
  await withWorld(database, plan.loadSize);
  const baselineDb = await database.copy();
  await settle(database);
  const server = await startServer(database, ["--no-worker"]);
  const prism = await startPrism(log);
  const results: EnqueueResult[] = [];
  const users: [number, number] = [1, plan.loadSize.users];
  const floorTokens = classicCredentials(plan.loadSize, 1, 200).map((c) => hashToken(classicToken(c.id)));
  // The baselines' copy stays for the end of the run once the scenario has handed it over.
  let kept = false;
  try {
    for (const concurrency of plan.concurrencies) {
      const measured = await load(revokeUsersLoad(server.url, users, concurrency, plan.seconds));
      const total = Math.max(50, measured.requests);
      const baselineRps = await insertBaseline(baselineDb, concurrency, total);
      const floorRps = await authenticateAndInsertFloor(baselineDb, concurrency, total, floorTokens);
      // Prism has no example for GitHub's media type and answers it 406: it is asked for JSON.
      const mocked = await load({
        ...revokeUsersLoad(prism.url, users, concurrency, plan.seconds),
        accept: "application/json",
      });
      if (mocked.non2xx + mocked.errors > 0) throw new Error(`Prism failed ${mocked.non2xx + mocked.errors} revokes`);
      results.push({
        backend,
        concurrency,
        rps: measured.rps,
        p50: measured.p50,
        p99: measured.p99,
        baselineRps,
        ratio: measured.rps / baselineRps,
        floorRps,
        floorRatio: floorRps / baselineRps,
        prismRps: mocked.rps,
        errors: measured.non2xx + measured.errors,
      });
      log(
        `  enqueue ${backend} c=${concurrency}: ${Math.round(measured.rps)} req/s (p99 ${measured.p99} ms) vs ${Math.round(baselineRps)} inserts/s, floor ${Math.round(floorRps)}/s, Prism ${Math.round(mocked.rps)}/s`,
      );
    }
    const top = Math.max(...results.map((r) => r.rps));
    const half = await load(
      revokeUsersLoad(
        server.url,
        users,
        Math.max(...plan.concurrencies),
        plan.seconds,
        Math.max(1, Math.floor(top / 2)),
      ),
    );
    log(`  enqueue ${backend} at half the top rate (${Math.floor(top / 2)} req/s): p99 ${half.p99} ms`);
    // Both baselines of the highest concurrency, again at the end of the run, on the same copy.
    const last = results.at(-1)!;
    const total = Math.max(50, Math.round(last.rps * plan.seconds));
    const release = sharedRelease(2, () => baselineDb.drop());
    const repeat = (baseline: string, first: number, again: () => Promise<number>): RepeatableBaseline => ({
      scenario: "enqueue",
      backend,
      baseline: `${baseline} at c=${last.concurrency}`,
      unit: "req/s",
      first,
      again,
      release,
    });
    baselines.push(
      repeat("one-row inserts", last.baselineRps, () => insertBaseline(baselineDb, last.concurrency, total)),
      repeat("floor (authenticate + insert)", last.floorRps, () =>
        authenticateAndInsertFloor(baselineDb, last.concurrency, total, floorTokens),
      ),
    );
    kept = true;
    return { results, halfRate: { backend, rate: Math.floor(top / 2), p50: half.p50, p99: half.p99 } };
  } finally {
    await prism.stop();
    await server.stop();
    await database.drop();
    if (!kept) await baselineDb.drop();
  }
}

interface ReadResult {
  backend: BackendName;
  /** SSO authorizations in the world read: no read may grow with it. */
  authorizations: number;
  endpoint: string;
  concurrency: number;
  rps: number;
  p99: number;
  baselineRps: number;
  ratio: number;
  /** The bare route plus credauth's authentication query: the floor of any design that reads the database per request. */
  floorRps: number;
  floorRatio: number;
  errors: number;
}

async function reads(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
  size: WorldSize,
  baselines: RepeatableBaseline[],
): Promise<ReadResult[]> {
  const database = await newDatabase(backend, adminUrl, scratch);
  await withWorld(database, size);
  await settle(database);
  // bench_user_1 joins the organizations its PAT is authorized for, so GET /orgs/{org} runs the SSO check.
  const [credential] = classicCredentials(size, 1, 1);
  if (!credential) throw new Error("the world has no classic PAT");
  const db = await database.open();
  const [authorized] = await db.query<{ login: string }>(
    `insert into organization_roles (organization_id, user_id, role)
     select a.organization_id, c.user_id, 'member' from credential_authorizations a join credentials c on c.id = a.credential_id
      where c.id = $1 on conflict do nothing returning (select login from organizations where id = organization_id) as login`,
    [credential.id],
  );
  await db.close();
  // The floor's server reads its own copy: an embedded data folder belongs to one process.
  const floorDatabase = backend === "pglite" ? await database.copy() : database;
  const server = await startServer(database, ["--no-worker"]);
  const bareScript = join(import.meta.dirname, "bare-server.ts");
  const bare = run([], {}, bareScript);
  const [, bareUrl] = await waitForOutput(bare, /bare listening on (http:\/\/\S+)/);
  const floor = run(floorDatabase.flags, {}, bareScript);
  const [, floorUrl] = await waitForOutput(floor, /bare listening on (http:\/\/\S+)/);
  const results: ReadResult[] = [];
  try {
    const token = classicToken(credential.id);
    const concurrency = Math.max(...plan.concurrencies);
    const endpoints = ["/user", `/orgs/${authorized!.login}`];
    // Rounds that alternate the servers, medians over the rounds: the machine's drift over a minute
    // then moves every series alike instead of favouring whichever ran in the quiet moment.
    const samples = new Map<string, LoadResult[]>();
    const measure = async (key: string, url: string, path: string) => {
      const result = await load({
        url,
        method: "GET",
        path,
        token,
        connections: concurrency,
        durationSeconds: plan.seconds,
      });
      samples.set(key, [...(samples.get(key) ?? []), result]);
    };
    for (let round = 0; round < plan.readRounds; round++) {
      await measure("bare", bareUrl!, "/user");
      await measure("floor", floorUrl!, "/user");
      for (const endpoint of endpoints) await measure(endpoint, server.url, endpoint);
    }
    const medianOf = (key: string, pick: (r: LoadResult) => number) => median(samples.get(key)!.map(pick));
    const failures = (key: string) => samples.get(key)!.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
    if (failures("floor") > 0) throw new Error("the read floor refused the bench token");
    const baselineRps = medianOf("bare", (r) => r.rps);
    const floorRps = medianOf("floor", (r) => r.rps);
    baselines.push({
      scenario: "reads",
      backend,
      baseline: `bare route /user at c=${concurrency} (${size.authorizations.toLocaleString()} authorizations)`,
      unit: "req/s",
      first: baselineRps,
      async again() {
        const server = run([], {}, bareScript);
        try {
          const [, url] = await waitForOutput(server, /bare listening on (http:\/\/\S+)/);
          const path = "/user";
          return (
            await load({ url, method: "GET", path, token, connections: concurrency, durationSeconds: plan.seconds })
          ).rps;
        } finally {
          await server.stop();
        }
      },
    });
    for (const endpoint of endpoints) {
      const rps = medianOf(endpoint, (r) => r.rps);
      results.push({
        backend,
        authorizations: size.authorizations,
        endpoint,
        concurrency,
        rps,
        p99: medianOf(endpoint, (r) => r.p99),
        baselineRps,
        ratio: rps / baselineRps,
        floorRps,
        floorRatio: floorRps / baselineRps,
        errors: failures(endpoint),
      });
      log(
        `  read ${backend} (${size.authorizations} authorizations) GET ${endpoint}: ${Math.round(rps)} req/s vs bare ${Math.round(baselineRps)} req/s, floor ${Math.round(floorRps)} req/s (medians of ${plan.readRounds})`,
      );
    }
  } finally {
    await floor.stop();
    await bare.stop();
    await server.stop();
    if (floorDatabase !== database) await floorDatabase.drop();
    await database.drop();
  }
  return results;
}

/** Every GitHub read route on the demo world, beside the same bytes from a plain server and Prism. */
async function routes(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
): Promise<{ routes: RouteResult[]; idle: IdleMemory; baseline: RepeatableBaseline }> {
  const databases: Database[] = [];
  try {
    return await routeThroughput(
      {
        backend,
        concurrencies: plan.routeConcurrencies,
        seconds: plan.routeSeconds,
        rounds: plan.routeRounds,
        warmUp: plan.mode !== "smoke",
        fewRoutes: plan.mode === "smoke",
        async startServer(flags, env) {
          const database = await newDatabase(backend, adminUrl, scratch);
          databases.push(database);
          return startServer(database, flags, env);
        },
        runScript: (script, args) => run(args, {}, script),
        load,
        scratch,
        log,
      },
      ADMIN_TOKEN,
    );
  } finally {
    for (const database of databases) await database.drop();
  }
}

interface ContainmentResult {
  backend: BackendName;
  /** 1: the probes ask the server that revokes; 2: they ask a second `serve` on the same database. */
  servers: number;
  trials: number;
  letInAfter202: number;
  refusedAfterMs: { p50: number; p99: number; max: number };
}

/**
 * Under enqueue load, revoke one user at a time (revoke_credentials) while four probes keep calling
 * GET /user with that user's token. Counts responses that let a request in although it was sent
 * after the 202 arrived, and how long after the 202 the first refusal arrived. With two servers
 * (PostgreSQL), the probes ask a second `serve` process, whose read cache the first one's 202
 * must already have emptied.
 */
async function containment(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
  servers: 1 | 2,
): Promise<ContainmentResult> {
  const size = plan.loadSize;
  const database = await newDatabase(backend, adminUrl, scratch);
  await withWorld(database, size);
  await settle(database);
  const server = await startServer(database);
  const prober = servers === 2 ? await startServer(database, ["--no-worker"]) : server;
  const targets = classicCredentials(size, 2, plan.containmentTrials);
  const trials = targets.length;
  // The background load revokes users of the upper half; the trials' users come from the lower.
  if (targets.some((t) => t.id > size.users / 2))
    throw new Error(`the world is too small for ${plan.containmentTrials} containment trials`);
  const background = startLoad(revokeUsersLoad(server.url, [Math.floor(size.users / 2) + 1, size.users], 16, 3600));
  let letIn = 0;
  const delays: number[] = [];
  try {
    for (const credential of targets) {
      const token = classicToken(credential.id);
      let revokedAt = Infinity;
      let firstRefusal = Infinity;
      let stop = false;
      const probe = async () => {
        while (!stop) {
          const sentAt = performance.now();
          const response = await fetch(`${prober.url}/user`, { headers: { authorization: `Bearer ${token}` } });
          await response.arrayBuffer();
          if (response.status === 200 && sentAt > revokedAt) letIn++;
          if (response.status === 401) {
            firstRefusal = Math.min(firstRefusal, performance.now());
            if (performance.now() > revokedAt) stop = true;
          }
        }
      };
      const probes = Array.from({ length: 4 }, probe);
      await sleep(2);
      const accepted = await api(
        server.url,
        "POST",
        `/enterprises/${ENTERPRISE}/credential-authorizations/${credential.login}/revoke`,
        ADMIN_TOKEN,
        { revoke_credentials: true },
      );
      revokedAt = performance.now();
      if (accepted.status !== 202) throw new Error(`revoke answered ${accepted.status}: ${accepted.body}`);
      await Promise.all(probes);
      delays.push(Math.max(0, firstRefusal - revokedAt));
    }
  } finally {
    await background.stop();
    await background.result.catch(() => undefined);
    if (prober !== server) await prober.stop();
    await server.stop();
    await database.drop();
  }
  const result = {
    backend,
    servers,
    trials,
    letInAfter202: letIn,
    refusedAfterMs: { p50: median(delays), p99: percentile(delays, 99), max: Math.max(...delays) },
  };
  log(
    `  containment ${backend}, ${servers} server(s): ${trials} trials, ${letIn} let in after the 202, first refusal ${result.refusedAfterMs.p50.toFixed(2)} ms (p99 ${result.refusedAfterMs.p99.toFixed(2)}) after it`,
  );
  return result;
}

interface SoakResult {
  backend: BackendName;
  rate: number;
  durationSeconds: number;
  requests: number;
  /** Answers other than the expected 2xx, and transport errors: the target is none. */
  failures: number;
  statuses: Record<string, number>;
  /** p99 of each tenth of the run, ms. */
  p99ByWindow: number[];
  /** The slowest window's p99 over the median window's: how stable the tail stays. */
  p99Spread: number;
  /** The server's RSS, sampled evenly over the run, MB. */
  rssMb: number[];
  /** RSS at the end over RSS after the first tenth (warm-up): how flat memory stays. */
  rssGrowth: number;
}

/**
 * The soak: for plan.soakSeconds, a fixed rate of mixed requests — reads (GET /user, an
 * organization, the job resource, the audit log), dry runs and real user revocations, whose jobs
 * run meanwhile — against one server. Reported: failures (target none), the p99 of each tenth of
 * the run (stable), and the server's RSS over time (flat).
 */
async function soak(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
): Promise<SoakResult> {
  const database = await newDatabase(backend, adminUrl, scratch);
  await withWorld(database, plan.loadSize);
  await settle(database);
  const server = await startServer(database);
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(server.rssMb()), (plan.soakSeconds * 1000) / 20);
  try {
    const first = await api(
      server.url,
      "POST",
      `/enterprises/${ENTERPRISE}/credential-authorizations/bench_user_1/revoke`,
      ADMIN_TOKEN,
    );
    if (first.status !== 202) throw new Error(`the soak's first revocation was refused: ${first.status}`);
    const jobPath = new URL(first.headers.get("location")!).pathname;
    const result = (await load({
      url: server.url,
      method: "GET",
      path: "/user",
      token: ADMIN_TOKEN,
      connections: 32,
      durationSeconds: plan.soakSeconds,
      overallRate: plan.soakRate,
      windowSeconds: plan.soakSeconds / 10,
      userRange: [2, plan.loadSize.users],
      mix: [
        { method: "GET", path: "/user" },
        { method: "GET", path: "/orgs/bench-org-1" },
        { method: "GET", path: jobPath },
        { method: "GET", path: `/enterprises/${ENTERPRISE}/audit-log?per_page=30` },
        {
          method: "POST",
          path: `/_credauth/dry-run/enterprises/${ENTERPRISE}/credential-authorizations/bench_user_{user}/revoke`,
        },
        {
          method: "POST",
          path: `/enterprises/${ENTERPRISE}/credential-authorizations/bench_user_{user}/revoke`,
          body: '{"revoke_credentials": true}',
        },
      ],
    })) as LoadResult & { p99ByWindow: number[]; statuses: Record<string, number> };
    clearInterval(sampler);
    rssSamples.push(server.rssMb());
    const windows = result.p99ByWindow.filter(Number.isFinite);
    const afterWarmUp = rssSamples[Math.max(1, Math.floor(rssSamples.length / 10))] ?? rssSamples[0]!;
    const soaked: SoakResult = {
      backend,
      rate: plan.soakRate,
      durationSeconds: plan.soakSeconds,
      requests: result.requests,
      failures: result.non2xx + result.errors,
      statuses: result.statuses,
      p99ByWindow: windows,
      p99Spread: Math.max(...windows) / median(windows),
      rssMb: rssSamples,
      rssGrowth: rssSamples.at(-1)! / afterWarmUp,
    };
    log(
      `  soak ${backend}: ${soaked.requests} requests at ${soaked.rate}/s, ${soaked.failures} failures, p99 by tenth ${windows.map((w) => fmt(w, 1)).join("/")} ms, ` +
        `RSS ${fmt(afterWarmUp)} → ${fmt(rssSamples.at(-1)!)} MB`,
    );
    return soaked;
  } finally {
    clearInterval(sampler);
    await server.stop();
    await database.drop();
  }
}

interface StartupResult {
  runs: number;
  medianMs: number;
  maxMs: number;
}

/** `credauth serve` on an existing embedded data folder, to the first 200 on /healthz. */
async function startup(plan: Plan, scratch: string, log: (line: string) => void): Promise<StartupResult> {
  const database = await newDatabase("pglite", null, scratch);
  await withWorld(database, plan.loadSize);
  // A first start finishes pg-boss's own installation, as on any machine that has run credauth once.
  const first = await startServer(database);
  await first.stop();
  const times: number[] = [];
  for (let i = 0; i < plan.startupRuns; i++) {
    const port = await freePort();
    const started = performance.now();
    const proc = run(["serve", "--port", String(port), ...database.flags]);
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (proc.child.exitCode !== null) throw new Error(`serve exited:\n${proc.output()}`);
      await sleep(5);
    }
    times.push(performance.now() - started);
    await proc.stop();
  }
  await database.drop();
  const result = { runs: times.length, medianMs: median(times), maxMs: Math.max(...times) };
  log(`  start-up: ${Math.round(result.medianMs)} ms median over ${result.runs} runs`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Small jobs and idle cost

interface SmallJobsResult {
  backend: BackendName;
  jobs: number;
  /** Authorizations each job revoked (one user's). */
  rowsPerJob: number;
  /** From the 202 arriving to the job resource first answering `succeeded`. */
  observedMs: { p50: number; p99: number; max: number };
  /** The server's own clock: the revocation's finished_at minus its requested_at. */
  serverMs: { p50: number; p99: number; max: number };
  /** The first jobs after the server started (observed): what a user running one test meets. */
  firstJobs: { jobs: number; p50: number; max: number };
}

/**
 * One user's revocation at a time, on an idle server: how long from its 202 until the job has
 * succeeded, as the client sees it (polling the job resource every 2 ms) and by the server's clock.
 */
/** How many jobs right after start-up count as the first ones. */
const FIRST_JOBS = 12;

async function smallJobs(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
): Promise<SmallJobsResult> {
  const size = plan.loadSize;
  const database = await newDatabase(backend, adminUrl, scratch);
  await withWorld(database, size);
  await settle(database);
  const server = await startServer(database);
  const observed: number[] = [];
  const ids: number[] = [];
  try {
    const count = Math.min(plan.smallJobs, size.users - 1);
    for (let user = 2; user < 2 + count; user++) {
      const accepted = await api(
        server.url,
        "POST",
        `/enterprises/${ENTERPRISE}/credential-authorizations/bench_user_${user}/revoke`,
        ADMIN_TOKEN,
        {},
      );
      const arrived = performance.now();
      if (accepted.status !== 202) throw new Error(`revoke answered ${accepted.status}: ${accepted.body}`);
      const location = new URL(accepted.headers.get("location")!).pathname;
      ids.push(Number(location.split("/").at(-1)));
      for (;;) {
        const job = await api(server.url, "GET", location, ADMIN_TOKEN);
        if ((JSON.parse(job.body) as { state: string }).state === "succeeded") break;
        if (performance.now() - arrived > 30_000) throw new Error(`revocation ${location} did not finish: ${job.body}`);
        await sleep(2);
      }
      observed.push(performance.now() - arrived);
      await sleep(20); // idle between jobs: each starts on a worker that was waiting
    }
    const db = await database.open();
    const rows = await db.query<{ ms: number }>(
      "select extract(epoch from finished_at - requested_at) * 1000 as ms from revocations where id = any($1::bigint[])",
      [ids],
    );
    const [perJob] = await db.query<{ n: number }>(
      "select (count(*)::float / greatest(count(distinct revoked_by_revocation_id), 1)) as n from credential_authorizations where revoked_by_revocation_id = any($1::bigint[])",
      [ids],
    );
    await db.close();
    const server_ = rows.map((r) => Number(r.ms));
    const stats = (values: number[]) => ({
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: Math.max(...values),
    });
    const result: SmallJobsResult = {
      backend,
      jobs: observed.length,
      rowsPerJob: Number(perJob?.n ?? 0),
      observedMs: stats(observed),
      serverMs: stats(server_),
      firstJobs: { jobs: Math.min(FIRST_JOBS, observed.length), ...stats(observed.slice(0, FIRST_JOBS)) },
    };
    log(
      `  small jobs: 202 → succeeded p50 ${result.observedMs.p50.toFixed(1)} ms, p99 ${result.observedMs.p99.toFixed(1)} ms (server clock p50 ${result.serverMs.p50.toFixed(1)}, p99 ${result.serverMs.p99.toFixed(1)})`,
    );
    return result;
  } finally {
    await server.stop();
    await database.drop();
  }
}

interface IdleResult {
  backend: BackendName;
  seconds: number;
  /** The serve process's CPU time over the window, as a share of one core. */
  cpuPercent: number;
}

/** CPU time (user + system) of a process so far, in seconds, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** A `serve` with nothing to do, after a warm-up: how much of a core it uses. */
async function idle(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
): Promise<IdleResult> {
  const database = await newDatabase(backend, adminUrl, scratch);
  await withWorld(database, plan.loadSize);
  const server = await startServer(database);
  try {
    // Start-up's own work settles first: the queue cache, first polls, V8 compiling PGlite's code.
    await sleep(plan.idleWarmupSeconds * 1000);
    const pid = server.child.pid!;
    const before = cpuSeconds(pid);
    await sleep(plan.idleSeconds * 1000);
    const result = {
      backend,
      seconds: plan.idleSeconds,
      cpuPercent: ((cpuSeconds(pid) - before) / plan.idleSeconds) * 100,
    };
    log(`  idle: ${result.cpuPercent.toFixed(2)} % of a core over ${plan.idleSeconds} s`);
    return result;
  } finally {
    await server.stop();
    await database.drop();
  }
}

// ---------------------------------------------------------------------------------------------
// Bulk load

interface BulkLoadResult {
  backend: BackendName;
  users: number;
  credentials: number;
  authorizations: number;
  fileMb: number;
  /** `credauth seed world.json`, from the command to its exit. */
  seedMs: number;
  /** The same rows, grant audit events included, by plain COPY in one transaction. */
  copyMs: number;
  ratio: number;
  seedPeakRssMb: number;
}

const LOADED_TABLES = [
  "enterprises",
  "users",
  "enterprise_roles",
  "organizations",
  "organization_roles",
  "credentials",
  "credential_authorizations",
  "audit_events",
];

async function rowCounts(database: Database): Promise<Record<string, number>> {
  const db = await database.open();
  try {
    const counts: Record<string, number> = {};
    for (const table of LOADED_TABLES) {
      const [row] = await db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
      counts[table] = row?.n ?? 0;
    }
    return counts;
  } finally {
    await db.close();
  }
}

/** Runs a credauth command to its end; its peak RSS sampled while it runs. */
async function runToEnd(args: string[]): Promise<{ ms: number; peakRssMb: number; output: string }> {
  const started = performance.now();
  const proc = run(args);
  let peakRssMb = 0;
  const sampler = setInterval(() => {
    try {
      peakRssMb = Math.max(peakRssMb, proc.peakRssMb());
    } catch {} // it has just exited
  }, 50);
  const code = proc.child.exitCode ?? (await once(proc.child, "exit"))[0];
  const ms = performance.now() - started;
  clearInterval(sampler);
  if (code !== 0) throw new Error(`credauth ${args[0]} exited ${code}:\n${proc.output()}`);
  return { ms, peakRssMb, output: proc.output() };
}

async function bulkLoad(
  plan: Plan,
  backend: BackendName,
  adminUrl: string | null,
  scratch: string,
  log: (line: string) => void,
  baselines: RepeatableBaseline[],
): Promise<BulkLoadResult> {
  const size = plan.drainSize;
  const dir = mkdtempSync(join(scratch, "load-"));
  const fixture = join(dir, "world.json");
  await writeFixtureFile(fixture, size);
  const parts = writeCopyFiles(size, dir);
  const measured = await newDatabase(backend, adminUrl, scratch);
  await runToEnd(["migrate", ...measured.flags]);
  const baseline = await measured.copy();
  // A second migrated copy, for the COPY baseline again at the end of the run.
  const baselineAgain = await measured.copy();
  const copyInto = (database: Database) =>
    backend === "pglite" ? copyIntoPglite(database.location, parts) : copyIntoPostgres(database.location, parts);
  let kept = false;
  try {
    const seed = await runToEnd(["seed", fixture, ...measured.flags]);
    const copyMs = await copyInto(baseline);
    const [loaded, copied] = [await rowCounts(measured), await rowCounts(baseline)];
    if (JSON.stringify(loaded) !== JSON.stringify(copied))
      throw new Error(`the seed and the COPY baseline loaded different rows: ${JSON.stringify({ loaded, copied })}`);
    const result: BulkLoadResult = {
      backend,
      ...size,
      fileMb: statSync(fixture).size / 2 ** 20,
      seedMs: seed.ms,
      copyMs,
      ratio: seed.ms / copyMs,
      seedPeakRssMb: seed.peakRssMb,
    };
    log(
      `  load: ${Math.round(result.seedMs)} ms against COPY ${Math.round(copyMs)} ms (${result.ratio.toFixed(2)}×), peak RSS ${Math.round(result.seedPeakRssMb)} MB`,
    );
    baselines.push({
      scenario: "load",
      backend,
      baseline: `COPY of ${size.users.toLocaleString()} users' rows`,
      unit: "ms",
      first: copyMs,
      again: () => copyInto(baselineAgain),
      async release() {
        await baselineAgain.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    });
    kept = true;
    return result;
  } finally {
    await measured.drop();
    await baseline.drop();
    if (!kept) {
      await baselineAgain.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

export interface BenchReport {
  mode: Mode;
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  load: BulkLoadResult[];
  smallJobs: SmallJobsResult[];
  idle: IdleResult[];
  drain: DrainResult[];
  enqueue: EnqueueResult[];
  enqueueHalfRate: { backend: BackendName; rate: number; p50: number; p99: number }[];
  reads: ReadResult[];
  routes: RouteResult[];
  /** Resident memory of an idle `serve --demo` (measured by the routes scenario). */
  idleMemory: IdleMemory[];
  /** Every scenario's baselines measured again at the end of the run (bench/drift.ts). */
  baselineDrift: BaselineDrift[];
  mixed: MixedResult[];
  containment: ContainmentResult[];
  soak: SoakResult[];
  startup: StartupResult | null;
  rateLimits: RateLimitCostResult | null;
  harness: HarnessResult | null;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "—");

export function toMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  lines.push(
    `Benchmark (${report.mode}) on ${report.date}: ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGb} GiB, Node ${report.machine.node}.`,
    "",
  );
  lines.push(
    "**Bulk load** (`credauth seed world.json`, from the command to its exit; target ≤ 2× the same rows by COPY, RSS ≤ 500 MB on PostgreSQL)",
    "",
    "| backend | users | credentials | authorizations | file MB | seed ms | COPY baseline ms | ratio | seed peak RSS MB |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const l of report.load ?? []) {
    lines.push(
      `| ${l.backend} | ${l.users} | ${l.credentials} | ${l.authorizations} | ${fmt(l.fileMb, 1)} | ${fmt(l.seedMs)} | ${fmt(l.copyMs)} | ${fmt(l.ratio, 2)} | ${fmt(l.seedPeakRssMb)} |`,
    );
  }
  lines.push(
    "",
    "**Small jobs** (one user's revocation on an idle server, from the 202 to `succeeded`; target p50 ≤ 50 ms, p99 ≤ 200 ms)",
    "",
    "| backend | jobs | authorizations per job | observed p50 ms | p99 ms | max ms | server clock p50 ms | p99 ms | first jobs after start | their p50 ms | their max ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const j of report.smallJobs ?? []) {
    lines.push(
      `| ${j.backend} | ${j.jobs} | ${fmt(j.rowsPerJob, 1)} | ${fmt(j.observedMs.p50, 1)} | ${fmt(j.observedMs.p99, 1)} | ${fmt(j.observedMs.max, 1)} | ${fmt(j.serverMs.p50, 1)} | ${fmt(j.serverMs.p99, 1)} | ${j.firstJobs?.jobs ?? "—"} | ${fmt(j.firstJobs?.p50 ?? Number.NaN, 1)} | ${fmt(j.firstJobs?.max ?? Number.NaN, 1)} |`,
    );
  }
  lines.push("", "**Idle** (`serve` with nothing to do; target < 0.5 % of a core)", "");
  lines.push("| backend | seconds | CPU % of a core |", "|---|---|---|");
  for (const i of report.idle ?? []) lines.push(`| ${i.backend} | ${i.seconds} | ${fmt(i.cpuPercent, 2)} |`);
  lines.push(
    "",
    "**Drain** (revoke-all with revoke_credentials, from the 202 to `succeeded`; target ≤ 1.5× baseline, RSS ≤ 300 MB)",
    "",
  );
  lines.push(
    "| backend | workers | authorizations | credentials | drain ms | SQL baseline ms | ratio | minimal-schema baseline ms | drain ÷ minimal | speed-up over 1 worker | SQL in as many parallel parts ms | its speed-up | worker peak RSS MB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const d of report.drain) {
    const single = report.drain.find(
      (o) => o.backend === d.backend && o.workers === 1 && o.authorizations === d.authorizations,
    );
    const speedUp = single ? fmt(single.drainMs / d.drainMs, 2) : "—";
    const sqlSpeedUp = single ? fmt(single.baselineMs / d.parallelBaselineMs, 2) : "—";
    const minimal = d.minimalBaselineMs ?? Number.NaN;
    lines.push(
      `| ${d.backend} | ${d.workers} | ${d.authorizations} | ${d.credentials} | ${fmt(d.drainMs)} | ${fmt(d.baselineMs)} | ${fmt(d.ratio, 2)} | ${fmt(minimal)} | ${fmt(d.drainMs / minimal, 1)} | ${speedUp} | ${fmt(d.parallelBaselineMs)} | ${sqlSpeedUp} | ${fmt(d.workerPeakRssMb)} |`,
    );
  }
  lines.push(
    "",
    "**Enqueue** (`POST …/{username}/revoke`; targets at c=64: ≥ 50 % of the floor, ≥ Prism mocking the same operation)",
    "",
  );
  lines.push(
    "| backend | concurrency | req/s | p50 ms | p99 ms | inserts/s baseline | ratio | floor: authenticate + insert /s | of the floor | Prism req/s | × Prism | non-2xx |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const e of report.enqueue) {
    lines.push(
      `| ${e.backend} | ${e.concurrency} | ${fmt(e.rps)} | ${fmt(e.p50, 1)} | ${fmt(e.p99, 1)} | ${fmt(e.baselineRps)} | ${fmt(e.ratio, 2)} | ${fmt(e.floorRps)} | ${fmt(e.rps / e.floorRps, 2)} | ${fmt(e.prismRps)} | ${fmt(e.rps / e.prismRps, 2)} | ${e.errors} |`,
    );
  }
  for (const h of report.enqueueHalfRate)
    lines.push(
      "",
      `At half the top rate on ${h.backend} (${h.rate} req/s): p50 ${fmt(h.p50, 1)} ms, p99 ${fmt(h.p99, 1)} ms (target ≤ 50 ms).`,
    );
  lines.push(
    "",
    "**Authenticated reads** (target: GET /user and GET /orgs/{org} ≥ 50 % of a bare Fastify route at c=64, on both worlds)",
    "",
  );
  lines.push(
    "| backend | authorizations | endpoint | concurrency | req/s | p99 ms | bare route req/s | ratio | floor: bare route + authentication query req/s | floor ratio | non-2xx |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of report.reads) {
    lines.push(
      `| ${r.backend} | ${r.authorizations ?? ""} | GET ${r.endpoint} | ${r.concurrency} | ${fmt(r.rps)} | ${fmt(r.p99, 1)} | ${fmt(r.baselineRps)} | ${fmt(r.ratio, 2)} | ${fmt(r.floorRps)} | ${fmt(r.floorRatio, 2)} | ${r.errors} |`,
    );
  }
  lines.push(
    "",
    "**Every read route** on the demo world (`serve --demo`; target: ≥ 50 % of a plain server answering the same bytes, ≥ 5× Prism)",
    "",
    "| backend | route | path | concurrency | req/s | p99 ms | body bytes | same bytes req/s | ratio | Prism req/s | × Prism | non-2xx |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const r of report.routes ?? [])
    lines.push(
      `| ${r.backend} | ${r.route} | \`${r.path.length > 60 ? `${r.path.slice(0, 57)}…` : r.path}\` | ${r.concurrency} | ${fmt(r.rps)} | ${fmt(r.p99, 1)} | ${r.bytes} | ${fmt(r.sameBytesRps)} | ${fmt(r.ratio, 2)} | ${r.prismRps === null ? "—" : fmt(r.prismRps)} | ${r.prismRatio === null ? "—" : fmt(r.prismRatio, 1)} | ${r.errors} |`,
    );
  lines.push(
    "",
    "**Mixed load**: reads at c=32 on the demo world while one-user revocations are paced (target: ≥ 80 % of the reads alone)",
    "",
    "| backend | route | revocations/s | alone req/s | with revocations req/s | kept | revocations p99 ms | failed revocations |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const m of report.mixed ?? [])
    lines.push(
      `| ${m.backend} | ${m.route} | ${m.revocationsPerSecond} | ${fmt(m.aloneRps)} | ${fmt(m.mixedRps)} | ${fmt(m.kept * 100)} % | ${fmt(m.revocationP99, 1)} | ${m.revocationFailures} |`,
    );
  lines.push(
    "",
    "**Baseline drift**: every scenario's baselines measured again at the end of the run (flagged over 10 %)",
    "",
    "| scenario | backend | baseline | first | at the end | unit | drift | flagged |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const d of report.baselineDrift ?? [])
    lines.push(
      `| ${d.scenario} | ${d.backend} | ${d.baseline} | ${fmt(d.first)} | ${fmt(d.again)} | ${d.unit} | ${fmt(d.drift * 100)} % | ${d.flagged ? "**yes**" : "no"} |`,
    );
  lines.push(
    "",
    "**Idle memory** of `serve --demo`, five seconds after start (target ≤ 250 MB embedded; PostgreSQL's beside it)",
    "",
    "| backend | RSS MB |",
    "|---|---|",
  );
  for (const m of report.idleMemory ?? []) lines.push(`| ${m.backend} | ${fmt(m.rssMb)} |`);
  lines.push("", "**Containment** under enqueue load (target: zero requests let in after the 202)", "");
  lines.push(
    "| backend | serve processes | trials | let in after the 202 | first refusal after the 202: p50 ms | p99 ms | max ms |",
    "|---|---|---|---|---|---|---|",
  );
  for (const c of report.containment)
    lines.push(
      `| ${c.backend} | ${c.servers ?? 1} | ${c.trials} | ${c.letInAfter202} | ${fmt(c.refusedAfterMs.p50, 2)} | ${fmt(c.refusedAfterMs.p99, 2)} | ${fmt(c.refusedAfterMs.max, 2)} |`,
    );
  lines.push(
    "",
    "**Soak**: mixed reads, dry runs and real revocations at a fixed rate (targets: no failures, p99 stable, RSS flat)",
    "",
  );
  lines.push(
    "| backend | rate /s | seconds | requests | failures | p99 by tenth of the run, ms | slowest / median tenth | RSS after warm-up → end, MB | growth |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const k of report.soak) {
    const warm = k.rssMb[Math.max(1, Math.floor(k.rssMb.length / 10))] ?? k.rssMb[0] ?? NaN;
    lines.push(
      `| ${k.backend} | ${k.rate} | ${k.durationSeconds} | ${k.requests} | ${k.failures} | ${k.p99ByWindow.map((w) => fmt(w, 1)).join(" / ")} | ${fmt(k.p99Spread, 2)} | ${fmt(warm)} → ${fmt(k.rssMb.at(-1) ?? NaN)} | ${fmt(k.rssGrowth, 2)} |`,
    );
  }
  if (report.startup) {
    lines.push(
      "",
      `**Start-up** on an existing embedded data folder, to the first 200 on /healthz: median ${fmt(report.startup.medianMs)} ms, max ${fmt(report.startup.maxMs)} ms over ${report.startup.runs} runs (target ≤ 1500 ms).`,
    );
  }
  if (report.harness) {
    const h = report.harness;
    const cost = (h.withHarnessUs / h.withoutHarnessUs - 1) * 100;
    lines.push(
      "",
      "**The test harness** (in this process; targets from issue 22):",
      "",
      "| measure | result | target |",
      "|---|---|---|",
      `| a new process importing the built package, startCredauth() to the first answer (median) | ${fmt(h.packageProcessMs)} ms | — |`,
      `| startCredauth() (demo world) to the first answer, first in a checkout's process (no shipped database) | ${fmt(h.coldStartMs)} ms | — |`,
      `| the same, median of the ${h.starts - 1} after | ${fmt(h.warmStartMs)} ms | ≤ 500 ms |`,
      `| RSS each further instance adds (median) | ${fmt(h.perInstanceMb)} MB | ≤ 150 MB |`,
      `| reset, demo world (median of ${h.resets}) | ${fmt(h.resetDemoMs, 1)} ms | ≤ 25 ms |`,
      `| reset, ${h.resetWorld.users.toLocaleString("en")}-user world | ${fmt(h.resetWorld.ms)} ms | ≤ 250 ms |`,
      `| GET /user with the journal and an empty fault table, beside without (inject) | ${fmt(h.withHarnessUs)} µs vs ${fmt(h.withoutHarnessUs)} µs (${cost >= 0 ? "+" : ""}${fmt(cost, 1)} %) | ≤ +5 % |`,
    );
  }
  if (report.rateLimits) {
    const r = report.rateLimits;
    lines.push(
      "",
      "**Rate-limit counting** per request (GET /user through inject(), medians of " +
        `${r.rounds} rounds of ${r.requests}): limits off ${fmt(r.offUs)} µs; counted in memory ${fmt(r.memoryUs)} µs ` +
        `(+${fmt(r.memoryUs - r.offUs)} µs); counted in Redis ${fmt(r.redisUs)} µs (+${fmt(r.redisUs - r.offUs)} µs).`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<BenchReport> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      smoke: { type: "boolean", default: false },
      "database-url": { type: "string" },
      "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
      only: { type: "string" },
      backends: { type: "string" },
      out: { type: "string", default: join(ROOT, "bench", "results") },
    },
  });
  const plan = PLANS[values.smoke ? "smoke" : values.quick ? "quick" : "full"];
  const adminUrl = values["database-url"] ?? null;
  const only = new Set(
    (
      values.only ?? "load,small,idle,drain,enqueue,reads,routes,mixed,containment,soak,startup,ratelimits,harness"
    ).split(","),
  );
  const available: BackendName[] = adminUrl ? ["pglite", "postgres"] : ["pglite"];
  const chosen = values.backends?.split(",") ?? available;
  const unavailable = chosen.filter((name) => !(available as string[]).includes(name));
  if (unavailable.length > 0)
    throw new Error(
      `--backends ${unavailable.join(",")}: choose from ${available.join(",")}${adminUrl ? "" : " (postgres needs --database-url)"}`,
    );
  const backends = available.filter((name) => chosen.includes(name));
  const scratch = mkdtempSync(join(tmpdir(), "credauth-bench-"));
  const log = (line: string) => console.log(line);
  // Every scenario's baselines, measured again at the end of the run (bench/drift.ts).
  const baselines: RepeatableBaseline[] = [];
  const report: BenchReport = {
    mode: plan.mode,
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    load: [],
    smallJobs: [],
    idle: [],
    drain: [],
    enqueue: [],
    enqueueHalfRate: [],
    reads: [],
    routes: [],
    idleMemory: [],
    baselineDrift: [],
    mixed: [],
    containment: [],
    soak: [],
    startup: null,
    rateLimits: null,
    harness: null,
  };
  try {
    for (const backend of backends) {
      log(`${backend}:`);
      if (only.has("load")) report.load.push(await bulkLoad(plan, backend, adminUrl, scratch, log, baselines));
      if (only.has("small")) report.smallJobs.push(await smallJobs(plan, backend, adminUrl, scratch, log));
      if (only.has("idle")) report.idle.push(await idle(plan, backend, adminUrl, scratch, log));
      if (only.has("drain")) {
        for (const size of plan.smallerDrainSizes)
          report.drain.push(...(await drain(plan, backend, adminUrl, scratch, log, baselines, size, [1])));
        report.drain.push(...(await drain(plan, backend, adminUrl, scratch, log, baselines)));
      }
      if (only.has("enqueue")) {
        const { results, halfRate } = await enqueue(plan, backend, adminUrl, scratch, log, baselines);
        report.enqueue.push(...results);
        report.enqueueHalfRate.push(halfRate);
      }
      if (only.has("reads")) {
        // The usual world, and (full run) the million-authorization one: reads must not grow with it.
        for (const size of new Set([plan.loadSize, plan.drainSize]))
          report.reads.push(...(await reads(plan, backend, adminUrl, scratch, log, size, baselines)));
      }
      if (only.has("routes")) {
        const measured = await routes(plan, backend, adminUrl, scratch, log);
        report.routes.push(...measured.routes);
        report.idleMemory.push(measured.idle);
        baselines.push(measured.baseline);
      }
      if (only.has("mixed")) {
        report.mixed.push(
          ...(await mixedLoad({
            backend,
            seconds: plan.seconds,
            rate: plan.mode === "smoke" ? 10 : 50,
            // Each server on a database of its own, dropped when the server stops: the reads alone are
            // measured again on a new one at the end of the run.
            async startServer(flags, env) {
              const database = await newDatabase(backend, adminUrl, scratch);
              const server = await startServer(database, flags, env);
              const stop = server.stop.bind(server);
              server.stop = async () => {
                try {
                  return await stop();
                } finally {
                  await database.drop();
                }
              };
              return server;
            },
            load,
            log,
            baselines,
          })),
        );
      }
      if (only.has("containment")) {
        report.containment.push(await containment(plan, backend, adminUrl, scratch, log, 1));
        // Only PostgreSQL can be shared by two serve processes.
        if (backend === "postgres")
          report.containment.push(await containment(plan, backend, adminUrl, scratch, log, 2));
      }
      if (only.has("soak")) report.soak.push(await soak(plan, backend, adminUrl, scratch, log));
    }
    if (only.has("startup")) report.startup = await startup(plan, scratch, log);
    if (only.has("ratelimits")) {
      // Under the 900 points a minute each user may spend (secondary limit): a new user each round.
      const rounds = plan.mode === "smoke" ? 1 : 9;
      const requests = plan.mode === "smoke" ? 100 : 800;
      report.rateLimits = await rateLimitCost({ requests, rounds, redisUrl: values["redis-url"] }, log);
    }
    if (only.has("harness")) {
      const smoke = plan.mode === "smoke";
      report.harness = await harnessCosts(
        {
          starts: smoke ? 2 : 6,
          resets: smoke ? 4 : 40,
          requests: smoke ? 100 : 1000,
          worldSize: smoke ? SMOKE_SIZE : LOAD_SIZE,
        },
        log,
      );
    }
    if (baselines.length > 0) {
      log("baselines again, at the end of the run:");
      report.baselineDrift = await measureAgain(baselines, log);
    }
  } finally {
    await releaseAll(baselines);
    rmSync(scratch, { recursive: true, force: true });
  }
  mkdirSync(values.out, { recursive: true });
  const stem = plan.mode === "full" ? "latest" : `latest-${plan.mode}`;
  writeFileSync(join(values.out, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(values.out, `${stem}.md`), toMarkdown(report));
  log(`\nwrote ${join(values.out, `${stem}.md`)} and .json`);
  return report;
}

if (process.argv[1] === import.meta.filename) {
  await main(process.argv.slice(2));
  process.exit(0);
}
