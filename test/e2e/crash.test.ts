// Kill the process running a revocation job mid-way (SIGKILL: no cleanup), start another, and the
// job finishes with exact counts and exactly one audit event per effect. On PGlite the worker
// lives in `serve`; on PostgreSQL it is a separate `credauth worker`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generateToken, hashToken } from "../../src/domain/tokens.ts";
import type { Db } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openPglite } from "../../src/store/pglite.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { newTestDatabaseUrl } from "../helpers/backends.ts";
import { runCredauth, startServer, type RunningProcess } from "../helpers/process.ts";

const USERS = 2000;
const TOKENS_PER_USER = 5;
const ORGANIZATIONS = 2;
const EXPECTED_AUTHORIZATIONS = USERS * TOKENS_PER_USER * ORGANIZATIONS;
const EXPECTED_DESTROYED = USERS * TOKENS_PER_USER;

// Small batches make the job long enough to be killed in the middle of it.
const JOB_ENV = {
  CREDAUTH_JOB_BATCH_SIZE: "100",
  // Several shards per phase, so the crash also lands among shards of one revocation.
  CREDAUTH_JOB_SHARD_SIZE: "5000",
  CREDAUTH_JOB_SUPERVISE_SECONDS: "1",
  CREDAUTH_JOB_HEARTBEAT_SECONDS: "10",
  CREDAUTH_JOB_POLL_SECONDS: "0.5",
};

/** A large EMU enterprise built with set-based SQL; returns the first owner's token. */
async function buildLargeEnterprise(db: Db): Promise<string> {
  await migrate(db);
  const adminToken = generateToken("classic_pat");
  await db.transaction(async (tx) => {
    const [enterprise] = await tx.query<{ id: number }>("insert into enterprises (slug, name, emu) values ('crash', 'Crash Inc.', true) returning id");
    const e = enterprise!.id;
    const [admin] = await tx.query<{ id: number }>("insert into users (login, managed_by_enterprise_id) values ('crash_admin', $1) returning id", [e]);
    await tx.query("update enterprises set first_owner_id = $1 where id = $2", [admin!.id, e]);
    await tx.query("insert into enterprise_roles (enterprise_id, user_id, role) values ($1, $2, 'owner')", [e, admin!.id]);
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight, scopes) values ($1, 'classic_pat', $2, $3, '{admin:enterprise}')`,
      [admin!.id, hashToken(adminToken), adminToken.slice(-8)],
    );
    await tx.query("insert into users (login, managed_by_enterprise_id) select 'crash_user_' || g, $1 from generate_series(1, $2::int) g", [e, USERS]);
    await tx.query("insert into organizations (login, enterprise_id) select 'crash-org-' || g, $1 from generate_series(1, $2::int) g", [e, ORGANIZATIONS]);
    await tx.query(
      `insert into organization_roles (organization_id, user_id, role)
       select o.id, u.id, 'member' from organizations o cross join users u where o.enterprise_id = $1 and u.login like 'crash_user_%'`,
      [e],
    );
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight)
       select u.id, 'classic_pat', sha256(convert_to('crash-token-' || u.id || '-' || k, 'UTF8')), lpad(k::text, 8, '0')
         from users u cross join generate_series(1, $1::int) k where u.login like 'crash_user_%'`,
      [TOKENS_PER_USER],
    );
    await tx.query(
      `insert into credential_authorizations (credential_id, organization_id)
       select c.id, o.id from credentials c join users u on u.id = c.user_id cross join organizations o
        where u.login like 'crash_user_%' and o.enterprise_id = $1`,
      [e],
    );
  });
  return adminToken;
}

