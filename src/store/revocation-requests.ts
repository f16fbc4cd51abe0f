// Revocation requests: the insert that starts the fence, the dry run's exact count over a virtual
// request, and the request's state as its job moves it from queued to succeeded or failed.
import type { RevocableCredentialType } from "../domain/model.ts";
import type { RevocationScope } from "../domain/revocation.ts";
import type { Db, Queryable } from "./db.ts";
import { RECORD_REVOCATION_NOTIFICATIONS } from "./notifications.ts";
import {
  AUTHORIZATION_IN_SCOPE,
  AUTHORIZATION_OR_CREDENTIAL_FENCED,
  CREDENTIAL_FENCED,
  CREDENTIAL_IN_DESTROY_SCOPE,
} from "./revocation-scope.ts";

export type RevocationState = "queued" | "running" | "succeeded" | "failed";
export type RevocationEffect = "authorization_revoked" | "credential_destroyed";

export interface RevocationRecord {
  id: number;
  enterpriseId: number;
  enterpriseSlug: string;
  organizationId: number | null;
  organizationLogin: string | null;
  targetUserId: number | null;
  targetLogin: string | null;
  credentialType: RevocableCredentialType | null;
  revokeCredentials: boolean;
  requesterId: number | null;
  requesterLogin: string;
  state: RevocationState;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  attempts: number;
  error: string | null;
  counts: { effect: RevocationEffect; credentialType: string; count: number }[];
}

/** Live: not revoked or destroyed, and not behind the fence of an unsettled revocation. */
const NOT_FENCED = `not ${AUTHORIZATION_OR_CREDENTIAL_FENCED}`;
const NOT_FENCED_CREDENTIAL = `not ${CREDENTIAL_FENCED}`;

/**
 * Does revocation `r` reach `credential`, the caller's own token? Against the live state, fence
 * included. `r` is a one-row relation to join (`join`), or the row of an outer query (none).
 */
function callerTokenInScopeColumns(credential: string, join: "cross join r" | "") {
  return `
       exists (select 1 from credential_authorizations a
                 join credentials c on c.id = a.credential_id
                 join users u on u.id = c.user_id
                 join organizations o on o.id = a.organization_id
                 ${join}
                where a.credential_id = ${credential} and a.revoked_at is null and ${AUTHORIZATION_IN_SCOPE} and ${NOT_FENCED}) as authorization_in_scope,
       exists (select 1 from credentials c join users u on u.id = c.user_id ${join}
                where c.id = ${credential} and c.destroyed_at is null and ${CREDENTIAL_IN_DESTROY_SCOPE}) as destroyed_in_scope`;
}

const CALLER_TOKEN_IN_SCOPE = callerTokenInScopeColumns("$1", "cross join r");

export interface CallerTokenInScope {
  authorizationInScope: boolean;
  destroyedInScope: boolean;
}

export interface RevocationToInsert {
  scope: RevocationScope & { exemptUserId: number | null };
  requester: { userId: number; credentialId: number };
}

/**
 * Inserts several requests in one statement, in the order given, and says of each whether it
 * reaches its caller's own token (as callerTokenInScope does for a dry run). Each check reads the statement's
 * snapshot: the requests of one statement are concurrent, none sees the others' fence.
 */
export async function insertRevocations(
  tx: Queryable,
  revocations: readonly RevocationToInsert[],
): Promise<{ id: number; requestedAt: Date; callerToken: CallerTokenInScope }[]> {
  const column = <T>(pick: (r: RevocationToInsert) => T) => revocations.map(pick);
  const rows = await tx.query<{
    id: number;
    requested_at: Date;
    authorization_in_scope: boolean;
    destroyed_in_scope: boolean;
  }>(
    `with input as (
       select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::boolean[],
                            $7::bigint[], $8::bigint[])
         with ordinality as i(requester_credential_id, enterprise_id, organization_id, target_user_id, credential_type,
                              revoke_credentials, exempt_user_id, requester_id, n)),
     inserted as (
       insert into revocations (enterprise_id, organization_id, target_user_id, credential_type, revoke_credentials,
                                exempt_user_id, requester_id, requester_credential_id, requester_login, target_login)
       select i.enterprise_id, i.organization_id, i.target_user_id, i.credential_type, i.revoke_credentials,
              i.exempt_user_id, i.requester_id, i.requester_credential_id,
              (select login from users where id = i.requester_id), (select login from users where id = i.target_user_id)
         from input i order by i.n
       returning *)
     select r.id, r.requested_at, ${callerTokenInScopeColumns("r.requester_credential_id", "")}
       from inserted r order by r.id`,
    [
      column((r) => r.requester.credentialId),
      column((r) => r.scope.enterpriseId),
      column((r) => r.scope.organizationId),
      column((r) => r.scope.targetUserId),
      column((r) => r.scope.credentialType),
      column((r) => r.scope.revokeCredentials),
      column((r) => r.scope.exemptUserId),
      column((r) => r.requester.userId),
    ],
  );
  if (rows.length !== revocations.length) throw new Error("insert into revocations returned too few rows");
  // Ids are drawn in insertion order, which is the order given.
  return rows.map((row) => ({
    id: row.id,
    requestedAt: row.requested_at,
    callerToken: { authorizationInScope: row.authorization_in_scope, destroyedInScope: row.destroyed_in_scope },
  }));
}

