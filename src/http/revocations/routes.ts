// GET /_credauth/revocations/{id} — credauth's extension: the job behind a 202, with its state,
// scope, requester, timestamps and exact counts. Only those who could have requested it see it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { mayReadRevocation } from "../../domain/policies.ts";
import { Errors } from "../../errors.ts";
import { findEnterpriseRelation } from "../../store/enterprises.ts";
import { findRevocation, type RevocationRecord } from "../../store/revocation-requests.ts";
import { requirePrincipal } from "../authentication.ts";
import { enforce } from "../authorization.ts";
import { countsByType } from "../presenters.ts";
import type { Services } from "../services.ts";
import { EXTENSION_PREFIX, revocationUrl } from "../urls.ts";

export function presentRevocation(request: FastifyRequest, revocation: RevocationRecord) {
  return {
    id: revocation.id,
    url: revocationUrl(request, revocation.id),
    state: revocation.state,
    scope: {
      enterprise: revocation.enterpriseSlug,
      organization: revocation.organizationLogin,
      username: revocation.targetLogin,
      credential_type: revocation.credentialType,
      revoke_credentials: revocation.revokeCredentials,
    },
    requester: { login: revocation.requesterLogin, id: revocation.requesterId },
    created_at: revocation.requestedAt.toISOString(),
    started_at: revocation.startedAt?.toISOString() ?? null,
    completed_at: revocation.finishedAt?.toISOString() ?? null,
    error: revocation.error,
    counts: {
      authorizations_revoked: countsByType(revocation.counts.filter((c) => c.effect === "authorization_revoked")),
      credentials_destroyed: countsByType(revocation.counts.filter((c) => c.effect === "credential_destroyed")),
    },
  };
}

export default async function revocationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Params: { id: string } }>(
    `${EXTENSION_PREFIX}/revocations/:id`,
    { config: { operation: "credauth/get-revocation", conditional: "extension" } },
    async (request) => {
      const principal = requirePrincipal(request);
      const id = /^[1-9]\d{0,15}$/.test(request.params.id) ? Number(request.params.id) : null;
      const revocation = id === null ? null : await findRevocation(services.db, id);
      const enterpriseRelation = revocation
        ? await findEnterpriseRelation(services.db, revocation.enterpriseId, principal.user.id)
        : null;
      const organizationRelation =
        revocation?.organizationId != null
          ? await services.reads.organizationRelation(revocation.organizationId, principal.user.id)
          : null;
      const job = {
        enterpriseSlug: revocation?.enterpriseSlug ?? "",
        organizationLogin: revocation?.organizationLogin ?? null,
      };
      enforce(mayReadRevocation(principal, job, enterpriseRelation, organizationRelation), principal);
      if (!revocation) throw Errors.notFound();
      return presentRevocation(request, revocation);
    },
  );
}
