import type { CredentialType, Organization, OrganizationRelation, User } from "../domain/model.ts";
import { authorizationEventData, insertAuditEvents, requestTokenData, revokeActions } from "./audit.ts";
import { type Queryable, RECORD_AUTHORIZATION_ACCESS } from "./db.ts";
import { AUTHORIZATION_FENCED, AUTHORIZATION_OR_CREDENTIAL_FENCED } from "./revocation-scope.ts";

interface OrganizationRow {
  id: number;
  login: string;
  enterprise_id: number;
  saml_sso: boolean;
  created_at: Date;
}

export async function findOrganizationByLogin(
  db: Queryable,
  login: string,
): Promise<(Organization & { createdAt: Date }) | null> {
  const [row] = await db.query<OrganizationRow>(
    "select id, login, enterprise_id, saml_sso, created_at from organizations where lower(login) = lower($1)",
    [login],
  );
  return row
    ? {
        id: row.id,
        login: row.login,
        enterpriseId: row.enterprise_id,
        samlSso: row.saml_sso,
        createdAt: row.created_at,
      }
    : null;
}

export async function findOrganizationRelation(
  db: Queryable,
  organizationId: number,
  userId: number,
): Promise<OrganizationRelation> {
  const rows = await db.query<{ role: string }>(
    "select role from organization_roles where organization_id = $1 and user_id = $2",
    [organizationId, userId],
  );
  return {
    isOwner: rows.some((r) => r.role === "owner"),
    isMember: rows.some((r) => r.role === "owner" || r.role === "member"),
    isParticipant: rows.length > 0,
  };
}

/** A user of the organization (any role, or holding an authorization for it), by login. */
export async function findOrganizationPerson(
  db: Queryable,
  organizationId: number,
  login: string,
): Promise<User | null> {
  const [row] = await db.query<{ id: number; login: string; created_at: Date }>(
    `select u.id, u.login, u.created_at from users u
      where lower(u.login) = lower($2)
        and (exists (select 1 from organization_roles where organization_id = $1 and user_id = u.id)
          or exists (select 1 from credential_authorizations a join credentials c on c.id = a.credential_id
                     where a.organization_id = $1 and c.user_id = u.id))`,
    [organizationId, login],
  );
  return row ? { id: row.id, login: row.login, createdAt: row.created_at } : null;
}

/** A live SSO authorization, and how long ago its credential last used it (null: never). */
export interface LiveAuthorization {
  id: number;
  accessedSecondsAgo: number | null;
}

/**
 * The credential's live SSO authorization for the organization (granted, not revoked, not inside
 * an unsettled revocation's fence), or null.
 */
export async function findLiveAuthorization(
  db: Queryable,
  credentialId: number,
  organizationId: number,
): Promise<LiveAuthorization | null> {
  const [row] = await db.query<{ id: number; accessed_seconds_ago: number | null }>(
    `select a.id, extract(epoch from credauth_now() - a.accessed_at)::float8 as accessed_seconds_ago
       from credential_authorizations a
       join credentials c on c.id = a.credential_id
       join organizations o on o.id = a.organization_id
      where a.credential_id = $1 and a.organization_id = $2 and a.revoked_at is null
        and not ${AUTHORIZATION_FENCED}`,
    [credentialId, organizationId],
  );
  return row ? { id: row.id, accessedSecondsAgo: row.accessed_seconds_ago } : null;
}

/** Records that these authorizations were used now (credential_accessed_at). */
export async function recordAuthorizationAccess(db: Queryable, authorizationIds: readonly number[]): Promise<void> {
  await db.query(RECORD_AUTHORIZATION_ACCESS, [authorizationIds]);
}

export interface LiveAuthorizationRow {
  id: number;
  login: string;
  type: CredentialType;
  token_last_eight: string | null;
  authorized_at: Date;
  accessed_at: Date | null;
  scopes: string[];
  fingerprint: string | null;
  credential_id: number;
  title: string | null;
  note: string | null;
  expires_at: Date | null;
}

const LIVE_IN_ORGANIZATION = `
  from credential_authorizations a
  join credentials c on c.id = a.credential_id
  join users u on u.id = c.user_id
  join organizations o on o.id = a.organization_id
 where a.organization_id = $1 and a.revoked_at is null and c.destroyed_at is null
   and ($2::text is null or lower(u.login) = lower($2))
   and not ${AUTHORIZATION_OR_CREDENTIAL_FENCED}`;

/** The organization's live authorizations, oldest first, and how many there are in all. */
export async function listLiveAuthorizations(
  db: Queryable,
  organizationId: number,
  options: { login: string | null; limit: number; offset: number },
): Promise<{ rows: LiveAuthorizationRow[]; total: number }> {
  // The page and the count in one statement (each statement pays its own parse and plan); the
  // count as a subquery run once, so the page still stops at its last row.
  const rows = await db.query<LiveAuthorizationRow & { total: number }>(
    `select a.id, u.login, c.type, c.token_last_eight, a.authorized_at, a.accessed_at, c.scopes, c.fingerprint,
            c.id as credential_id, c.title, c.note, c.expires_at, count(*) over ()::int as total
     ${LIVE_IN_ORGANIZATION}
     order by a.id limit $3 offset $4`,
    [organizationId, options.login, options.limit, options.offset],
  );
  return pageWithTotal(rows, options.offset, async () => {
    const [count] = await db.query<{ total: number }>(`select count(*)::int as total ${LIVE_IN_ORGANIZATION}`, [
      organizationId,
      options.login,
    ]);
    return count?.total ?? 0;
  });
}

