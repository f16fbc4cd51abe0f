// The batches that materialize a revocation. Each batch is one statement that marks its rows and
// records their audit events, then one that adds to the exact counts, in one transaction, so a
// worker killed at any point leaves either the whole batch or none of it.
//
// There are five batch statements, each written out below with a fixed parameter list; the scope
// predicates and the audit writer they share are named constants. `npm run sql` prints them
// expanded, as PostgreSQL receives them.
import {
  authorizationEventData,
  destroyedAction,
  destroyedEventData,
  insertAuditEvents,
  requestTokenData,
  revokeActions,
} from "./audit.ts";
import type { Queryable } from "./db.ts";
import type { RevocationEffect } from "./revocation-requests.ts";
import { AUTHORIZATION_IN_SCOPE, CREDENTIAL_IN_DESTROY_SCOPE } from "./revocation-scope.ts";

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
 * The revocation row `r` and its requester `requester` (the actor, and the token fields of the
 * request: `token`), once per statement ($1 = revocation id). Always one requester row: a requester
 * removed since keeps their login on the revocation.
 */
const REVOCATION_AND_REQUESTER = `r as materialized (select * from revocations where id = $1),
     requester as materialized (
       select r.requester_id as id, coalesce(u.login, r.requester_login) as login, ${requestTokenData("rc")} as token
         from r left join users u on u.id = r.requester_id left join credentials rc on rc.id = r.requester_credential_id)`;

/** The audit events of the authorizations in CTE `revoked`, by the revocation's requester. */
const REVOKED_EVENTS = `events as (
       ${insertAuditEvents(`select act.action, q.id, q.login, u.id, u.login, rv.organization_id, rv.org_login, e.id, e.slug, $1, rv.id,
              ${authorizationEventData("(rv.credential)", "rv.id", "u.login", "q.token")}
         from revoked rv
         join users u on u.id = rv.user_id
         cross join r
         join enterprises e on e.id = r.enterprise_id
         cross join requester q
         ${revokeActions("rv.type")}
        where act.action is not null`)})`;

/** The audit events of the credentials in CTE `destroyed`, by the revocation's requester. */
const DESTROYED_EVENTS = `events as (
       ${insertAuditEvents(`select ${destroyedAction("d.type")}, q.id, q.login, d.user_id, d.user_login, null, null, e.id, e.slug, $1, d.id,
              ${destroyedEventData("(d.credential)", "q.token")}
         from destroyed d
         cross join r
         join enterprises e on e.id = r.enterprise_id
         cross join requester q`)})`;

/** The batch's answer: rows changed by type, and (keyset forms) how many rows it picked and the last one. */
interface BatchRow {
  by_type: Record<string, number>;
  picked: number;
  last_picked: number | null;
}

const BY_TYPE = (changed: string) =>
  `coalesce((select jsonb_object_agg(type, n) from (select type, count(*) as n from ${changed} group by type) k), '{}'::jsonb) as by_type`;
const PICKED = "(select count(*)::int from picked) as picked, (select max(id) from picked) as last_picked";

/**
 * Revokes the authorizations in scope with ids in ($2, $3] of revocation $1: a whole-enterprise
 * revocation covers nearly every row, so a batch is the next ids of the range, changed by one
 * set-based UPDATE, the way the SQL baseline does it. No explicit row lock: `revoked_at is null` in
 * the UPDATE's own WHERE is re-checked against the newest version of a row another transaction
 * changed meanwhile, so a row is revoked, audited and counted exactly once.
 */
const REVOKE_RANGE = `with ${REVOCATION_AND_REQUESTER},
     revoked as (
       update credential_authorizations a
          set revoked_at = (select credauth_now()), revoked_by_revocation_id = $1
         from credentials c, organizations o, r
        where a.id > $2 and a.id <= $3
          and a.revoked_at is null and c.id = a.credential_id and o.id = a.organization_id
          and ${AUTHORIZATION_IN_SCOPE}
       returning a.id, a.organization_id, o.login as org_login, c.user_id, c.type, c as credential),
     ${REVOKED_EVENTS}
     select ${BY_TYPE("revoked")}, 0 as picked, null::bigint as last_picked`;

/**
 * Revokes the next $5 authorizations in scope of revocation $1 owned by user $4, with ids in
 * ($2, $3]: few rows scattered over the whole range, found through the user's index (keyset).
 */
const REVOKE_USER_KEYSET = `with ${REVOCATION_AND_REQUESTER},
     picked as (
       select a.id from credential_authorizations a
         join credentials c on c.id = a.credential_id
         join organizations o on o.id = a.organization_id
         cross join r
        where a.id > $2 and a.id <= $3 and a.revoked_at is null and c.user_id = $4 and ${AUTHORIZATION_IN_SCOPE}
        order by a.id
        limit $5),
     revoked as (
       update credential_authorizations a
          set revoked_at = (select credauth_now()), revoked_by_revocation_id = $1
         from credentials c, organizations o, r
        where a.id in (select id from picked)
          and a.revoked_at is null and c.id = a.credential_id and o.id = a.organization_id
          and c.user_id = $4 and ${AUTHORIZATION_IN_SCOPE}
       returning a.id, a.organization_id, o.login as org_login, c.user_id, c.type, c as credential),
     ${REVOKED_EVENTS}
     select ${BY_TYPE("revoked")}, ${PICKED}`;

