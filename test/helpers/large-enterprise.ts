// A large EMU enterprise built with set-based SQL, and what the crash and fault tests check about
// a revoke-all of it: exact counts, exactly one audit event per effect, the first owner untouched.
import assert from "node:assert/strict";
import { generateToken, hashToken } from "../../src/domain/tokens.ts";
import type { Db } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";

/** Small batches and shards make the job long enough to be interrupted in the middle of it. */
export const SLOW_JOB_ENV = {
  CREDAUTH_JOB_BATCH_SIZE: "100",
  // Several shards per phase, so an interruption also lands among shards of one revocation.
  CREDAUTH_JOB_SHARD_SIZE: "5000",
  CREDAUTH_JOB_SUPERVISE_SECONDS: "1",
  CREDAUTH_JOB_HEARTBEAT_SECONDS: "10",
  CREDAUTH_JOB_POLL_SECONDS: "0.5",
  // Shards retried after a kill come due without a NOTIFY: look for them every second.
  CREDAUTH_JOB_BACKSTOP_SECONDS: "1",
  // The tests watch the job by polling it many times a second, past GitHub's secondary limits.
  CREDAUTH_RATE_LIMIT: "off",
};

export interface LargeEnterprise {
  /** The first owner's classic PAT (admin:enterprise); never destroyed by a revocation. */
  ownerToken: string;
  expectedAuthorizations: number;
  expectedDestroyed: number;
}

/** `users` managed users with `tokensPerUser` classic PATs each, every one authorized for `organizations` organizations. */
export async function buildLargeEnterprise(
  db: Db,
  size: { users: number; tokensPerUser: number; organizations: number },
): Promise<LargeEnterprise> {
  await migrate(db);
  const ownerToken = generateToken("classic_pat");
  await db.transaction(async (tx) => {
    const [enterprise] = await tx.query<{ id: number }>(
      "insert into enterprises (slug, name, emu) values ('crash', 'Crash Inc.', true) returning id",
    );
    const e = enterprise!.id;
    const [admin] = await tx.query<{ id: number }>(
      "insert into users (login, managed_by_enterprise_id) values ('crash_admin', $1) returning id",
      [e],
    );
    await tx.query("update enterprises set first_owner_id = $1 where id = $2", [admin!.id, e]);
    await tx.query("insert into enterprise_roles (enterprise_id, user_id, role) values ($1, $2, 'owner')", [
      e,
      admin!.id,
    ]);
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight, scopes) values ($1, 'classic_pat', $2, $3, '{admin:enterprise}')`,
      [admin!.id, hashToken(ownerToken), ownerToken.slice(-8)],
    );
    await tx.query(
      "insert into users (login, managed_by_enterprise_id) select 'crash_user_' || g, $1 from generate_series(1, $2::int) g",
      [e, size.users],
    );
    await tx.query(
      "insert into organizations (login, enterprise_id) select 'crash-org-' || g, $1 from generate_series(1, $2::int) g",
      [e, size.organizations],
    );
    await tx.query(
      `insert into organization_roles (organization_id, user_id, role)
       select o.id, u.id, 'member' from organizations o cross join users u where o.enterprise_id = $1 and u.login like 'crash_user_%'`,
      [e],
    );
    await tx.query(
      `insert into credentials (user_id, type, token_hash, token_last_eight)
       select u.id, 'classic_pat', sha256(convert_to('crash-token-' || u.id || '-' || k, 'UTF8')), lpad(k::text, 8, '0')
         from users u cross join generate_series(1, $1::int) k where u.login like 'crash_user_%'`,
      [size.tokensPerUser],
    );
    await tx.query(
      `insert into credential_authorizations (credential_id, organization_id)
       select c.id, o.id from credentials c join users u on u.id = c.user_id cross join organizations o
        where u.login like 'crash_user_%' and o.enterprise_id = $1`,
      [e],
    );
  });
  return {
    ownerToken,
    expectedAuthorizations: size.users * size.tokensPerUser * size.organizations,
    expectedDestroyed: size.users * size.tokensPerUser,
  };
}

/** POST revoke-all with revoke_credentials; returns the job's path. */
export async function revokeAll(baseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/enterprises/crash/credential-authorizations/revoke-all`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ revoke_credentials: true }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return new URL(response.headers.get("location")!).pathname;
}

export interface Job {
  state: string;
  counts: { authorizations_revoked: { total: number }; credentials_destroyed: { total: number } };
}

/** The job resource, or null while the server cannot answer (refused connection, 503). */
export async function readJob(baseUrl: string, path: string, token: string): Promise<Job | null> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }).catch(
    () => null,
  );
  if (response === null || response.status === 503) return null;
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text) as Job;
}

export async function waitForJob(
  baseUrl: string,
  path: string,
  token: string,
  done: (job: Job) => boolean,
  timeoutMs: number,
): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  let last: Job | null = null;
  for (;;) {
    last = (await readJob(baseUrl, path, token)) ?? last;
    if (last !== null && done(last)) return last;
    if (Date.now() > deadline) throw new Error(`the job did not get there in time: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const startedButUnfinished = (job: Job) =>
  job.counts.authorizations_revoked.total > 0 && job.state === "running";
export const settled = (job: Job) => job.state === "succeeded" || job.state === "failed";

export function assertExactCounts(job: Job, world: LargeEnterprise): void {
  assert.equal(job.state, "succeeded");
  assert.equal(job.counts.authorizations_revoked.total, world.expectedAuthorizations);
  assert.equal(job.counts.credentials_destroyed.total, world.expectedDestroyed);
}

/** The database's end state: every row changed once, one audit event per change, the first owner alive. */
export async function assertExactOutcome(db: Db, world: LargeEnterprise): Promise<void> {
  const [row] = await db.query(
    `select
       (select count(*)::int from credential_authorizations where revoked_at is not null) as revoked,
       (select count(*)::int from credentials where destroyed_at is not null) as destroyed,
       (select count(*)::int from audit_events where action = 'org_credential_authorization.revoke') as revoke_events,
       (select count(*)::int from audit_events where action = 'personal_access_token.destroy') as destroy_events,
       (select count(*)::int from (select subject_id, action from audit_events group by subject_id, action having count(*) > 1) d) as duplicates,
       (select destroyed_at is null from credentials c join users u on u.id = c.user_id where u.login = 'crash_admin') as admin_alive`,
  );
  assert.deepEqual(row, {
    revoked: world.expectedAuthorizations,
    destroyed: world.expectedDestroyed,
    revoke_events: world.expectedAuthorizations,
    destroy_events: world.expectedDestroyed,
    duplicates: 0,
    admin_alive: true,
  });
}