/** The first revocation id whose insert refreshes the table's statistics; then every doubling. */
const FIRST_STATISTICS_REFRESH = 64;

/** True for ids 64, 128, 256, …: the moments the revocations table has (about) doubled. */
export function revocationStatisticsDue(revocationId: number): boolean {
  return revocationId >= FIRST_STATISTICS_REFRESH && Number.isInteger(Math.log2(revocationId));
}

/**
 * PostgreSQL keeps one plan per prepared statement per connection, and a generic plan made while
 * `revocations` was empty and analyzed as empty (a fresh install, a restore) reads it with
 * sequential scans. Nothing replans it until the table is analyzed again, so with autovacuum off,
 * or in the minute before it wakes, every authenticated request reads every revocation, and a flood
 * of revocation requests slows each request it adds (docs/performance.md). ANALYZE as the table
 * doubles makes every connection replan: a logarithmic number of sampled, non-blocking passes.
 * PGlite plans each statement afresh, so only PostgreSQL needs it.
 */
export async function refreshRevocationStatisticsIfDue(db: Db, revocationId: number): Promise<void> {
  if (db.kind !== "postgres" || !revocationStatisticsDue(revocationId)) return;
  await db.exec("analyze revocations"); // a plain statement: nothing to prepare for a handful of runs
}

/** A would-be revocation as the row `r`, from parameters $n..$n+5 (see scopeValues). */
function virtualRevocation(n: number): string {
  return `r as (
       select $${n}::bigint as enterprise_id, $${n + 1}::bigint as organization_id, $${n + 2}::bigint as target_user_id,
              $${n + 3}::text as credential_type, $${n + 4}::boolean as revoke_credentials, $${n + 5}::bigint as exempt_user_id,
              credauth_now() as requested_at)`;
}

function scopeValues(scope: RevocationScope & { exemptUserId: number | null }): unknown[] {
  return [
    scope.enterpriseId,
    scope.organizationId,
    scope.targetUserId,
    scope.credentialType,
    scope.revokeCredentials,
    scope.exemptUserId,
  ];
}

/** What insertRevocation would say about the caller's token, for a dry run that inserts nothing. */
export async function callerTokenInScope(
  db: Queryable,
  credentialId: number,
  scope: RevocationScope & { exemptUserId: number | null },
): Promise<CallerTokenInScope> {
  const [row] = await db.query<{ authorization_in_scope: boolean; destroyed_in_scope: boolean }>(
    `with ${virtualRevocation(2)} select ${CALLER_TOKEN_IN_SCOPE}`,
    [credentialId, ...scopeValues(scope)],
  );
  return {
    authorizationInScope: row?.authorization_in_scope ?? false,
    destroyedInScope: row?.destroyed_in_scope ?? false,
  };
}

export interface RevocationPreview {
  authorizations: { credentialType: string; count: number }[];
  credentials: { credentialType: string; count: number }[];
  affectedUsers: number;
}

/**
 * What a revocation with this scope would do now, counted exactly and changing nothing: the live
 * authorizations it would revoke and the credentials it would destroy, by type, and how many
 * distinct users own them. The same predicates as the job, over a virtual revocation row.
 */
export async function countRevocationScope(
  db: Queryable,
  scope: RevocationScope & { exemptUserId: number | null },
): Promise<RevocationPreview> {
  const rows = await db.query<{
    effect: "authorization_revoked" | "credential_destroyed" | "users";
    credential_type: string | null;
    count: number;
  }>(
    `with ${virtualRevocation(1)},
     authorizations as (
       select c.type, c.user_id from credential_authorizations a
         join credentials c on c.id = a.credential_id
         join users u on u.id = c.user_id
         join organizations o on o.id = a.organization_id
         cross join r
        where a.revoked_at is null and c.destroyed_at is null and ${AUTHORIZATION_IN_SCOPE} and ${NOT_FENCED}),
     destroyed as (
       select c.type, c.user_id from credentials c join users u on u.id = c.user_id cross join r
        where c.destroyed_at is null and ${CREDENTIAL_IN_DESTROY_SCOPE} and ${NOT_FENCED_CREDENTIAL})
     select 'authorization_revoked' as effect, type as credential_type, count(*)::int as count from authorizations group by type
     union all
     select 'credential_destroyed', type, count(*)::int from destroyed group by type
     union all
     select 'users', null, count(*)::int from (select user_id from authorizations union select user_id from destroyed) people`,
    scopeValues(scope),
  );
  return {
    authorizations: rows
      .filter((r) => r.effect === "authorization_revoked")
      .map((r) => ({ credentialType: r.credential_type!, count: r.count })),
    credentials: rows
      .filter((r) => r.effect === "credential_destroyed")
      .map((r) => ({ credentialType: r.credential_type!, count: r.count })),
    affectedUsers: rows.find((r) => r.effect === "users")?.count ?? 0,
  };
}

