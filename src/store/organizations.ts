import type { Organization } from "../domain/model.ts";
import type { Queryable } from "./db.ts";
import { AUTHORIZATION_IN_SCOPE, UNSETTLED } from "./revocation-scope.ts";

interface OrganizationRow {
  id: number;
  login: string;
  enterprise_id: number;
  saml_sso: boolean;
  created_at: Date;
  [key: string]: unknown;
}

export async function findOrganizationByLogin(db: Queryable, login: string): Promise<(Organization & { createdAt: Date }) | null> {
  const [row] = await db.query<OrganizationRow>(
    "select id, login, enterprise_id, saml_sso, created_at from organizations where lower(login) = lower($1)",
    [login],
  );
  return row ? { id: row.id, login: row.login, enterpriseId: row.enterprise_id, samlSso: row.saml_sso, createdAt: row.created_at } : null;
}

/** Whether the user belongs to the organization in any role (owner, member, outside collaborator). */
export async function isOrganizationParticipant(db: Queryable, organizationId: number, userId: number): Promise<boolean> {
  const rows = await db.query("select 1 from organization_roles where organization_id = $1 and user_id = $2 limit 1", [organizationId, userId]);
  return rows.length > 0;
}

/**
 * Whether the credential holds a live SSO authorization for the organization: granted, not revoked,
 * and not inside the scope of a revocation whose job has not finished (the containment fence).
 */
export async function hasLiveAuthorization(db: Queryable, credentialId: number, organizationId: number): Promise<boolean> {
  const rows = await db.query(
    `select 1 from credential_authorizations a
       join credentials c on c.id = a.credential_id
       join organizations o on o.id = a.organization_id
      where a.credential_id = $1 and a.organization_id = $2 and a.revoked_at is null
        and not exists (select 1 from revocations r where ${UNSETTLED} and ${AUTHORIZATION_IN_SCOPE})`,
    [credentialId, organizationId],
  );
  return rows.length > 0;
}
