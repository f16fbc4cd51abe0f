// Removal and granting for the provisioning API. Creation goes through seed.ts (the fixture path).
import { destroyedAction, destroyedEventData, insertAuditEvents } from "./audit.ts";
import type { Queryable } from "./db.ts";
import { AUTHORIZATION_FENCED } from "./revocation-scope.ts";
import { grantAuthorization } from "./seed.ts";

/** Removes an enterprise with its organizations, roles, revocations and, if EMU, its managed users. */
export async function deleteEnterprise(db: Queryable, slug: string): Promise<boolean> {
  const [enterprise] = await db.query<{ id: number }>("select id from enterprises where lower(slug) = lower($1)", [
    slug,
  ]);
  if (!enterprise) return false;
  const managed = await db.query<{ id: number }>("select id from users where managed_by_enterprise_id = $1", [
    enterprise.id,
  ]);
  // The enterprise first (its revocations go with it), then its managed users.
  await db.query("delete from enterprises where id = $1", [enterprise.id]);
  for (const user of managed) await deleteUserRow(db, user.id);
  return true;
}

export async function deleteOrganization(db: Queryable, login: string): Promise<boolean> {
  return (await db.query("delete from organizations where lower(login) = lower($1) returning id", [login])).length > 0;
}

export type UserRemoval = "removed" | "not_found" | "first_emu_owner";

/** Removes a user with their credentials, authorizations and roles. The first EMU owner stays. */
export async function deleteUser(db: Queryable, login: string): Promise<UserRemoval> {
  const [user] = await db.query<{ id: number; first_owner: boolean }>(
    "select id, exists (select 1 from enterprises where first_owner_id = users.id) as first_owner from users where lower(login) = lower($1)",
    [login],
  );
  if (!user) return "not_found";
  if (user.first_owner) return "first_emu_owner";
  await deleteUserRow(db, user.id);
  return "removed";
}

async function deleteUserRow(db: Queryable, userId: number): Promise<void> {
  // Revocations keep their record (requester and target by login). Their references are cleared
  // first, in one update: two ON DELETE SET NULL paths into the same row would otherwise trip over
  // each other.
  await db.query(
    `update revocations set
       requester_id = nullif(requester_id, $1),
       requester_credential_id = case when requester_id = $1 then null else requester_credential_id end,
       target_user_id = nullif(target_user_id, $1),
       exempt_user_id = nullif(exempt_user_id, $1)
     where $1 in (requester_id, target_user_id, exempt_user_id)`,
    [userId],
  );
  await db.query("delete from users where id = $1", [userId]);
}

const ENTERPRISE_ROLES = {
  owners: "owner",
  credential_managers: "credential_manager",
  guest_collaborators: "guest_collaborator",
} as const;
const ORGANIZATION_ROLES = {
  owners: "owner",
  members: "member",
  outside_collaborators: "outside_collaborator",
} as const;
export type EnterpriseRoleList = keyof typeof ENTERPRISE_ROLES;
export type OrganizationRoleList = keyof typeof ORGANIZATION_ROLES;
export const isEnterpriseRoleList = (value: string): value is EnterpriseRoleList => value in ENTERPRISE_ROLES;
export const isOrganizationRoleList = (value: string): value is OrganizationRoleList => value in ORGANIZATION_ROLES;

export async function removeEnterpriseRole(
  db: Queryable,
  slug: string,
  list: EnterpriseRoleList,
  login: string,
): Promise<boolean> {
  const rows = await db.query(
    `delete from enterprise_roles where role = $3
       and enterprise_id = (select id from enterprises where lower(slug) = lower($1))
       and user_id = (select id from users where lower(login) = lower($2))
     returning user_id`,
    [slug, login, ENTERPRISE_ROLES[list]],
  );
  return rows.length > 0;
}

export async function removeOrganizationRole(
  db: Queryable,
  org: string,
  list: OrganizationRoleList,
  login: string,
): Promise<boolean> {
  const rows = await db.query(
    `delete from organization_roles where role = $3
       and organization_id = (select id from organizations where lower(login) = lower($1))
       and user_id = (select id from users where lower(login) = lower($2))
     returning user_id`,
    [org, login, ORGANIZATION_ROLES[list]],
  );
  return rows.length > 0;
}

/** Destroys a credential (its token stops authenticating at once), audited with no actor. */
export async function destroyCredential(db: Queryable, credentialId: number): Promise<boolean> {
  const [row] = await db.query<{ destroyed: number }>(
    `with destroyed as (
       update credentials set destroyed_at = (select credauth_now()) where id = $1 and destroyed_at is null returning id, user_id, type),
     events as (
       ${insertAuditEvents(`select act.action, null, null, u.id, u.login, null, null, null, null, null, d.id,
              ${destroyedEventData("c", "'{}'::jsonb")}
         from destroyed d join credentials c on c.id = d.id join users u on u.id = d.user_id
         cross join lateral (select ${destroyedAction("d.type")} as action) act
        where act.action is not null`)})
     select count(*)::int as destroyed from destroyed`,
    [credentialId],
  );
  return (row?.destroyed ?? 0) > 0;
}

export type GrantOutcome =
  | { kind: "granted" | "already_granted"; authorizationId: number }
  | { kind: "no_credential" | "no_organization" | "previously_revoked" | "credential_destroyed" };

/** Grants a credential an SSO authorization for an organization; a revoked one is never granted again. */
export async function grantCredentialAuthorization(
  db: Queryable,
  credentialId: number,
  organizationLogin: string,
): Promise<GrantOutcome> {
  const [credential] = await db.query<{ destroyed: boolean }>(
    "select destroyed_at is not null as destroyed from credentials where id = $1",
    [credentialId],
  );
  if (!credential) return { kind: "no_credential" };
  if (credential.destroyed) return { kind: "credential_destroyed" };
  const [organization] = await db.query<{ id: number }>("select id from organizations where lower(login) = lower($1)", [
    organizationLogin,
  ]);
  if (!organization) return { kind: "no_organization" };
  if (await grantAuthorization(db, credentialId, organization.id)) {
    const [row] = await db.query<{ id: number }>(
      "select id from credential_authorizations where credential_id = $1 and organization_id = $2",
      [credentialId, organization.id],
    );
    return { kind: "granted", authorizationId: row!.id };
  }
  // Revoked, or about to be: inside the fence of a revocation whose job has not finished.
  const [existing] = await db.query<{ id: number; revoked: boolean }>(
    `select a.id, (a.revoked_at is not null or ${AUTHORIZATION_FENCED}) as revoked
       from credential_authorizations a
       join credentials c on c.id = a.credential_id
       join organizations o on o.id = a.organization_id
      where a.credential_id = $1 and a.organization_id = $2`,
    [credentialId, organization.id],
  );
  return existing!.revoked
    ? { kind: "previously_revoked" }
    : { kind: "already_granted", authorizationId: existing!.id };
}