interface RevocationRow {
  id: number;
  enterprise_id: number;
  enterprise_slug: string;
  organization_id: number | null;
  organization_login: string | null;
  target_user_id: number | null;
  target_login: string | null;
  credential_type: RevocableCredentialType | null;
  revoke_credentials: boolean;
  requester_id: number | null;
  requester_login: string;
  state: RevocationState;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  attempts: number;
  error: string | null;
  counts: { effect: RevocationEffect; credentialType: string; count: number | string }[];
}

/** A revocation with its enterprise, organization, target, requester and counts, as `from revocations r`. */
const REVOCATION_RECORD = `select r.id, r.enterprise_id, e.slug as enterprise_slug, r.organization_id, o.login as organization_login,
            r.target_user_id, coalesce(t.login, r.target_login) as target_login, r.credential_type,
            r.revoke_credentials, r.requester_id, coalesce(q.login, r.requester_login) as requester_login,
            r.state, r.requested_at, r.started_at, r.finished_at, r.attempts, r.error,
            coalesce((select jsonb_agg(jsonb_build_object('effect', k.effect, 'credentialType', k.credential_type, 'count', k.count)
                                       order by k.effect, k.credential_type)
                        from revocation_counts k where k.revocation_id = r.id), '[]'::jsonb) as counts
       from revocations r
       join enterprises e on e.id = r.enterprise_id
       left join users q on q.id = r.requester_id
       left join organizations o on o.id = r.organization_id
       left join users t on t.id = r.target_user_id`;

function toRecord(row: RevocationRow): RevocationRecord {
  return {
    id: row.id,
    enterpriseId: row.enterprise_id,
    enterpriseSlug: row.enterprise_slug,
    organizationId: row.organization_id,
    organizationLogin: row.organization_login,
    targetUserId: row.target_user_id,
    targetLogin: row.target_login,
    credentialType: row.credential_type,
    revokeCredentials: row.revoke_credentials,
    requesterId: row.requester_id,
    requesterLogin: row.requester_login,
    state: row.state,
    requestedAt: row.requested_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    error: row.error,
    // jsonb carries bigint counts as numbers or, past 2^53, strings: numbers either way here.
    counts: row.counts.map((c) => ({ ...c, count: Number(c.count) })),
  };
}

export async function findRevocation(db: Queryable, id: number): Promise<RevocationRecord | null> {
  const [row] = await db.query<RevocationRow>(`${REVOCATION_RECORD} where r.id = $1`, [id]);
  return row ? toRecord(row) : null;
}

/** Where a caller may see revocations: whole enterprises' (requests of any level), and organizations' own. */
export interface RevocationVisibility {
  enterpriseIds: number[];
  organizationIds: number[];
}

export interface RevocationFilter {
  state: RevocationState | null;
  enterpriseSlug: string | null;
  organizationLogin: string | null;
}

/**
 * The revocations a caller may see, newest first, narrowed by state, enterprise and organization,
 * one page of them and how many there are in all.
 */
export async function listRevocations(
  db: Queryable,
  visible: RevocationVisibility,
  filter: RevocationFilter,
  page: { limit: number; offset: number },
): Promise<{ records: RevocationRecord[]; total: number }> {
  const where = `where (r.enterprise_id = any($1::bigint[]) or r.organization_id = any($2::bigint[]))
        and ($3::text is null or r.state = $3)
        and ($4::text is null or lower(e.slug) = lower($4))
        and ($5::text is null or lower(o.login) = lower($5))`;
  const values = [
    visible.enterpriseIds,
    visible.organizationIds,
    filter.state,
    filter.enterpriseSlug,
    filter.organizationLogin,
  ];
  const [count] = await db.query<{ total: number }>(
    `select count(*)::int as total from revocations r
       join enterprises e on e.id = r.enterprise_id left join organizations o on o.id = r.organization_id
     ${where}`,
    values,
  );
  const rows = await db.query<RevocationRow>(`${REVOCATION_RECORD} ${where} order by r.id desc limit $6 offset $7`, [
    ...values,
    page.limit,
    page.offset,
  ]);
  return { records: rows.map(toRecord), total: count?.total ?? 0 };
}

