// An organization governing the fine-grained PATs made for it: the approved ones (its grants) and
// the requests not yet reviewed, listed and filtered; access revoked, requests approved or denied.
// A change applies to every token asked for or to none, with its audit events, in one statement.
import { insertAuditEvents, requestTokenData } from "./audit.ts";
import type { Queryable } from "./db.ts";
import { CREDENTIAL_FENCED } from "./revocation-scope.ts";

/** What the organization calls a fine-grained PAT's standing with it. */
export type PatStanding = "approved" | "pending";

export interface PatGrantFilter {
  owners: string[] | null;
  tokenIds: number[] | null;
  lastUsedBefore: Date | null;
  lastUsedAfter: Date | null;
  /** `name` at `level` or above. */
  permission: { name: string; level: "read" | "write" | "admin" } | null;
  direction: "asc" | "desc";
}

export interface PatGrantRow {
  id: number;
  note: string | null;
  permissions: Record<string, string>;
  created_at: Date;
  access_granted_at: Date;
  reason: string | null;
  expires_at: Date | null;
  expired: boolean;
  last_used_at: Date | null;
  user_id: number;
  login: string;
  total: number;
}

/**
 * One page of the live fine-grained PATs made for organization $1 that stand as $2, filtered
 * (each filter null for none), newest first or oldest ($9), with the count of all that match.
 */
const PAT_GRANTS = `select c.id, c.note, c.permissions, c.created_at, coalesce(c.org_access_changed_at, c.created_at) as access_granted_at,
            c.org_access_reason as reason, c.expires_at, coalesce(c.expires_at <= credauth_now(), false) as expired,
            used.last_used_at, u.id as user_id, u.login, count(*) over ()::int as total
       from credentials c
       join users u on u.id = c.user_id
       cross join lateral (select max(a.accessed_at) as last_used_at
                             from credential_authorizations a where a.credential_id = c.id) used
      where c.type = 'fine_grained_pat' and c.destroyed_at is null and lower(c.resource_owner) = lower($1)
        and c.org_access = $2 and not ${CREDENTIAL_FENCED}
        and ($3::text[] is null or lower(u.login) = any($3::text[]))
        and ($4::bigint[] is null or c.id = any($4::bigint[]))
        and ($5::timestamptz is null or used.last_used_at < $5)
        and ($6::timestamptz is null or used.last_used_at > $6)
        and ($7::text is null or (c.permissions ->> $7) = any($8::text[]))
      order by case when $9 = 'asc' then c.created_at end asc, case when $9 = 'desc' then c.created_at end desc, c.id
      limit $10 offset $11`;

const LEVELS_AT_LEAST = { read: ["read", "write", "admin"], write: ["write", "admin"], admin: ["admin"] } as const;

export async function listPatGrants(
  db: Queryable,
  organizationLogin: string,
  standing: PatStanding,
  filter: PatGrantFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: PatGrantRow[]; total: number }> {
  const rows = await db.query<PatGrantRow>(PAT_GRANTS, [
    organizationLogin,
    standing,
    filter.owners?.map((login) => login.toLowerCase()) ?? null,
    filter.tokenIds,
    filter.lastUsedBefore,
    filter.lastUsedAfter,
    filter.permission?.name ?? null,
    filter.permission ? LEVELS_AT_LEAST[filter.permission.level] : null,
    filter.direction,
    page.limit,
    page.offset,
  ]);
  const normalised = rows.map((row) => ({ ...row, id: Number(row.id), user_id: Number(row.user_id) }));
  return { rows: normalised, total: rows[0]?.total ?? 0 };
}

/**
 * Moves the fine-grained PATs $2 (distinct ids) of organization $1 from standing $3 to $4, every
 * one or none (none when any is not there as $3), each audited as $5 by the caller ($6 user, $7
 * the token they used) in the organization, with the reviewer's reason $8. Returns how many of
 * the ids were found as $3.
 */
const CHANGE_STANDING = `with target as (
       select c.id from credentials c join users u on u.id = c.user_id
        where c.id = any($2::bigint[]) and c.type = 'fine_grained_pat' and c.destroyed_at is null
          and lower(c.resource_owner) = lower($1) and c.org_access = $3 and not ${CREDENTIAL_FENCED}),
     changed as (
       update credentials c set org_access = $4, org_access_changed_at = credauth_now()
         from target t
        where c.id = t.id and (select count(*) from target) = cardinality($2::bigint[])
       returning c.id, c.user_id, c.note),
     events as (
       ${insertAuditEvents(`select $5, actor.id, actor.login, u.id, u.login, o.id, o.login, e.id, e.slug, null, ch.id,
              ${requestTokenData("rc")} || jsonb_strip_nulls(jsonb_build_object(
                'user_programmatic_access_name', ch.note, 'reason', $8::text))
         from changed ch
         join users u on u.id = ch.user_id
         join organizations o on lower(o.login) = lower($1)
         join enterprises e on e.id = o.enterprise_id
         join users actor on actor.id = $6
         left join credentials rc on rc.id = $7`)})
     select (select count(*)::int from target) as found`;

export async function changePatStanding(
  db: Queryable,
  change: {
    organizationLogin: string;
    ids: number[];
    from: "approved" | "pending";
    to: "revoked" | "approved" | "denied";
    action: string;
    actorId: number;
    actorCredentialId: number;
    reason: string | null;
  },
): Promise<{ found: number }> {
  const [row] = await db.query<{ found: number }>(CHANGE_STANDING, [
    change.organizationLogin,
    change.ids,
    change.from,
    change.to,
    change.action,
    change.actorId,
    change.actorCredentialId,
    change.reason,
  ]);
  return { found: row?.found ?? 0 };
}