/**
 * A page read with its total beside each row, as rows and total. A page past the end has no row
 * to carry the total: only then is it counted on its own.
 */
async function pageWithTotal<T extends { total: number }>(
  rows: T[],
  offset: number,
  countAlone: () => Promise<number>,
): Promise<{ rows: Omit<T, "total">[]; total: number }> {
  const total = rows[0]?.total ?? (offset > 0 ? await countAlone() : 0);
  return { rows: rows.map(({ total: _, ...row }) => row), total };
}

/**
 * Revokes one live authorization of the organization at once (the DELETE endpoint), with its
 * audit events, in one statement; `actor` made the request with credential `actor.credentialId`.
 * False when there is no such live authorization.
 */
export async function revokeAuthorizationNow(
  db: Queryable,
  organizationId: number,
  authorizationId: number,
  actor: { id: number; login: string; credentialId: number },
): Promise<boolean> {
  const [row] = await db.query<{ revoked: number }>(
    `with target as (
       select a.id, c.id as credential_id, c.type, c.user_id
         from credential_authorizations a
         join credentials c on c.id = a.credential_id
         join users u on u.id = c.user_id
         join organizations o on o.id = a.organization_id
        where a.id = $2 and a.organization_id = $1 and a.revoked_at is null and c.destroyed_at is null
          and not ${AUTHORIZATION_OR_CREDENTIAL_FENCED}
        for update of a),
     revoked as (
       update credential_authorizations a set revoked_at = (select credauth_now()) from target where a.id = target.id
       returning a.id, target.credential_id, target.type, target.user_id),
     events as (
       ${insertAuditEvents(`select act.action, $3, $4, u.id, u.login, o.id, o.login, e.id, e.slug, null, rv.id,
              ${authorizationEventData("c", "rv.id", "u.login", requestTokenData("rc"))}
         from revoked rv
         join credentials c on c.id = rv.credential_id
         left join credentials rc on rc.id = $5
         join users u on u.id = rv.user_id
         join organizations o on o.id = $1
         join enterprises e on e.id = o.enterprise_id
         ${revokeActions("rv.type")}
        where act.action is not null`)})
     select count(*)::int as revoked from revoked`,
    [organizationId, authorizationId, actor.id, actor.login, actor.credentialId],
  );
  return (row?.revoked ?? 0) > 0;
}

export interface MembershipRow {
  id: number;
  login: string;
  created_at: Date;
  saml_sso: boolean;
  /** The credential holds a live SSO authorization for the organization. */
  authorized: boolean;
}

/**
 * The organizations the user is an owner or member of (outside collaborators are not members),
 * oldest first, with whether the credential may open each one: a live SSO authorization, behind
 * no unsettled revocation.
 */
export async function listMemberships(db: Queryable, userId: number, credentialId: number): Promise<MembershipRow[]> {
  return db.query<MembershipRow>(
    `select o.id, o.login, o.created_at, o.saml_sso,
            exists (select 1 from credential_authorizations a join credentials c on c.id = a.credential_id
                     where a.credential_id = $2 and a.organization_id = o.id and a.revoked_at is null
                       and not ${AUTHORIZATION_FENCED}) as authorized
       from organizations o
      where exists (select 1 from organization_roles r
                     where r.organization_id = o.id and r.user_id = $1 and r.role in ('owner', 'member'))
      order by o.id`,
    [userId, credentialId],
  );
}

export interface MemberRow {
  id: number;
  login: string;
}

/** Organization $1's members, one row each, narrowed by role $2 (all, admin, member). */
const MEMBERS_OF_ORGANIZATION = `from organization_roles r join users u on u.id = r.user_id
      where r.organization_id = $1 and r.role in ('owner', 'member')
      group by u.id, u.login
     having $2 = 'all' or ($2 = 'admin') = bool_or(r.role = 'owner')`;

/**
 * The organization's members (owners and members; outside collaborators are not), oldest account
 * first, narrowed to owners (`admin`) or to members who are not owners (`member`), and how many
 * there are in all.
 */
export async function listMembers(
  db: Queryable,
  organizationId: number,
  role: "all" | "admin" | "member",
  page: { limit: number; offset: number },
): Promise<{ rows: MemberRow[]; total: number }> {
  const rows = await db.query<MemberRow & { total: number }>(
    `select u.id, u.login, (select count(*)::int from (select u.id ${MEMBERS_OF_ORGANIZATION}) m) as total
     ${MEMBERS_OF_ORGANIZATION} order by u.id limit $3 offset $4`,
    [organizationId, role, page.limit, page.offset],
  );
  return pageWithTotal(rows, page.offset, async () => {
    const [count] = await db.query<{ total: number }>(
      `select count(*)::int as total from (select u.id ${MEMBERS_OF_ORGANIZATION}) m`,
      [organizationId, role],
    );
    return count?.total ?? 0;
  });
}