/** As REVOKE_USER_KEYSET, for a revocation aimed at organization $4, through its index. */
const REVOKE_ORGANIZATION_KEYSET = `with ${REVOCATION_AND_REQUESTER},
     picked as (
       select a.id from credential_authorizations a
         join credentials c on c.id = a.credential_id
         join organizations o on o.id = a.organization_id
         cross join r
        where a.id > $2 and a.id <= $3 and a.revoked_at is null and a.organization_id = $4 and ${AUTHORIZATION_IN_SCOPE}
        order by a.id
        limit $5),
     revoked as (
       update credential_authorizations a
          set revoked_at = (select credauth_now()), revoked_by_revocation_id = $1
         from credentials c, organizations o, r
        where a.id in (select id from picked)
          and a.revoked_at is null and c.id = a.credential_id and o.id = a.organization_id
          and a.organization_id = $4 and ${AUTHORIZATION_IN_SCOPE}
       returning a.id, a.organization_id, o.login as org_login, c.user_id, c.type, c as credential),
     ${REVOKED_EVENTS}
     select ${BY_TYPE("revoked")}, ${PICKED}`;

/**
 * Destroys the credentials in scope with ids in ($2, $3] of revocation $1 (EMU, revoke_credentials),
 * on the same terms as REVOKE_RANGE: `destroyed_at is null` re-checked by the UPDATE itself.
 */
const DESTROY_RANGE = `with ${REVOCATION_AND_REQUESTER},
     destroyed as (
       update credentials c set destroyed_at = (select credauth_now()), destroyed_by_revocation_id = $1
         from users u, r
        where c.id > $2 and c.id <= $3
          and c.destroyed_at is null and u.id = c.user_id and ${CREDENTIAL_IN_DESTROY_SCOPE}
       returning c.id, c.user_id, c.type, u.login as user_login, c as credential),
     ${DESTROYED_EVENTS}
     select ${BY_TYPE("destroyed")}, 0 as picked, null::bigint as last_picked`;

/** Destroys the next $5 credentials in scope of revocation $1 owned by user $4, ids in ($2, $3]. */
const DESTROY_USER_KEYSET = `with ${REVOCATION_AND_REQUESTER},
     picked as (
       select c.id from credentials c join users u on u.id = c.user_id cross join r
        where c.id > $2 and c.id <= $3 and c.destroyed_at is null and c.user_id = $4 and ${CREDENTIAL_IN_DESTROY_SCOPE}
        order by c.id
        limit $5),
     destroyed as (
       update credentials c set destroyed_at = (select credauth_now()), destroyed_by_revocation_id = $1
         from users u, r
        where c.id in (select id from picked)
          and c.destroyed_at is null and u.id = c.user_id and c.user_id = $4 and ${CREDENTIAL_IN_DESTROY_SCOPE}
       returning c.id, c.user_id, c.type, u.login as user_login, c as credential),
     ${DESTROYED_EVENTS}
     select ${BY_TYPE("destroyed")}, ${PICKED}`;

/** Every batch statement by name, for `npm run sql` and the plan tests. */
export const BATCH_STATEMENTS = {
  REVOKE_RANGE,
  REVOKE_USER_KEYSET,
  REVOKE_ORGANIZATION_KEYSET,
  DESTROY_RANGE,
  DESTROY_USER_KEYSET,
} as const;

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

/**
 * Runs one batch: the range form for a whole-enterprise revocation (the next `limit` ids), the keyset
 * form through the target's index otherwise. Returns the rows changed and where the next batch starts:
 * past the window, past the last row picked, or at the end when fewer than `limit` were left.
 */
async function runBatch(
  db: Queryable,
  effect: RevocationEffect,
  statements: { range: string; keyset: string },
  revocationId: number,
  limit: number,
  range: ShardRange,
  target: number | null,
): Promise<BatchResult> {
  const upperId = target === null ? Math.min(range.afterId + limit, range.throughId) : range.throughId;
  const [row] =
    target === null
      ? await db.query<BatchRow>(statements.range, [revocationId, range.afterId, upperId])
      : await db.query<BatchRow>(statements.keyset, [revocationId, range.afterId, upperId, target, limit]);
  const byType = row?.by_type ?? {};
  await addToCounts(db, revocationId, effect, byType);
  const rows = Object.values(byType).reduce((sum, n) => sum + Number(n), 0);
  const exhausted = target === null || !row || row.picked < limit || row.last_picked === null;
  return { rows, nextAfterId: exhausted ? upperId : Number(row.last_picked) };
}

/** Revokes the authorizations in scope of one batch of revocation `revocationId`. */
export function revokeAuthorizationBatch(
  db: Queryable,
  revocationId: number,
  limit: number,
  range: ShardRange,
): Promise<BatchResult> {
  const keyset = range.targetUserId !== null ? REVOKE_USER_KEYSET : REVOKE_ORGANIZATION_KEYSET;
  const target = range.targetUserId ?? range.organizationId;
  return runBatch(db, "authorization_revoked", { range: REVOKE_RANGE, keyset }, revocationId, limit, range, target);
}

/** Destroys the credentials in scope of one batch (EMU, revoke_credentials); organizations do not narrow it. */
export function destroyCredentialBatch(
  db: Queryable,
  revocationId: number,
  limit: number,
  range: ShardRange,
): Promise<BatchResult> {
  return runBatch(
    db,
    "credential_destroyed",
    { range: DESTROY_RANGE, keyset: DESTROY_USER_KEYSET },
    revocationId,
    limit,
    range,
    range.targetUserId,
  );
}