async function revokeAll(baseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/enterprises/crash/credential-authorizations/revoke-all`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ revoke_credentials: true }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return new URL(response.headers.get("location")!).pathname;
}

interface Job {
  state: string;
  counts: { authorizations_revoked: { total: number }; credentials_destroyed: { total: number } };
}

async function readJob(baseUrl: string, path: string, token: string): Promise<Job> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as Job;
}

async function waitForJob(baseUrl: string, path: string, token: string, done: (job: Job) => boolean, timeoutMs: number): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await readJob(baseUrl, path, token);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job did not get there in time: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const startedButUnfinished = (job: Job) => job.counts.authorizations_revoked.total > 0 && job.state === "running";

async function assertExactOutcome(db: Db): Promise<void> {
  const [row] = await db.query<{ revoked: number; destroyed: number; revoke_events: number; destroy_events: number; duplicates: number; admin_alive: boolean; retries: number }>(
    `select
       (select count(*)::int from credential_authorizations where revoked_at is not null) as revoked,
       (select count(*)::int from credentials where destroyed_at is not null) as destroyed,
       (select count(*)::int from audit_events where action = 'org_credential_authorization.revoke') as revoke_events,
       (select count(*)::int from audit_events where action = 'personal_access_token.destroy') as destroy_events,
       (select count(*)::int from (select subject_id, action from audit_events group by subject_id, action having count(*) > 1) d) as duplicates,
       (select destroyed_at is null from credentials c join users u on u.id = c.user_id where u.login = 'crash_admin') as admin_alive,
       (select coalesce(max(retry_count), 0) from pgboss.job where name like 'credauth-revocation%') as retries`,
  );
  // The killed worker's shard was taken up again by another attempt.
  assert.ok(Number(row!.retries) >= 1, `a job was retried after the kill (retries: ${row!.retries})`);
  delete (row as Record<string, unknown>).retries;
  assert.deepEqual(row, {
    revoked: EXPECTED_AUTHORIZATIONS,
    destroyed: EXPECTED_DESTROYED,
    revoke_events: EXPECTED_AUTHORIZATIONS,
    destroy_events: EXPECTED_DESTROYED,
    duplicates: 0,
    admin_alive: true,
  });
}

function assertExactCounts(job: Job): void {
  assert.equal(job.state, "succeeded");
  assert.equal(job.counts.authorizations_revoked.total, EXPECTED_AUTHORIZATIONS);
  assert.equal(job.counts.credentials_destroyed.total, EXPECTED_DESTROYED);
}

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
    const token = await buildLargeEnterprise(db);
    await db.close();

    const first = await startServer(["--data", dataDir], JOB_ENV);
    cleanups.push(() => first.kill());
    const jobPath = await revokeAll(first.url, token);
    await waitForJob(first.url, jobPath, token, startedButUnfinished, 60_000);
    await first.kill();

    const second = await startServer(["--data", dataDir], JOB_ENV);
    cleanups.push(async () => void (await second.stop()));
    const job = await waitForJob(second.url, jobPath, token, (j) => j.state === "succeeded" || j.state === "failed", 120_000);
    assertExactCounts(job);
    await second.stop();

    const check = await openPglite(dataDir);
    try {
      await assertExactOutcome(check);
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
    const token = await buildLargeEnterprise(db);

    const api = await startServer(["--database-url", url, "--no-worker"], JOB_ENV);
    cleanups.push(async () => void (await api.stop()));
    const worker: RunningProcess = runCredauth(["worker", "--database-url", url], JOB_ENV);
    cleanups.push(() => worker.kill());
    await worker.waitFor(/credauth worker processing revocation jobs/);

    const jobPath = await revokeAll(api.url, token);
    await waitForJob(api.url, jobPath, token, startedButUnfinished, 60_000);
    await worker.kill();

    const replacement = runCredauth(["worker", "--database-url", url], JOB_ENV);
    cleanups.push(async () => void (await replacement.stop()));
    const job = await waitForJob(api.url, jobPath, token, (j) => j.state === "succeeded" || j.state === "failed", 120_000);
    assertExactCounts(job);
    await assertExactOutcome(db);
  });
});
