// GitHub's organization endpoints beside the credential authorizations: GET /orgs/{org} (SAML SSO
// enforcement for the organization's own people; others see the public profile) and
// GET /orgs/{org}/members.
import type { FastifyInstance } from "fastify";
import { mayFilterMembersByTwoFactor, maySeeConcealedMembers } from "../../domain/policies.ts";
import { Errors } from "../../errors.ts";
import { listMembers } from "../../store/organizations.ts";
import { operationAccess } from "../authentication.ts";
import { checkSamlEnforcement } from "../organization-access.ts";
import { paginationLinks, parsePagination } from "../pagination.ts";
import { presentOrganization, presentSimpleUser } from "../presenters.ts";
import { renderedBodies } from "../rendered-bodies.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

const DOCS = "https://docs.github.com/rest/orgs";
const NO_RELATION = { isOwner: false, isMember: false, isParticipant: false } as const;

/** A query value from a fixed list, or GitHub's 422 naming the list. */
function oneOf<T extends string>(name: string, raw: string | undefined, values: readonly T[]): T {
  const value = raw ?? values[0]!;
  if (!(values as readonly string[]).includes(value))
    throw Errors.invalidRequest(
      `For 'properties/${name}', ${JSON.stringify(value)} is not one of ${values.join(", ")}.`,
    );
  return value as T;
}

export default async function organizationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db, reads, config } = services;
  // The profile is a pure function of the base URL and the organization's id, login and creation time.
  const rendered = renderedBodies();

  app.get<{ Params: { org: string } }>(
    "/orgs/:org",
    { config: { operation: "orgs/get", conditional: "github", documentationUrl: `${DOCS}/orgs#get-an-organization` } },
    async (request, reply) => {
      const organization = await reads.organizationByLogin(request.params.org);
      if (!organization) throw Errors.notFound();
      // Only an SSO organization's own people are checked: nobody else costs a query.
      const relation =
        request.principal && organization.samlSso
          ? await reads.organizationRelation(organization.id, request.principal.user.id)
          : NO_RELATION;
      await checkSamlEnforcement(reads, config.webUrl, request.principal, organization, relation);
      const base = apiBaseUrl(request);
      const { id, login, createdAt } = organization;
      const body = rendered(`${id} ${login} ${createdAt.getTime()} ${base}`, () =>
        presentOrganization(base, config.webUrl, organization),
      );
      return reply.type("application/json; charset=utf-8").send(body);
    },
  );

  app.get<{ Params: { org: string }; Querystring: Record<string, string | undefined> }>(
    "/orgs/:org/members",
    {
      config: {
        operation: "orgs/list-members",
        conditional: "github",
        documentationUrl: `${DOCS}/members#list-organization-members`,
      },
    },
    async (request, reply) => {
      const organization = await reads.organizationByLogin(request.params.org);
      if (!organization) throw Errors.notFound();
      const filter = oneOf("filter", request.query.filter, ["all", "2fa_disabled", "2fa_insecure"] as const);
      const role = oneOf("role", request.query.role, ["all", "admin", "member"] as const);
      const pagination = parsePagination(request.query);
      const { principal } = request;
      const relation = principal ? await reads.organizationRelation(organization.id, principal.user.id) : NO_RELATION;
      await checkSamlEnforcement(reads, config.webUrl, principal, organization, relation);
      const access = operationAccess(request);
      const concealed = maySeeConcealedMembers(principal, access, organization.login, relation);
      if (filter !== "all" && !mayFilterMembersByTwoFactor(principal, access, organization.login, relation))
        throw Errors.ownerOnlyFilter();
      // credauth has no public memberships, and every account it knows has two-factor authentication.
      if (!concealed.allowed || filter !== "all") return [];
      return services.bodies(request, reply, String(principal?.credential.id ?? "anonymous"), async () => {
        const { rows, total } = await listMembers(db, organization.id, role, {
          limit: pagination.perPage,
          offset: (pagination.page - 1) * pagination.perPage,
        });
        const base = apiBaseUrl(request);
        return {
          body: rows.map((member) => presentSimpleUser(base, config.webUrl, member)),
          headers: { link: paginationLinks(`${base}${request.url}`, pagination, total) },
        };
      });
    },
  );
}
