// The owner of an OAuth or GitHub App managing its users' tokens, signed in with the App's client id
// and secret (Basic): check a token, reset it, delete it, or delete the user's whole grant (every
// token of the App the user holds). A wrong client id or secret is refused as not found, and
// counted against the address like a bad token.
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { narrowedPermissions } from "../../domain/apps.ts";
import { generateToken, hashToken, lastEight, type TokenCredentialType } from "../../domain/tokens.ts";
import { Errors } from "../../errors.ts";
import {
  type AppTokenRecord,
  destroyAppTokens,
  findAppToken,
  findScopeTarget,
  resetAppToken,
  scopeAppToken,
} from "../../store/app-grants.ts";
import { type AppRecord, findAppByIssuer } from "../../store/apps.ts";
import { githubTime, presentSimpleUser } from "../presenters.ts";
import type { Services } from "../services.ts";
import { requestedPermissions } from "../token-limits.ts";
import { apiBaseUrl } from "../urls.ts";

const DOCS = "https://docs.github.com/enterprise-cloud@latest/rest/apps/oauth-applications";

/** `Authorization: Basic base64(client_id:client_secret)`, or null. */
function basicCredentials(header: string | undefined): { clientId: string; secret: string } | null {
  const match = /^\s*basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return { clientId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The body's `access_token`: a string, or GitHub's 422. */
function accessTokenOf(body: unknown): string {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
    throw Errors.invalidRequest(`"access_token" wasn't supplied.`);
  const token = (body as Record<string, unknown>).access_token;
  if (token === undefined) throw Errors.invalidRequest(`"access_token" wasn't supplied.`);
  // Never echo the value: it may be a live secret.
  if (typeof token !== "string")
    throw Errors.invalidRequest("For 'properties/access_token', the value is not a string.");
  return token;
}

/** The body of POST …/token/scoped: the token, its target (login or id), and the permissions asked for. */
function scopeRequestOf(body: unknown): {
  accessToken: string;
  target: { login: string | null; id: number | null };
  permissions: Record<string, string> | undefined;
} {
  const accessToken = accessTokenOf(body);
  const fields = body as Record<string, unknown>;
  const login = fields.target;
  const id = fields.target_id;
  if (login === undefined && id === undefined) throw Errors.invalidRequest(`"target" wasn't supplied.`);
  if (login !== undefined && typeof login !== "string")
    throw Errors.invalidRequest(`For 'properties/target', ${JSON.stringify(login)} is not a string.`);
  if (id !== undefined && !Number.isSafeInteger(id))
    throw Errors.invalidRequest(`For 'properties/target_id', ${JSON.stringify(id)} is not an integer.`);
  const permissions = requestedPermissions(fields);
  return {
    accessToken,
    target: { login: (login as string | undefined) ?? null, id: (id as number | undefined) ?? null },
    permissions,
  };
}

export default async function applicationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db, config, rateLimits } = services;

  /**
   * The App named in the path, signed in by its client id and secret; else GitHub's 404 (401 with no
   * Basic credentials at all), counted against the address as a failed sign-in.
   */
  async function signedInApp(request: FastifyRequest<{ Params: { client_id: string } }>, reply: FastifyReply) {
    const given = basicCredentials(request.headers.authorization);
    if (given === null) throw Errors.requiresAuthentication();
    const found =
      given.clientId === request.params.client_id
        ? await findAppByIssuer(db, { kind: "client_id", clientId: given.clientId })
        : null;
    if (found === null || !timingSafeEqual(Buffer.from(found.clientSecretHash), hashToken(given.secret)))
      throw await rateLimits.failedAuthentication(request, reply, Errors.notFound());
    await rateLimits.admit(request, reply, { userId: found.botUser.id });
    return found;
  }

  /** GitHub's `authorization` for a user's token of the App (`token` as given, or as newly made). */
  function presentAuthorization(request: FastifyRequest, found: AppRecord, token: AppTokenRecord & { value: string }) {
    const base = apiBaseUrl(request);
    return {
      id: token.id,
      url: `${base}/authorizations/${token.id}`,
      scopes: token.scopes,
      token: token.value,
      token_last_eight: token.lastEight,
      hashed_token: Buffer.from(token.tokenHash).toString("base64"),
      app: { client_id: found.clientId, name: found.name, url: `${config.webUrl}/apps/${found.slug}` },
      note: token.note,
      note_url: null,
      updated_at: githubTime(token.createdAt),
      created_at: githubTime(token.createdAt),
      fingerprint: null,
      user: presentSimpleUser(base, config.webUrl, token.user),
      installation: null,
      expires_at: token.expiresAt && githubTime(token.expiresAt),
    };
  }

  // Signed in by the App's client id and secret, not by a token: the authentication hook leaves
  // these to signedInApp (config.clientCredentials).
  const routeConfig = (
    operation:
      | "apps/check-token"
      | "apps/reset-token"
      | "apps/delete-token"
      | "apps/delete-authorization"
      | "apps/scope-token",
    anchor: string,
    docs = DOCS,
  ) => ({
    config: { operation, clientCredentials: true, documentationUrl: `${docs}#${anchor}` },
  });

  app.post<{ Params: { client_id: string } }>(
    "/applications/:client_id/token",
    routeConfig("apps/check-token", "check-a-token"),
    async (request, reply) => {
      const found = await signedInApp(request, reply);
      const value = accessTokenOf(request.body);
      const token = await findAppToken(db, found.clientId, hashToken(value));
      if (token === null) throw Errors.notFound();
      return presentAuthorization(request, found, { ...token, value });
    },
  );

  app.patch<{ Params: { client_id: string } }>(
    "/applications/:client_id/token",
    routeConfig("apps/reset-token", "reset-a-token"),
    async (request, reply) => {
      const found = await signedInApp(request, reply);
      const old = await findAppToken(db, found.clientId, hashToken(accessTokenOf(request.body)));
      // The contract declares 422 alone for a token that cannot be reset.
      if (old === null) throw Errors.invalidRequest("The access token is not valid for this application.");
      const value = generateToken(old.type as TokenCredentialType);
      const made = await resetAppToken(db, old.id, { hash: hashToken(value), lastEight: lastEight(value) });
      if (made === null) throw Errors.invalidRequest("The access token is not valid for this application.");
      return presentAuthorization(request, found, {
        ...old,
        id: made.id,
        createdAt: made.createdAt,
        tokenHash: hashToken(value),
        lastEight: lastEight(value),
        value,
      });
    },
  );

  app.post<{ Params: { client_id: string } }>(
    "/applications/:client_id/token/scoped",
    routeConfig(
      "apps/scope-token",
      "create-a-scoped-access-token",
      "https://docs.github.com/enterprise-cloud@latest/rest/apps/apps",
    ),
    async (request, reply) => {
      const found = await signedInApp(request, reply);
      const scope = scopeRequestOf(request.body);
      const source = await findAppToken(db, found.clientId, hashToken(scope.accessToken));
      // "Invalid tokens will return 404 NOT FOUND."
      if (source === null) throw Errors.notFound();
      if (source.type !== "github_app_token" || source.resourceOwner !== null)
        throw Errors.invalidRequest("Only a user access token of a GitHub App that is not scoped can be scoped.");
      const target = await findScopeTarget(db, found.id, scope.target);
      if (target === null) throw Errors.invalidRequest("The GitHub App is not installed on the target.");
      const permissions = narrowedPermissions(source.permissions, scope.permissions);
      if (permissions === null) throw Errors.permissionsNotGranted();
      const value = generateToken("github_app_token");
      const made = await scopeAppToken(
        db,
        source.id,
        { organization: target.organization.login, permissions },
        { hash: hashToken(value), lastEight: lastEight(value) },
      );
      if (made === null) throw Errors.notFound();
      const base = apiBaseUrl(request);
      return {
        ...presentAuthorization(request, found, {
          ...source,
          id: made.id,
          createdAt: made.createdAt,
          tokenHash: hashToken(value),
          lastEight: lastEight(value),
          value,
        }),
        installation: {
          permissions,
          repository_selection: "all",
          single_file_name: null,
          has_multiple_single_files: false,
          single_file_paths: [],
          repositories_url: `${base}/installation/repositories`,
          account: {
            ...presentSimpleUser(base, config.webUrl, target.organization),
            type: "Organization",
          },
        },
      };
    },
  );

  for (const [path, operation, anchor, wholeGrant] of [
    ["/applications/:client_id/token", "apps/delete-token", "delete-an-app-token", false],
    ["/applications/:client_id/grant", "apps/delete-authorization", "delete-an-app-authorization", true],
  ] as const) {
    app.delete<{ Params: { client_id: string } }>(path, routeConfig(operation, anchor), async (request, reply) => {
      const found = await signedInApp(request, reply);
      // An unknown or dead token changes nothing, and says nothing of which it was.
      await destroyAppTokens(db, found.clientId, hashToken(accessTokenOf(request.body)), wholeGrant);
      return reply.code(204).send();
    });
  }
}
