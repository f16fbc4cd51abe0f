// POST /enterprises/{enterprise}/credential-authorizations/... — the four enterprise revoke forms.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { mayManageEnterpriseCredentials } from "../../domain/policies.ts";
import { type RevocationForm, refuseRevocation } from "../../domain/revocation.ts";
import { Errors } from "../../errors.ts";
import { operationAccess, requirePrincipal } from "../authentication.ts";
import { enforce } from "../authorization.ts";
import {
  type PreparedRevocation,
  parseRevokeBody,
  type RevokeRoute,
  registerRevokeRoutes,
} from "../revocation-request.ts";
import type { Services } from "../services.ts";

const DOCS = "https://docs.github.com/rest/enterprise-admin/credential-authorizations";

interface Params {
  enterprise: string;
  username?: string;
}

const ROUTES: RevokeRoute[] = [
  {
    path: "/enterprises/:enterprise/credential-authorizations/revoke-all",
    form: "all",
    operation: "enterprise-admin/revoke-all-credential-authorizations",
    anchor: "revoke-all-credential-authorizations-for-an-enterprise",
  },
  {
    path: "/enterprises/:enterprise/credential-authorizations/revoke-credential-type",
    form: "credential_type",
    operation: "enterprise-admin/revoke-credential-type-for-enterprise",
    anchor: "revoke-a-single-credential-type-for-an-enterprise",
  },
  {
    path: "/enterprises/:enterprise/credential-authorizations/:username/revoke",
    form: "user",
    operation: "enterprise-admin/revoke-credential-authorizations-for-user",
    anchor: "revoke-credential-authorizations-for-a-user-in-an-enterprise",
  },
  {
    path: "/enterprises/:enterprise/credential-authorizations/:username/revoke-credential-type",
    form: "user_credential_type",
    operation: "enterprise-admin/revoke-credential-type-for-user",
    anchor: "revoke-a-single-credential-type-for-a-user-in-an-enterprise",
  },
];

export default async function enterpriseCredentialAuthorizationRoutes(
  app: FastifyInstance,
  services: Services,
): Promise<void> {
  /** Everything GitHub checks before it queues: who, which enterprise, which body, which target. */
  async function prepare(
    form: RevocationForm,
    request: FastifyRequest<{ Params: Params }>,
  ): Promise<PreparedRevocation> {
    const principal = requirePrincipal(request);
    const { enterprise: slug, username } = request.params;

    // Authorization before anything else is read: outsiders learn nothing, not even that it exists.
    const found = await services.reads.enterpriseWithRelation(slug, principal.user.id);
    const enterprise = found?.enterprise ?? null;
    const relation = found?.relation ?? null;
    enforce(
      mayManageEnterpriseCredentials(principal, operationAccess(request), enterprise?.slug ?? slug, relation),
      principal,
    );
    if (!enterprise) throw Errors.notFound();

    const body = parseRevokeBody(request.body, {
      credentialTypeRequired: form === "credential_type" || form === "user_credential_type",
    });
    const target = username === undefined ? null : await services.reads.enterprisePerson(enterprise.id, username);
    if (username !== undefined && target === null) throw Errors.notFound();
    const refusal = refuseRevocation(enterprise, target, body.revokeCredentials);
    if (refusal) throw refusal;

    return {
      principal,
      form,
      scopeName: enterprise.slug,
      targetLogin: target?.login ?? null,
      scope: {
        enterpriseId: enterprise.id,
        organizationId: null,
        targetUserId: target?.id ?? null,
        credentialType: body.credentialType,
        revokeCredentials: body.revokeCredentials,
        exemptUserId: enterprise.emu ? enterprise.firstOwnerId : null,
      },
    };
  }

  registerRevokeRoutes<Params>(app, services, ROUTES, { documentationPage: DOCS }, prepare);
}
