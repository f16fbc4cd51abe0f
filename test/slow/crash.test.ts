// Kill the process running a revocation job (SIGKILL: no cleanup) several times, each at a random
// point of the job, starting another each time; the job finishes with exact counts and exactly one
// audit event per effect. On PGlite the worker lives in `serve`; on PostgreSQL it is a separate
// `credauth worker`. The random points are printed, so a failing run can be replayed with
// CREDAUTH_CRASH_POINTS=0.12,0.5,0.81.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import {
  assertExactCounts,
  assertExactOutcome,
  buildLargeEnterprise,
  type Job,
  type LargeEnterprise,
  revokeAll,
  SLOW_JOB_ENV,
  settled,
  waitForJob,
} from "../helpers/large-enterprise.ts";
import { type RunningProcess, runCredauth, startServer } from "../helpers/process.ts";

const SIZE = { users: 2000, tokensPerUser: 5, organizations: 2 };
const KILLS = 3;

/** Where in the job (the share of all its rows already changed) each kill lands, in increasing order. */
function crashPoints(): number[] {
  const given = process.env.CREDAUTH_CRASH_POINTS?.split(",").map(Number);
  const points = given ?? Array.from({ length: KILLS }, () => 0.05 + Math.random() * 0.85);
  return points.sort((a, b) => a - b);
}

const progress = (job: Job, world: LargeEnterprise) =>
  (job.counts.authorizations_revoked.total + job.counts.credentials_destroyed.total) /
  (world.expectedAuthorizations + world.expectedDestroyed);

/** Resolves once the job has got past `share` of its rows (or ended). */
const reached = (baseUrl: string, path: string, world: LargeEnterprise, share: number) =>
  waitForJob(baseUrl, path, world.ownerToken, (job) => settled(job) || progress(job, world) >= share, 120_000);

describe("a worker killed at random points of a job", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it(`on PGlite: \`serve\` is killed ${KILLS} times and restarted, and the job finishes exactly`, {
    timeout: 300_000,
  }, async () => {
    const points = crashPoints();
    console.log(`crash points (PGlite): ${points.map((p) => p.toFixed(3)).join(",")}`);
    const dir = mkdtempSync(join(tmpdir(), "credauth-crash-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = join(dir, "data");
    const db = await openPglite(dataDir);
    const world = await buildLargeEnterprise(db, SIZE);
    await db.close();

    let server = await startServer(["--data", dataDir], SLOW_JOB_ENV);
    const jobPath = await revokeAll(server.url, world.ownerToken);
    for (const point of points) {
      await reached(server.url, jobPath, world, point);
      await server.kill();
      server = await startServer(["--data", dataDir], SLOW_JOB_ENV);
    }
    cleanups.push(async () => void (await server.stop()));
    const job = await waitForJob(server.url, jobPath, world.ownerToken, settled, 180_000);
    assertExactCounts(job, world);
    await server.stop();

    const check = await openPglite(dataDir);
    try {
      await assertExactOutcome(check, world);
    } finally {
      await check.close();
    }
  });

  const postgres = newTestDatabaseUrl();
  it(`on PostgreSQL: \`credauth worker\` is killed ${KILLS} times and replaced, and the job finishes exactly`, {
    skip: postgres === null ? "TEST_DATABASE_URL is not set" : false,
    timeout: 300_000,
  }, async () => {
    const points = crashPoints();
    console.log(`crash points (PostgreSQL): ${points.map((p) => p.toFixed(3)).join(",")}`);
    const { url, drop } = (await postgres)!;
    cleanups.push(drop);
    const db = openPostgres(url);
    cleanups.push(() => db.close());
    const world = await buildLargeEnterprise(db, SIZE);

    const api = await startServer(["--database-url", url, "--no-worker"], SLOW_JOB_ENV);
    cleanups.push(async () => void (await api.stop()));
    const startWorker = async () => {
      const worker: RunningProcess = runCredauth(["worker", "--database-url", url], {
        ...SLOW_JOB_ENV,
        CREDAUTH_LOG_LEVEL: "info",
        CREDAUTH_JOB_PROGRESS_SECONDS: "1",
      });
      await worker.waitFor(/credauth worker processing revocation jobs/);
      return worker;
    };
    let worker = await startWorker();
    const jobPath = await revokeAll(api.url, world.ownerToken);
    for (const point of points) {
      await reached(api.url, jobPath, world, point);
      await worker.kill();
      worker = await startWorker();
    }
    cleanups.push(async () => void (await worker.stop()));
    const job = await waitForJob(api.url, jobPath, world.ownerToken, settled, 180_000);
    assertExactCounts(job, world);
    await assertExactOutcome(db, world);
    // The worker that finished it says so, with the whole revocation's counts, whoever did the rows.
    await worker.waitFor(/"msg":"revocation succeeded"/);
    const succeeded = worker
      .output()
      .split("\n")
      .filter((line) => line.includes('"msg":"revocation succeeded"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(succeeded.length, 1);
    assert.equal(succeeded[0]!.authorizationsRevoked, world.expectedAuthorizations);
    assert.equal(succeeded[0]!.credentialsDestroyed, world.expectedDestroyed);
    assert.equal(succeeded[0]!.name, "credauth-worker");
  });
});
