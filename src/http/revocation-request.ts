// What every revoke endpoint shares: the body it reads, and the two ways to answer a prepared
// request — queue it (GitHub's 202) or, under the extension prefix, preview it (a dry run that
// changes nothing). Both go through the job layer (jobs/revocation-job.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isRevocableCredentialType, type RevocableCredentialType } from "../domain/credential-types.ts";
import type { OperationId } from "../domain/operations.ts";
import { acceptedMessage, countsByType, type RevocationForm } from "../domain/revocation.ts";
import { Errors } from "../errors.ts";
import { previewRevocation, type RevocationRequest, requestRevocation } from "../jobs/revocation-job.ts";
import type { Services } from "./services.ts";
import { DRY_RUN_PREFIX, revocationUrl } from "./urls.ts";

export interface RevokeBody {
  revokeCredentials: boolean;
  credentialType: RevocableCredentialType | null;
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Parses the body; unknown fields are ignored, as GitHub does. */
export function parseRevokeBody(
  body: unknown,
  options: { credentialTypeRequired: boolean; acceptsRevokeCredentials?: boolean },
): RevokeBody {
  if (body === undefined) body = {};
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw Errors.bodyNotObject();
  const fields = body as Record<string, unknown>;
  // The organization endpoints have no revoke_credentials: there it is an unknown field, ignored.
  // Present but null is refused as GitHub's schema check does: null is not a boolean.
  const revokeCredentials =
    options.acceptsRevokeCredentials === false || !("revoke_credentials" in fields) ? false : fields.revoke_credentials;
  if (typeof revokeCredentials !== "boolean") {
    throw Errors.invalidRequest(
      `For 'properties/revoke_credentials', ${describe(revokeCredentials)} is not a boolean.`,
    );
  }
  let credentialType: RevocableCredentialType | null = null;
  if (options.credentialTypeRequired) {
    if (!isRevocableCredentialType(fields.credential_type)) throw Errors.invalidCredentialType();
    credentialType = fields.credential_type;
  }
  return { revokeCredentials, credentialType };
}

export type PreparedRevocation = RevocationRequest;

export async function queueRevocation(
  services: Services,
  prepared: PreparedRevocation,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const { revocationId, warning } = await requestRevocation(services, prepared, request.log);
  return reply
    .code(202)
    .header("location", revocationUrl(request, revocationId))
    .send({
      message: acceptedMessage(prepared.form, prepared.targetLogin),
      ...(warning === undefined ? {} : { warning }),
    });
}

export async function previewRevocationRequest(services: Services, prepared: PreparedRevocation) {
  const { preview, callerToken, warning } = await previewRevocation(
    services.db,
    prepared.principal,
    prepared.form,
    prepared.scope,
  );
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
  /** GitHub's operationId: who may call it (domain/operations.ts); its dry run follows the same rules. */
  operation: OperationId;
  /** Anchor of the endpoint on GitHub's documentation page. */
  anchor: string;
}

/** Registers each revoke endpoint twice: GitHub's (queues, 202) and its dry run (previews, 200). */
export function registerRevokeRoutes<Params>(
  app: FastifyInstance,
  services: Services,
  routes: readonly RevokeRoute[],
  options: { documentationPage: string },
  prepare: (form: RevocationForm, request: FastifyRequest<{ Params: Params }>) => Promise<PreparedRevocation>,
): void {
  for (const route of routes) {
    const config = {
      operation: route.operation,
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
