// Who may reach an organization's resources: SAML SSO enforcement for its own people, and the
// organization-owner gate shared by the credential-authorization and audit-log endpoints.
import { randomBytes } from "node:crypto";
import { factsOf } from "../domain/credential-types.ts";
import type { Organization, OrganizationRelation, Principal } from "../domain/model.ts";
import { mayActAsOrganizationOwner, type TokenRequirement } from "../domain/policies.ts";
import { Errors } from "../errors.ts";
import type { Queryable } from "../store/db.ts";
import { findOrganizationByLogin, findOrganizationRelation, useLiveAuthorization } from "../store/organizations.ts";
import { enforce } from "./authorization.ts";

/**
 * SAML enforcement applies to the organization's own people: a token of an owner, member or
 * outside collaborator needs a live SSO authorization for the organization. Others are not asked.
 */
export async function checkSamlEnforcement(
  db: Queryable,
  webUrl: string,
  principal: Principal | null,
  organization: Pick<Organization, "id" | "login" | "samlSso">,
  relation: OrganizationRelation,
): Promise<void> {
  if (principal === null || !organization.samlSso || !relation.isParticipant) return;
  if (await useLiveAuthorization(db, principal.credential.id, organization.id)) return;
  const tokenKind = factsOf(principal.credential.type).ssoLabel ?? "Personal Access token";
  const request = randomBytes(24).toString("base64url");
  throw Errors.samlEnforced(tokenKind, `${webUrl}/orgs/${organization.login}/sso?authorization_request=${request}`);
}

/** Organization owners only; outsiders get 404. The owner's own token must pass SAML SSO too. */
export async function authorizeOrganizationOwner(
  db: Queryable,
  webUrl: string,
  principal: Principal,
  login: string,
  requirement: TokenRequirement,
): Promise<Organization> {
  const organization = await findOrganizationByLogin(db, login);
  const relation = organization ? await findOrganizationRelation(db, organization.id, principal.user.id) : null;
  enforce(mayActAsOrganizationOwner(principal, organization?.login ?? login, relation, requirement), principal);
  // enforce() has answered 404 when there is no organization or no relation to it.
  await checkSamlEnforcement(db, webUrl, principal, organization!, relation!);
  return organization!;
}
