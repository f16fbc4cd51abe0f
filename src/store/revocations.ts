// Revocation requests and the batched statements that materialize them. Each batch is one
// statement that marks rows and records their audit events, then one that adds to the exact
// counts, in one transaction, so a worker killed at any point leaves either the whole batch or
// none of it.
import type { RevocableCredentialType } from "../domain/model.ts";
import { AUDIT_ACTIONS, type RevocationScope } from "../domain/revocation.ts";
import { credentialAuditData } from "./audit.ts";
import { caseByCredentialType } from "./credential-type-sql.ts";
import type { Db, Queryable } from "./db.ts";
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

/** Does revocation `r` reach credential $1, the caller's own token? Against the live state, fence included. */
const CALLER_TOKEN_IN_SCOPE = `
       exists (select 1 from credential_authorizations a
                 join credentials c on c.id = a.credential_id
                 join users u on u.id = c.user_id
                 join organizations o on o.id = a.organization_id
                 cross join r
                where a.credential_id = $1 and a.revoked_at is null and ${AUTHORIZATION_IN_SCOPE} and ${NOT_FENCED}) as authorization_in_scope,
       exists (select 1 from credentials c join users u on u.id = c.user_id cross join r
                where c.id = $1 and c.destroyed_at is null and ${CREDENTIAL_IN_DESTROY_SCOPE}) as destroyed_in_scope`;

export interface CallerTokenInScope {
  authorizationInScope: boolean;
  destroyedInScope: boolean;
}

/**
 * Inserts the request (from its commit on, the fence hides everything in scope) and says whether
 * it reaches the caller's own token, in one statement: the checks read the statement's snapshot,
 * which is the live state just before the insert, with the new row as `r`.
 */
