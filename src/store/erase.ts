// Empties every table that holds credauth's data, and the job queue's jobs, in one statement: the
// schema, the queues' definitions, the clock and the processes' cache membership stay. Tests reuse
// one migrated database this way; a harness reset is the same call.
import { BOSS_SCHEMA, type Queryable } from "./db.ts";

/** The tables that hold data (test/integration/erase.test.ts checks that no table is missing). */
export const DATA_TABLES = [
  "app_installations",
  "apps",
  "audit_events",
  "console_sessions",
  "credential_authorizations",
  "credentials",
  "enterprise_roles",
  "enterprises",
  "notification_attempts",
  "notifications",
  "organization_roles",
  "organizations",
  "revocation_counts",
  "revocation_shards",
  "revocations",
  "users",
  "webhooks",
] as const;

/** Tables that stay: what the schema is at, which processes serve (their own bookkeeping), the clock, the snapshots. */
export const KEPT_TABLES = [
  "credauth_migrations",
  "credauth_cache_members",
  "credauth_clock",
  "credauth_snapshots",
] as const;

/** pg-boss's tables of jobs (the queues and their settings are kept). */
export const JOB_TABLES = ["job", "job_dependency", "warning"].map((table) => `${BOSS_SCHEMA}.${table}`);

export async function eraseAllData(db: Pick<Queryable, "query">): Promise<void> {
  await db.query(`truncate ${[...DATA_TABLES, ...JOB_TABLES].join(", ")} restart identity cascade`);
}
