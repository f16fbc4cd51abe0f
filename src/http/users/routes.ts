// The authenticated user's own resources: GET /user (a destroyed token stops authenticating),
// GET /user/orgs (the organizations the token may open) and GET /user/keys (live SSH keys).
import type { FastifyInstance } from "fastify";
import { factsOf } from "../../domain/credential-types.ts";
import { tokenAllows } from "../../domain/policies.ts";
import { listMemberships } from "../../store/organizations.ts";
import { listPublicKeys } from "../../store/users.ts";
import { operationAccess, requirePrincipal } from "../authentication.ts";
import { enforce } from "../authorization.ts";
import { paginationLinks, parsePagination } from "../pagination.ts";
import { presentOrganizationSimple, presentPrivateUser, presentPublicKey } from "../presenters.ts";
import { renderedBodies } from "../rendered-bodies.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

export default async function userRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db, config } = services;
  // The body is a pure function of the base URL and the user's id, login and creation time.
  const rendered = renderedBodies();
  app.get(
    "/user",
    {
      config: {
        operation: "users/get-authenticated",
        conditional: "github",
        documentationUrl: "https://docs.github.com/rest/users/users#get-the-authenticated-user",
      },
    },
    async (request, reply) => {
      const { user } = requirePrincipal(request);
      const base = apiBaseUrl(request);
      const body = rendered(`${user.id} ${user.login} ${user.createdAt.getTime()} ${base}`, () =>
        presentPrivateUser(base, config.webUrl, user),
      );
      return reply.type("application/json; charset=utf-8").send(body);
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/user/orgs",
    {
      config: {
        operation: "orgs/list-for-authenticated-user",
        conditional: "github",
        documentationUrl: "https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user",
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      // The user's own resources: a fine-grained PAT reaches them when the user is its resource owner.
      enforce(tokenAllows(principal, operationAccess(request), principal.user.login), principal);
      const pagination = parsePagination(request.query);
      // Fine-grained tokens get an empty list, as GitHub documents for this endpoint.
      if (factsOf(principal.credential.type).accessKind !== "classic") return [];
      return services.bodies(request, reply, String(principal.credential.id), async () => {
        const memberships = await listMemberships(db, principal.user.id, principal.credential.id);
        // Organizations whose SAML SSO the token has not passed are left out and named in X-GitHub-SSO.
        const blocked = memberships.filter((org) => org.saml_sso && !org.authorized);
        const visible = memberships.filter((org) => !org.saml_sso || org.authorized);
        const start = (pagination.page - 1) * pagination.perPage;
        const base = apiBaseUrl(request);
        return {
          body: visible
            .slice(start, start + pagination.perPage)
            .map((org) => presentOrganizationSimple(base, config.webUrl, org)),
          headers: {
            link: paginationLinks(`${base}${request.url}`, pagination, visible.length),
            "x-github-sso":
              blocked.length > 0
                ? `partial-results; organizations=${blocked.map((org) => org.id).join(",")}`
                : undefined,
          },
        };
      });
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    "/user/keys",
    {
      config: {
        operation: "users/list-public-ssh-keys-for-authenticated-user",
        conditional: "github",
        documentationUrl: "https://docs.github.com/rest/users/keys#list-public-ssh-keys-for-the-authenticated-user",
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      // The user's own resources: a fine-grained PAT reaches them when the user is its resource owner.
      enforce(tokenAllows(principal, operationAccess(request), principal.user.login), principal);
      const pagination = parsePagination(request.query);
      return services.bodies(request, reply, String(principal.credential.id), async () => {
        const { rows, total } = await listPublicKeys(db, principal.user.id, {
          limit: pagination.perPage,
          offset: (pagination.page - 1) * pagination.perPage,
        });
        const base = apiBaseUrl(request);
        return {
          body: rows.map((key) => presentPublicKey(base, key)),
          headers: { link: paginationLinks(`${base}${request.url}`, pagination, total) },
        };
      });
    },
  );
}
