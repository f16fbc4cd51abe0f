// /orgs/{org}/credential-authorizations — list, remove one, and the four bulk revoke forms,
// scoped to one organization and reserved to its owners.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { factsOf } from "../../domain/credential-types.ts";
import type { Principal } from "../../domain/model.ts";
import type { RevocationForm } from "../../domain/revocation.ts";
import { Errors } from "../../errors.ts";
import {
  findOrganizationPerson,
  type LiveAuthorizationRow,
  listLiveAuthorizations,
  revokeAuthorizationNow,
} from "../../store/organizations.ts";
import { operationAccess, requirePrincipal } from "../authentication.ts";
import { authorizeOrganizationOwner } from "../organization-access.ts";
import { paginationLinks, parsePagination } from "../pagination.ts";
import { githubTime } from "../presenters.ts";
import {
  type PreparedRevocation,
  parseRevokeBody,
  type RevokeRoute,
  registerRevokeRoutes,
} from "../revocation-request.ts";
import type { Services } from "../services.ts";
import { apiBaseUrl } from "../urls.ts";

const DOCS = "https://docs.github.com/rest/orgs/orgs";

interface Params {
  org: string;
  username?: string;
  credential_id?: string;
}

const REVOKE_ROUTES: RevokeRoute[] = [
  {
    path: "/orgs/:org/credential-authorizations/revoke-all",
    form: "all",
    operation: "orgs/revoke-all-credential-authorizations",
    anchor: "revoke-all-credential-authorizations-for-an-organization",
  },
  {
    path: "/orgs/:org/credential-authorizations/revoke-credential-type",
    form: "credential_type",
    operation: "orgs/revoke-credential-type",
    anchor: "revoke-a-single-credential-type-for-an-organization",
  },
  {
    path: "/orgs/:org/credential-authorizations/:username/revoke",
    form: "user",
    operation: "orgs/revoke-credential-authorizations-for-user",
    anchor: "revoke-credential-authorizations-for-a-user-in-an-organization",
  },
  {
    path: "/orgs/:org/credential-authorizations/:username/revoke-credential-type",
    form: "user_credential_type",
    operation: "orgs/revoke-credential-type-for-user",
    anchor: "revoke-a-single-credential-type-for-a-user-in-an-organization",
  },
];

export function presentCredentialAuthorization(row: LiveAuthorizationRow) {
  const facts = factsOf(row.type);
  const isToken = facts.prefix !== null;
  const hasScopes = facts.limitedBy === "scopes";
  return {
    login: row.login,
    credential_id: row.id,
    credential_type: facts.listLabel,
    ...(isToken ? { token_last_eight: row.token_last_eight ?? "" } : {}),
    credential_authorized_at: githubTime(row.authorized_at),
    ...(hasScopes ? { scopes: row.scopes } : {}),
    ...(isToken ? {} : { fingerprint: row.fingerprint ?? "" }),
    credential_accessed_at: row.accessed_at ? githubTime(row.accessed_at) : null,
    authorized_credential_id: row.credential_id,
    authorized_credential_title: isToken ? null : row.title,
    authorized_credential_note: isToken ? row.note : null,
    authorized_credential_expires_at: isToken && row.expires_at ? githubTime(row.expires_at) : null,
  };
}

export default async function organizationCredentialAuthorizationRoutes(
  app: FastifyInstance,
  services: Services,
): Promise<void> {
  const { db } = services;

  /** The organization, once the caller is found to be allowed the route's operation there. */
  const authorizeOwner = (request: FastifyRequest, principal: Principal, login: string) =>
    authorizeOrganizationOwner(services.reads, services.config.webUrl, principal, login, operationAccess(request));

  app.get<{ Params: Params; Querystring: Record<string, string | undefined> }>(
    "/orgs/:org/credential-authorizations",
    {
      config: {
        operation: "orgs/list-saml-sso-authorizations",
        conditional: "github",
        documentationUrl: `${DOCS}#list-saml-sso-authorizations-for-an-organization`,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const organization = await authorizeOwner(request, principal, request.params.org);
      const pagination = parsePagination(request.query);
      const login = typeof request.query.login === "string" && request.query.login !== "" ? request.query.login : null;
      // The page shows last uses: those recorded so far are written first, and name the version.
      await services.reads.accessesRecorded();
      const scope = `${principal.credential.id} ${services.reads.accessVersion()}`;
      return services.bodies(request, reply, scope, async () => {
        const { rows, total } = await listLiveAuthorizations(db, organization.id, {
          login,
          limit: pagination.perPage,
          offset: (pagination.page - 1) * pagination.perPage,
        });
        return {
          body: rows.map(presentCredentialAuthorization),
          headers: { link: paginationLinks(`${apiBaseUrl(request)}${request.url}`, pagination, total) },
        };
      });
    },
  );

  app.delete<{ Params: Params }>(
    "/orgs/:org/credential-authorizations/:credential_id",
    {
      config: {
        operation: "orgs/remove-saml-sso-authorization",
        documentationUrl: `${DOCS}#remove-a-saml-sso-authorization-for-an-organization`,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const organization = await authorizeOwner(request, principal, request.params.org);
      const id = /^[1-9]\d{0,15}$/.test(request.params.credential_id ?? "")
        ? Number(request.params.credential_id)
        : null;
      if (
        id === null ||
        !(await revokeAuthorizationNow(db, organization.id, id, {
          id: principal.user.id,
          login: principal.user.login,
          credentialId: principal.credential.id,
        }))
      )
        throw Errors.notFound();
      return reply.code(204).send();
    },
  );

  async function prepare(
    form: RevocationForm,
    request: FastifyRequest<{ Params: Params }>,
  ): Promise<PreparedRevocation> {
    const principal = requirePrincipal(request);
    const organization = await authorizeOwner(request, principal, request.params.org);
    const body = parseRevokeBody(request.body, {
      credentialTypeRequired: form === "credential_type" || form === "user_credential_type",
      acceptsRevokeCredentials: false,
    });
    const { username } = request.params;
    const target = username === undefined ? null : await findOrganizationPerson(db, organization.id, username);
    if (username !== undefined && target === null) throw Errors.notFound();
    return {
      principal,
      form,
      scopeName: organization.login,
      targetLogin: target?.login ?? null,
      scope: {
        enterpriseId: organization.enterpriseId,
        organizationId: organization.id,
        targetUserId: target?.id ?? null,
        credentialType: body.credentialType,
        // Organization owners revoke authorizations only; credentials are the enterprise's to destroy.
        revokeCredentials: false,
        exemptUserId: null,
      },
    };
  }

  registerRevokeRoutes<Params>(app, services, REVOKE_ROUTES, { documentationPage: DOCS }, prepare);
}