export async function insertRevocation(
  tx: Queryable,
  scope: RevocationScope & { exemptUserId: number | null },
  requester: { userId: number; credentialId: number },
): Promise<{ id: number; requestedAt: Date; callerToken: CallerTokenInScope }> {
  const [row] = await tx.query<{
    id: number;
    requested_at: Date;
    authorization_in_scope: boolean;
    destroyed_in_scope: boolean;
  }>(
    `with r as (
       insert into revocations (enterprise_id, organization_id, target_user_id, credential_type, revoke_credentials,
                                exempt_user_id, requester_id, requester_credential_id, requester_login, target_login)
       values ($2, $3, $4, $5, $6, $7, $8, $1, (select login from users where id = $8), (select login from users where id = $4))
       returning *)
     select r.id, r.requested_at, ${CALLER_TOKEN_IN_SCOPE} from r`,
    [
      requester.credentialId,
      scope.enterpriseId,
      scope.organizationId,
      scope.targetUserId,
      scope.credentialType,
      scope.revokeCredentials,
      scope.exemptUserId,
      requester.userId,
    ],
  );
  if (!row) throw new Error("insert into revocations returned no row");
  return {
    id: row.id,
    requestedAt: row.requested_at,
    callerToken: { authorizationInScope: row.authorization_in_scope, destroyedInScope: row.destroyed_in_scope },
  };
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
              clock_timestamp() as requested_at)`;
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

export async function findRevocation(db: Queryable, id: number): Promise<RevocationRecord | null> {
  const [row] = await db.query<Record<string, unknown>>(
    `select r.*, e.slug as enterprise_slug, o.login as organization_login,
            coalesce(t.login, r.target_login) as target_login, coalesce(q.login, r.requester_login) as requester_login,
            coalesce((select jsonb_agg(jsonb_build_object('effect', k.effect, 'credentialType', k.credential_type, 'count', k.count)
                                       order by k.effect, k.credential_type)
                        from revocation_counts k where k.revocation_id = r.id), '[]'::jsonb) as counts
       from revocations r
       join enterprises e on e.id = r.enterprise_id
       left join users q on q.id = r.requester_id
       left join organizations o on o.id = r.organization_id
       left join users t on t.id = r.target_user_id
      where r.id = $1`,
    [id],
  );
  if (!row) return null;
  return {
    id: row.id as number,
    enterpriseId: row.enterprise_id as number,
    enterpriseSlug: row.enterprise_slug as string,
    organizationId: row.organization_id as number | null,
    organizationLogin: row.organization_login as string | null,
    targetUserId: row.target_user_id as number | null,
    targetLogin: row.target_login as string | null,
    credentialType: row.credential_type as RevocableCredentialType | null,
    revokeCredentials: row.revoke_credentials as boolean,
    requesterId: row.requester_id as number | null,
    requesterLogin: row.requester_login as string,
    state: row.state as RevocationState,
    requestedAt: row.requested_at as Date,
    startedAt: row.started_at as Date | null,
    finishedAt: row.finished_at as Date | null,
    attempts: row.attempts as number,
    error: row.error as string | null,
    counts: (row.counts as { effect: RevocationEffect; credentialType: string; count: number }[]).map((c) => ({
      ...c,
      count: Number(c.count),
    })),
  };
}

/** Marks an attempt as started. Returns false when the revocation is already settled. */
export async function startRevocationAttempt(db: Queryable, id: number): Promise<boolean> {
  const rows = await db.query(
    `update revocations set state = 'running', started_at = coalesce(started_at, clock_timestamp()), attempts = attempts + 1
      where id = $1 and state in ('queued', 'running', 'failed') returning id`,
    [id],
  );
  return rows.length > 0;
}

export async function finishRevocation(db: Queryable, id: number): Promise<void> {
  await db.query(
    `update revocations set state = 'succeeded', finished_at = clock_timestamp(), error = null where id = $1`,
    [id],
  );
}

export async function failRevocation(db: Queryable, id: number, message: string): Promise<void> {
  await db.query(`update revocations set state = 'failed', finished_at = clock_timestamp(), error = $2 where id = $1`, [
    id,
    message,
  ]);
}

/** The revocation row `r` and its requester `requester`, once per statement ($1 = revocation id). */
const REVOCATION_AND_REQUESTER = `r as materialized (select * from revocations where id = $1),
     requester as materialized (select u.id, u.login from r join users u on u.id = r.requester_id)`;

/**
 * Adds a batch's rows to the revocation's exact counts. A statement of its own, run last in the
 * batch's transaction: the count rows are shared by every worker draining the revocation, and
 * their row locks are held from this update to the commit only, not through the batch's work.
 */
async function addToCounts(
  tx: Queryable,
  revocationId: number,
  effect: RevocationEffect,
  byType: Record<string, number>,
): Promise<void> {
  const types = Object.keys(byType);
  if (types.length === 0) return;
  await tx.query(
    `insert into revocation_counts (revocation_id, effect, credential_type, count)
     select $1, $2, type, n from unnest($3::text[], $4::bigint[]) k(type, n)
     on conflict (revocation_id, effect, credential_type) do update set count = revocation_counts.count + excluded.count`,
    [revocationId, effect, types, types.map((type) => byType[type])],
  );
}

/** Audit actions, as SQL over the changed row's type (`rv.type`, `d.type`): from the domain's tables. */
const REVOKED_ACTION = `'${AUDIT_ACTIONS.authorizationRevoked}'::text`;
const ALSO_RECORDED_ON_REVOKE = caseByCredentialType("rv.type", (facts) => facts.alsoRecordedOnRevoke);
const DESTROYED_ACTION = caseByCredentialType("d.type", (facts) => facts.destroyedAction);

/** The batch statement's answer: rows changed by type, and (keyset form) how many rows it picked and the last one. */
interface BatchRow {
  by_type: Record<string, number>;
  picked: number;
  last_picked: number | null;
}

function batchSummary(changed: string, wholeEnterprise: boolean): string {
  return `select coalesce((select jsonb_object_agg(type, n) from (select type, count(*) as n from ${changed} group by type) k), '{}'::jsonb) as by_type,
            ${wholeEnterprise ? "0 as picked, null::bigint as last_picked" : "(select count(*)::int from picked) as picked, (select max(id) from picked) as last_picked"}`;
}

const total = (byType: Record<string, number>) => Object.values(byType).reduce((sum, n) => sum + Number(n), 0);

/**
 * Where a batch reads: ids in (afterId, throughId], and the revocation's shape. A revocation aimed at
 * one user or one organization says so in the statement (`c.user_id = $4`, `a.organization_id = $4`)
 * although the scope predicate already implies it, because the planner cannot see into the
 * revocation row: stated, it picks the user's or the organization's index instead of walking every
 * authorization of the table.
 */
export interface ShardRange {
  afterId: number;
  throughId: number;
  targetUserId: number | null;
  organizationId: number | null;
}

/** What one batch did, and where the next one starts. */
export interface BatchResult {
  rows: number;
  /** The next batch reads only above this id; at `throughId` the range is done. */
  nextAfterId: number;
}

/**
 * How a batch picks its rows. A whole-enterprise revocation covers nearly every row, so a batch is
 * simply the next `limit` ids of the range, changed by one set-based UPDATE, the way the SQL
 * baseline does it. A revocation aimed at one user or organization covers few rows scattered over
 * the whole range: a batch is the next `limit` rows in scope found through that index (keyset).
 */
function batchWindow(range: ShardRange, limit: number): { wholeEnterprise: boolean; upperId: number } {
  const wholeEnterprise = range.targetUserId === null && range.organizationId === null;
  return {
    wholeEnterprise,
    upperId: wholeEnterprise ? Math.min(range.afterId + limit, range.throughId) : range.throughId,
  };
}

/**
 * Revokes the authorizations in scope of one batch. There is no explicit row lock: `revoked_at is
 * null` sits in the UPDATE's own WHERE, which PostgreSQL re-checks against the newest version of a
 * row another transaction changed meanwhile, so a row is revoked, audited and counted exactly once
 * even when a removal or another revocation touches it at the same moment.
 */
export async function revokeAuthorizationBatch(
  db: Queryable,
  revocationId: number,
  limit: number,
  range: ShardRange,
): Promise<BatchResult> {
  const { wholeEnterprise, upperId } = batchWindow(range, limit);
  const shapeFilter =
    range.targetUserId !== null
      ? "c.user_id = $4"
      : range.organizationId !== null
        ? "a.organization_id = $4"
        : "$4::bigint is null";
  // The keyset form reads the next `limit` rows in scope; the UPDATE then takes them by id.
  const picked = wholeEnterprise
    ? ""
    : `picked as (
       select a.id from credential_authorizations a
         join credentials c on c.id = a.credential_id
         join organizations o on o.id = a.organization_id
         cross join r
        where a.id > $2 and a.id <= $3 and a.revoked_at is null and ${shapeFilter} and ${AUTHORIZATION_IN_SCOPE}
        order by a.id
        limit $5),`;
  const [row] = await db.query<BatchRow>(
    `with ${REVOCATION_AND_REQUESTER},
     ${picked}
     revoked as (
       update credential_authorizations a
          set revoked_at = clock_timestamp(), revoked_by_revocation_id = $1
         from credentials c, organizations o, r
        where ${wholeEnterprise ? "a.id > $2 and a.id <= $3" : "a.id in (select id from picked)"}
          and a.revoked_at is null and c.id = a.credential_id and o.id = a.organization_id
          and ${shapeFilter} and ${AUTHORIZATION_IN_SCOPE}
       returning a.id, a.organization_id, o.login as org_login, c.user_id, c.type, c as credential),
     events as (
       insert into audit_events (action, actor_id, actor_login, user_id, user_login, organization_id, org_login,
                                 enterprise_id, business_slug, revocation_id, subject_id, data)
       select act.action, q.id, q.login, u.id, u.login, rv.organization_id, rv.org_login, e.id, e.slug, $1, rv.id,
              jsonb_strip_nulls(${credentialAuditData("(rv.credential)")} || jsonb_build_object('authorization_id', rv.id))
         from revoked rv
         join users u on u.id = rv.user_id
         cross join r
         join enterprises e on e.id = r.enterprise_id
         cross join requester q
         cross join lateral (values (${REVOKED_ACTION}), (${ALSO_RECORDED_ON_REVOKE})) act(action)
        where act.action is not null)
     ${batchSummary("revoked", wholeEnterprise)}`,
    [
      revocationId,
      range.afterId,
      upperId,
      range.targetUserId ?? range.organizationId,
      ...(wholeEnterprise ? [] : [limit]),
    ],
  );
  await addToCounts(db, revocationId, "authorization_revoked", row?.by_type ?? {});
  return { rows: total(row?.by_type ?? {}), nextAfterId: nextAfterId(wholeEnterprise, upperId, limit, row) };
}

/** Where the next batch starts: past the window, or past the last row picked, or done when fewer than `limit` were left. */
function nextAfterId(
  wholeEnterprise: boolean,
  upperId: number,
  limit: number,
  row: { picked: number; last_picked: number | null } | undefined,
): number {
  if (wholeEnterprise || !row || row.picked < limit || row.last_picked === null) return upperId;
  return Number(row.last_picked);
}

/**
 * Destroys the credentials in scope of one batch (EMU, revoke_credentials), on the same terms as
 * revokeAuthorizationBatch: `destroyed_at is null` re-checked by the UPDATE itself.
 */
export async function destroyCredentialBatch(
  db: Queryable,
  revocationId: number,
  limit: number,
  range: ShardRange,
): Promise<BatchResult> {
  const { wholeEnterprise, upperId } = batchWindow({ ...range, organizationId: null }, limit);
  const shapeFilter = range.targetUserId !== null ? "c.user_id = $4" : "$4::bigint is null";
  const picked = wholeEnterprise
    ? ""
    : `picked as (
       select c.id from credentials c join users u on u.id = c.user_id cross join r
        where c.id > $2 and c.id <= $3 and c.destroyed_at is null and ${shapeFilter} and ${CREDENTIAL_IN_DESTROY_SCOPE}
        order by c.id
        limit $5),`;
  const [row] = await db.query<BatchRow>(
    `with ${REVOCATION_AND_REQUESTER},
     ${picked}
     destroyed as (
       update credentials c set destroyed_at = clock_timestamp(), destroyed_by_revocation_id = $1
         from users u, r
        where ${wholeEnterprise ? "c.id > $2 and c.id <= $3" : "c.id in (select id from picked)"}
          and c.destroyed_at is null and u.id = c.user_id and ${shapeFilter} and ${CREDENTIAL_IN_DESTROY_SCOPE}
       returning c.id, c.user_id, c.type, u.login as user_login, c as credential),
     events as (
       insert into audit_events (action, actor_id, actor_login, user_id, user_login, enterprise_id, business_slug,
                                 revocation_id, subject_id, data)
       select ${DESTROYED_ACTION},
              q.id, q.login, d.user_id, d.user_login, e.id, e.slug, $1, d.id,
              jsonb_strip_nulls(${credentialAuditData("(d.credential)")} || jsonb_build_object('key', (d.credential).public_key))
         from destroyed d
         cross join r
         join enterprises e on e.id = r.enterprise_id
         cross join requester q)
     ${batchSummary("destroyed", wholeEnterprise)}`,
    [revocationId, range.afterId, upperId, range.targetUserId, ...(wholeEnterprise ? [] : [limit])],
  );
  await addToCounts(db, revocationId, "credential_destroyed", row?.by_type ?? {});
  return { rows: total(row?.by_type ?? {}), nextAfterId: nextAfterId(wholeEnterprise, upperId, limit, row) };
}

export type ShardPhase = "authorizations" | "credentials";

export interface Shard {
  revocationId: number;
  shard: number;
  phase: ShardPhase;
  afterId: number;
  throughId: number;
  done: boolean;
}

/**
 * Splits a revocation into shards, once: id ranges of `span` ids per phase over what exists now
 * (rows created later are outside the scope anyway). A revocation aimed at one user is one shard per
 * phase: its rows are few and found through the user's index. Returns the shards created by this
 * call (none when they already existed).
 */
export async function planShards(tx: Queryable, revocationId: number, span: number): Promise<Shard[]> {
  const [revocation] = await tx.query<{
    target_user_id: number | null;
    revoke_credentials: boolean;
    planned: boolean;
    max_authorization: number | null;
    max_credential: number | null;
  }>(
    `select target_user_id, revoke_credentials,
            exists (select 1 from revocation_shards where revocation_id = $1) as planned,
            (select max(id) from credential_authorizations) as max_authorization,
            (select max(id) from credentials) as max_credential
       from revocations where id = $1 for update`,
    [revocationId],
  );
  if (!revocation || revocation.planned) return [];
  const ranges: { phase: ShardPhase; afterId: number; throughId: number }[] = [];
  const split = (phase: ShardPhase, maxId: number | null) => {
    if (maxId === null) return;
    const step = revocation.target_user_id === null ? span : maxId;
    for (let afterId = 0; afterId < maxId; afterId += step)
      ranges.push({ phase, afterId, throughId: Math.min(afterId + step, maxId) });
  };
  split("authorizations", revocation.max_authorization);
  if (revocation.revoke_credentials) split("credentials", revocation.max_credential);
  const shards = ranges.map((range, shard) => ({ revocationId, shard, ...range, done: false }));
  for (const shard of shards) {
    await tx.query(
      "insert into revocation_shards (revocation_id, shard, phase, after_id, through_id) values ($1, $2, $3, $4, $5)",
      [revocationId, shard.shard, shard.phase, shard.afterId, shard.throughId],
    );
  }
  return shards;
}

export async function findShard(
  db: Queryable,
  revocationId: number,
  shard: number,
): Promise<(Shard & { targetUserId: number | null; organizationId: number | null }) | null> {
  const [row] = await db.query<{
    phase: ShardPhase;
    after_id: number;
    through_id: number;
    done: boolean;
    target_user_id: number | null;
    organization_id: number | null;
  }>(
    `select s.phase, s.after_id, s.through_id, s.done, r.target_user_id, r.organization_id
       from revocation_shards s join revocations r on r.id = s.revocation_id
      where s.revocation_id = $1 and s.shard = $2`,
    [revocationId, shard],
  );
  if (!row) return null;
  return {
    revocationId,
    shard,
    phase: row.phase,
    afterId: row.after_id,
    throughId: row.through_id,
    done: row.done,
    targetUserId: row.target_user_id,
    organizationId: row.organization_id,
  };
}

export async function listUnfinishedShards(db: Queryable, revocationId: number): Promise<number[]> {
  const rows = await db.query<{ shard: number }>(
    "select shard from revocation_shards where revocation_id = $1 and not done order by shard",
    [revocationId],
  );
  return rows.map((r) => r.shard);
}

/**
 * Marks a shard done and, when it was the last, the revocation succeeded. The revocation row is
 * locked first, so of two shards finishing at once the second sees the first's commit.
 */
export async function completeShard(tx: Queryable, revocationId: number, shard: number): Promise<boolean> {
  await tx.query("select id from revocations where id = $1 for update", [revocationId]);
  await tx.query("update revocation_shards set done = true where revocation_id = $1 and shard = $2", [
    revocationId,
    shard,
  ]);
  const [row] = await tx.query<{ remaining: number }>(
    "select count(*)::int as remaining from revocation_shards where revocation_id = $1 and not done",
    [revocationId],
  );
  if ((row?.remaining ?? 0) > 0) return false;
  await finishRevocation(tx, revocationId);
  return true;
}
