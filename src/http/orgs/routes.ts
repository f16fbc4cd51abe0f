// GET /orgs/{org} — GitHub's own endpoint, here to show SAML SSO enforcement: a member's token
// without a live authorization for an SSO-enforced organization gets GitHub's 403. Others see the
// public profile.
import type { FastifyInstance } from "fastify";
import { Errors } from "../../errors.ts";
import { checkSamlEnforcement } from "../organization-access.ts";
import { presentOrganization } from "../presenters.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

export default async function organizationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Params: { org: string } }>(
    "/orgs/:org",
    {
      config: {
        operation: "orgs/get",
        conditional: "github",
        documentationUrl: "https://docs.github.com/rest/orgs/orgs#get-an-organization",
      },
    },
    async (request) => {
      const organization = await services.reads.organizationByLogin(request.params.org);
      if (!organization) throw Errors.notFound();
      // Only an SSO organization's own people are checked: nobody else costs a query.
      const relation =
        request.principal && organization.samlSso
          ? await services.reads.organizationRelation(organization.id, request.principal.user.id)
          : { isOwner: false, isParticipant: false };
      await checkSamlEnforcement(
        services.db,
        services.reads,
        services.config.webUrl,
        request.principal,
        organization,
        relation,
      );
      return presentOrganization(apiBaseUrl(request), services.config.webUrl, organization);
    },
  );
}