/** The enterprises a user owns or manages credentials in, and the organizations they own. */
export async function findManagedScopes(
  db: Queryable,
  userId: number,
): Promise<{ enterprises: { id: number; slug: string }[]; organizations: { id: number; login: string }[] }> {
  const rows = await db.query<{ kind: "enterprise" | "organization"; id: number; name: string }>(
    `select 'enterprise' as kind, e.id, e.slug as name from enterprises e
      where exists (select 1 from enterprise_roles where enterprise_id = e.id and user_id = $1
                       and role in ('owner', 'credential_manager'))
     union all
     select 'organization', o.id, o.login from organizations o
      where exists (select 1 from organization_roles where organization_id = o.id and user_id = $1 and role = 'owner')`,
    [userId],
  );
  return {
    enterprises: rows.filter((r) => r.kind === "enterprise").map((r) => ({ id: r.id, slug: r.name })),
    organizations: rows.filter((r) => r.kind === "organization").map((r) => ({ id: r.id, login: r.name })),
  };
}

/** An attempt just started, and what the job needs to know to choose how to perform it. */
export interface StartedAttempt {
  attempt: number;
  targetUserId: number | null;
  organizationId: number | null;
  revokeCredentials: boolean;
  /** An earlier attempt planned shards: this one goes on with them. */
  planned: boolean;
}

/**
 * Marks an attempt started (the row stays locked to the transaction's end): which attempt it is
 * and the revocation's shape, or null for a revocation already settled.
 */
export async function startRevocationAttempt(db: Queryable, id: number): Promise<StartedAttempt | null> {
  const [row] = await db.query<{
    attempts: number;
    target_user_id: number | null;
    organization_id: number | null;
    revoke_credentials: boolean;
    planned: boolean;
  }>(
    `update revocations set state = 'running', started_at = coalesce(started_at, credauth_now()), attempts = attempts + 1
      where id = $1 and state in ('queued', 'running', 'failed')
      returning attempts, target_user_id, organization_id, revoke_credentials,
                exists (select 1 from revocation_shards where revocation_id = $1) as planned`,
    [id],
  );
  if (!row) return null;
  return {
    attempt: row.attempts,
    targetUserId: row.target_user_id,
    organizationId: row.organization_id,
    revokeCredentials: row.revoke_credentials,
    planned: row.planned,
  };
}

/** Marks revocation $1 succeeded and records its notifications (named for the plan test). */
export const SETTLE_SUCCEEDED = `with settled as (
       update revocations set state = 'succeeded', finished_at = credauth_now(), error = null where id = $1 returning id),
     ${RECORD_REVOCATION_NOTIFICATIONS}
     select count(*) from settled`;

/** Marks the revocation succeeded and records its notifications, in one statement. */
export async function finishRevocation(db: Queryable, id: number): Promise<void> {
  await db.query(SETTLE_SUCCEEDED, [id]);
}

/** Marks the revocation failed (its fence stays) and records its notifications, in one statement. */
export async function failRevocation(db: Queryable, id: number, message: string): Promise<void> {
  await db.query(
    `with settled as (
       update revocations set state = 'failed', finished_at = credauth_now(), error = $2 where id = $1 returning id),
     ${RECORD_REVOCATION_NOTIFICATIONS}
     select count(*) from settled`,
    [id, message],
  );
}

/** How many revocations are in each state (every state present, zero when none). */
export async function countRevocationsByState(db: Queryable): Promise<Record<RevocationState, number>> {
  const rows = await db.query<{ state: RevocationState; count: number }>(
    "select state, count(*)::int as count from revocations group by state",
  );
  const counts: Record<RevocationState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0 };
  for (const row of rows) counts[row.state] = row.count;
  return counts;
}

export interface ScopeDetails {
  enterprises: { id: number; slug: string; name: string; emu: boolean }[];
  organizations: { id: number; login: string; enterpriseSlug: string }[];
}

/** The enterprises and organizations with these ids, as the console lists them, by name. */
export async function findScopeDetails(
  db: Queryable,
  enterpriseIds: number[],
  organizationIds: number[],
): Promise<ScopeDetails> {
  const enterprises = await db.query<{ id: number; slug: string; name: string; emu: boolean }>(
    "select id, slug, name, emu from enterprises where id = any($1::bigint[]) order by lower(slug)",
    [enterpriseIds],
  );
  const organizations = await db.query<{ id: number; login: string; enterprise_slug: string }>(
    `select o.id, o.login, e.slug as enterprise_slug from organizations o join enterprises e on e.id = o.enterprise_id
      where o.id = any($1::bigint[]) order by lower(o.login)`,
    [organizationIds],
  );
  return {
    enterprises,
    organizations: organizations.map((o) => ({ id: o.id, login: o.login, enterpriseSlug: o.enterprise_slug })),
  };
}
