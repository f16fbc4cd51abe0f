// Who may reach an organization's resources: SAML SSO enforcement for its own people, and the
// organization-owner gate shared by the credential-authorization and audit-log endpoints.
import { randomBytes } from "node:crypto";
import { factsOf } from "../domain/credential-types.ts";
import type { Organization, OrganizationRelation, Principal } from "../domain/model.ts";
import type { OperationAccess } from "../domain/operations.ts";
import { mayActAsOrganizationOwner } from "../domain/policies.ts";
import { Errors } from "../errors.ts";
import type { CachedReads } from "../store/cached-reads.ts";
import { enforce } from "./authorization.ts";

/** credential_accessed_at is written at most this often per authorization: reads stay reads. */
const ACCESS_RECORDED_EVERY_SECONDS = 60;

/**
 * SAML enforcement applies to the organization's own people: a token of an owner, member or
 * outside collaborator needs a live SSO authorization for the organization. Others are not asked.
 */
export async function checkSamlEnforcement(
  reads: CachedReads,
  webUrl: string,
  principal: Principal | null,
  organization: Pick<Organization, "id" | "login" | "samlSso">,
  relation: OrganizationRelation,
): Promise<void> {
  if (principal === null || !organization.samlSso || !relation.isParticipant) return;
  const live = await reads.liveAuthorization(principal.credential.id, organization.id);
  if (live) {
    if (live.accessedSecondsAgo === null || live.accessedSecondsAgo >= ACCESS_RECORDED_EVERY_SECONDS)
      live.recordAccess();
    return;
  }
  const tokenKind = factsOf(principal.credential.type).ssoLabel ?? "Personal Access token";
  const request = randomBytes(24).toString("base64url");
  throw Errors.samlEnforced(tokenKind, `${webUrl}/orgs/${organization.login}/sso?authorization_request=${request}`);
}

/**
 * Organization owners (or an App installed on the organization) only; outsiders get 404. The
 * owner's own token must pass SAML SSO too.
 */
export async function authorizeOrganizationOwner(
  reads: CachedReads,
  webUrl: string,
  principal: Principal,
  login: string,
  access: OperationAccess,
): Promise<Organization> {
  const organization = await reads.organizationByLogin(login);
  const relation = organization ? await reads.organizationRelation(organization.id, principal.user.id) : null;
  enforce(mayActAsOrganizationOwner(principal, access, organization?.login ?? login, relation), principal);
  // enforce() has answered 404 when there is no organization or no relation to it.
  await checkSamlEnforcement(reads, webUrl, principal, organization!, relation!);
  return organization!;
}
