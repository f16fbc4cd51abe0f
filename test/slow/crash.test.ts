// Kill the process running a revocation job mid-way (SIGKILL: no cleanup), start another, and the
// job finishes with exact counts and exactly one audit event per effect. On PGlite the worker
// lives in `serve`; on PostgreSQL it is a separate `credauth worker`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { assertExactCounts, assertExactOutcome, buildLargeEnterprise, revokeAll, settled, SLOW_JOB_ENV, startedButUnfinished, waitForJob } from "../helpers/large-enterprise.ts";
import { runCredauth, startServer, type RunningProcess } from "../helpers/process.ts";

const SIZE = { users: 2000, tokensPerUser: 5, organizations: 2 };

describe("a worker killed mid-job", () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it("on PGlite: `serve` is killed and restarted, and the job finishes exactly", { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "credauth-crash-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = join(dir, "data");
    const db = await openPglite(dataDir);
    const world = await buildLargeEnterprise(db, SIZE);
    await db.close();

    const first = await startServer(["--data", dataDir], SLOW_JOB_ENV);
    cleanups.push(() => first.kill());
    const jobPath = await revokeAll(first.url, world.ownerToken);
    await waitForJob(first.url, jobPath, world.ownerToken, startedButUnfinished, 60_000);
    await first.kill();

    const second = await startServer(["--data", dataDir], SLOW_JOB_ENV);
    cleanups.push(async () => void (await second.stop()));
    const job = await waitForJob(second.url, jobPath, world.ownerToken, settled, 120_000);
    assertExactCounts(job, world);
    await second.stop();

    const check = await openPglite(dataDir);
    try {
      await assertExactOutcome(check, world);
    } finally {
      await check.close();
    }
  });

  const postgres = newTestDatabaseUrl();
  it("on PostgreSQL: `credauth worker` is killed and another one finishes the job exactly", { skip: postgres === null ? "TEST_DATABASE_URL is not set" : false, timeout: 180_000 }, async () => {
    const { url, drop } = (await postgres)!;
    cleanups.push(drop);
    const db = openPostgres(url);
    cleanups.push(() => db.close());
    const world = await buildLargeEnterprise(db, SIZE);

    const api = await startServer(["--database-url", url, "--no-worker"], SLOW_JOB_ENV);
    cleanups.push(async () => void (await api.stop()));
    const worker: RunningProcess = runCredauth(["worker", "--database-url", url], SLOW_JOB_ENV);
    cleanups.push(() => worker.kill());
    await worker.waitFor(/credauth worker processing revocation jobs/);

    const jobPath = await revokeAll(api.url, world.ownerToken);
    await waitForJob(api.url, jobPath, world.ownerToken, startedButUnfinished, 60_000);
    await worker.kill();

    const replacement = runCredauth(["worker", "--database-url", url], SLOW_JOB_ENV);
    cleanups.push(async () => void (await replacement.stop()));
    const job = await waitForJob(api.url, jobPath, world.ownerToken, settled, 120_000);
    assertExactCounts(job, world);
    await assertExactOutcome(db, world);
  });
});
