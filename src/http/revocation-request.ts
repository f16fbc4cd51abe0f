// The two ways to answer a prepared revocation request: queue it (GitHub's 202) or, under the
// extension prefix, preview it (a dry run that changes nothing).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "../domain/model.ts";
import { acceptedMessage, callerWarning, type RevocationForm, type RevocationScope } from "../domain/revocation.ts";
import { requestRevocation } from "../jobs/revocation-job.ts";
import { callerTokenInScope, previewRevocation } from "../store/revocations.ts";
import { countsByType, EXTENSION_PREFIX, revocationUrl } from "./revocations/routes.ts";
import type { Services } from "./services.ts";

export interface PreparedRevocation {
  principal: Principal;
  form: RevocationForm;
  scope: RevocationScope & { exemptUserId: number | null };
  targetLogin: string | null;
}

export const DRY_RUN_PREFIX = `${EXTENSION_PREFIX}/dry-run`;

const levelOf = (scope: RevocationScope) => (scope.organizationId === null ? "enterprise" : "organization");

export async function queueRevocation(
  services: Services,
  prepared: PreparedRevocation,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const { revocationId, warning } = await requestRevocation(
    services,
    prepared.principal,
    prepared.form,
    prepared.scope,
    request.log,
  );
  return reply
    .code(202)
    .header("location", revocationUrl(request, revocationId))
    .send({
      message: acceptedMessage(prepared.form, prepared.targetLogin),
      ...(warning === undefined ? {} : { warning }),
    });
}

export async function previewRevocationRequest(services: Services, prepared: PreparedRevocation) {
  const [preview, callerToken] = await Promise.all([
    previewRevocation(services.db, prepared.scope),
    callerTokenInScope(services.db, prepared.principal.credential.id, prepared.scope),
  ]);
  const warning = callerWarning(prepared.form, callerToken, levelOf(prepared.scope));
  return {
    dry_run: true,
    would_answer: {
      status: 202,
      message: acceptedMessage(prepared.form, prepared.targetLogin),
      ...(warning === undefined ? {} : { warning }),
    },
    authorizations_revoked: countsByType(preview.authorizations),
    credentials_destroyed: countsByType(preview.credentials),
    affected_users: preview.affectedUsers,
    caller_token: { authorization_revoked: callerToken.authorizationInScope, destroyed: callerToken.destroyedInScope },
  };
}

export interface RevokeRoute {
  /** Fastify path of GitHub's endpoint, e.g. `/orgs/:org/credential-authorizations/revoke-all`. */
  path: string;
  form: RevocationForm;
  /** Anchor of the endpoint on GitHub's documentation page. */
  anchor: string;
}

/** Registers each revoke endpoint twice: GitHub's (queues, 202) and its dry run (previews, 200). */
export function registerRevokeRoutes<Params>(
  app: FastifyInstance,
  services: Services,
  routes: readonly RevokeRoute[],
  options: { documentationPage: string; acceptedOAuthScopes: string },
  prepare: (form: RevocationForm, request: FastifyRequest<{ Params: Params }>) => Promise<PreparedRevocation>,
): void {
  for (const route of routes) {
    const config = {
      acceptedOAuthScopes: options.acceptedOAuthScopes,
      documentationUrl: `${options.documentationPage}#${route.anchor}`,
    };
    app.post<{ Params: Params }>(route.path, { config }, async (request, reply) =>
      queueRevocation(services, await prepare(route.form, request), request, reply),
    );
    app.post<{ Params: Params }>(`${DRY_RUN_PREFIX}${route.path}`, { config }, async (request) =>
      previewRevocationRequest(services, await prepare(route.form, request)),
    );
  }
}
