// POST /credentials/revoke — GitHub's way to revoke credentials one holds but does not own (found
// leaked): up to 1,000 token values, unauthenticated, its own rate limit of 60 an hour, 202 whatever
// the values were, so that nobody learns whether a token is live. Each live one is destroyed at
// once, audited, and its owner's notification recorded (store/revoke-by-value.ts).
import type { FastifyInstance } from "fastify";
import { hashToken } from "../../domain/tokens.ts";
import { Errors } from "../../errors.ts";
import { scheduleEmails } from "../../jobs/notifications.ts";
import { revokeCredentialsByValue } from "../../store/revoke-by-value.ts";
import type { Services } from "../services.ts";
import { DRY_RUN_PREFIX } from "../urls.ts";

/** GitHub's documented most per request. */
export const MAX_CREDENTIALS_PER_REQUEST = 1000;

/** The body's `credentials`: 1 to 1,000 strings, or GitHub's 422 saying what is wrong. */
function parseCredentials(body: unknown): string[] {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.bodyNotObject();
  const credentials = (body as Record<string, unknown>).credentials;
  if (credentials === undefined) throw Errors.invalidRequest(`"credentials" wasn't supplied.`);
  if (!Array.isArray(credentials))
    throw Errors.invalidRequest(`For 'properties/credentials', ${JSON.stringify(credentials)} is not an array.`);
  if (credentials.length === 0 || credentials.length > MAX_CREDENTIALS_PER_REQUEST)
    throw Errors.invalidRequest(
      `For 'properties/credentials', ${credentials.length} items is not between 1 and ${MAX_CREDENTIALS_PER_REQUEST}.`,
    );
  const notString = credentials.findIndex((value) => typeof value !== "string");
  // Never echo a value: it may be a live secret.
  if (notString !== -1) throw Errors.invalidRequest(`For 'items/${notString}', the value is not a string.`);
  return credentials as string[];
}

export default async function credentialRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const config = {
    operation: "credentials/revoke",
    rateLimitResource: "credentials_revoke",
    documentationUrl: "https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials",
  } as const;

  app.post("/credentials/revoke", { config }, async (request, reply) => {
    const values = parseCredentials(request.body);
    const hashes = [...new Set(values)].map((value) => hashToken(value));
    // The owners' notifications and the job that delivers them commit with the revocation.
    const revoked = await services.db.transaction(async (tx) => {
      const { revoked, notificationIds } = await revokeCredentialsByValue(tx, hashes);
      if (notificationIds.length > 0) await scheduleEmails(services.boss, tx, notificationIds);
      return revoked;
    });
    // How many were live is for the log, never for the caller.
    request.log.info({ submitted: values.length, revoked }, "credentials revoked by value");
    return reply.code(202).send({});
  });

  // The dry run checks the request as the real call would, and says nothing of the values either.
  app.post(`${DRY_RUN_PREFIX}/credentials/revoke`, { config }, async (request) => {
    const values = parseCredentials(request.body);
    return { dry_run: true, would_answer: { status: 202 }, credentials_submitted: values.length };
  });
}
