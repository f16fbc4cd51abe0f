// GET /orgs/{org} — GitHub's own endpoint, here to show SAML SSO enforcement: a member's token
// without a live authorization for an SSO-enforced organization gets GitHub's 403.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Principal } from "../../domain/model.ts";
import { Errors } from "../../errors.ts";
import type { Queryable } from "../../store/db.ts";
import { findOrganizationByLogin, isOrganizationParticipant, useLiveAuthorization } from "../../store/organizations.ts";
import { presentOrganization } from "../presenters.ts";
import { apiBaseUrl, type Services } from "../services.ts";

/**
 * SAML enforcement applies to the organization's own people: a token of a member, owner or outside
 * collaborator needs a live SSO authorization for the organization. Others see the public profile.
 */
export async function checkSamlEnforcement(
  db: Queryable,
  webUrl: string,
  principal: Principal | null,
  organization: { id: number; login: string; samlSso: boolean },
): Promise<void> {
  if (principal === null || !organization.samlSso) return;
  if (!(await isOrganizationParticipant(db, organization.id, principal.user.id))) return;
  if (await useLiveAuthorization(db, principal.credential.id, organization.id)) return;
  const tokenKind = principal.credential.type === "oauth_app_token" || principal.credential.type === "github_app_token" ? "OAuth token" : "Personal Access token";
  const request = randomBytes(24).toString("base64url");
  throw Errors.samlEnforced(organization.login, tokenKind, `${webUrl}/orgs/${organization.login}/sso?authorization_request=${request}`);
}

export default async function organizationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Params: { org: string } }>(
    "/orgs/:org",
    { config: { documentationUrl: "https://docs.github.com/rest/orgs/orgs#get-an-organization" } },
    async (request) => {
      const organization = await findOrganizationByLogin(services.db, request.params.org);
      if (!organization) throw Errors.notFound();
      await checkSamlEnforcement(services.db, services.config.webUrl, request.principal, organization);
      return presentOrganization(apiBaseUrl(request), services.config.webUrl, organization);
    },
  );
}
