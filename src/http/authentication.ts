// Who is calling. `authenticate` turns an Authorization header into a value: anonymous, invalid
// or a principal; `authenticateApp` a GitHub App's JWT into the App or GitHub's refusal. Only the
// request hook turns a refusal into GitHub's 401.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { type JwtClaim, jwtSignedBy, looksLikeJwt, readJwtClaims } from "../domain/apps.ts";
import type { Clock } from "../domain/clock.ts";
import { factsOf } from "../domain/credential-types.ts";
import type { Principal } from "../domain/model.ts";
import {
  acceptedGitHubPermissions,
  acceptedOAuthScopes,
  OPERATIONS,
  type OperationAccess,
  type OperationId,
} from "../domain/operations.ts";
import { acceptsTokenKind } from "../domain/policies.ts";
import { hashToken, tokenTypeOf } from "../domain/tokens.ts";
import { type ApiError, Errors } from "../errors.ts";
import type { AppRecord } from "../store/apps.ts";
import type { PrincipalLookup } from "../store/principals.ts";
import { enforce } from "./authorization.ts";
import { type ConsoleSession, CSRF_HEADER, sessionCookie } from "./console/session.ts";
import type { RateLimits } from "./rate-limits.ts";
import type { PrefixedRequest } from "./urls.ts";

export type Authentication =
  | { kind: "anonymous" }
  | { kind: "invalid" }
  | { kind: "authenticated"; principal: Principal }
  /** A GitHub App's JWT, which only the request hook checks (authenticateApp). */
  | { kind: "app"; jwt: string };

/** The token in `Authorization: token X`, `Bearer X` or Basic `user:X`; null when there is none. */
export function tokenFromHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return "";
  const [, scheme, value] = match as unknown as [string, string, string];
  switch (scheme.toLowerCase()) {
    case "token":
    case "bearer":
      return value;
    case "basic": {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return colon === -1 ? "" : decoded.slice(colon + 1);
    }
    default:
      return "";
  }
}

export async function authenticate(
  findPrincipal: PrincipalLookup,
  header: string | undefined,
  now: Date,
): Promise<Authentication> {
  const token = tokenFromHeader(header);
  if (token === null) return { kind: "anonymous" };
  if (looksLikeJwt(token)) return { kind: "app", jwt: token };
  // A string that cannot be a GitHub token is not worth a database round trip.
  if (tokenTypeOf(token) === null) return { kind: "invalid" };
  return authenticateHash(findPrincipal, hashToken(token), now);
}

/** The principal of a token known by its hash (a console session's), through the fence, unexpired. */
export async function authenticateHash(
  findPrincipal: PrincipalLookup,
  tokenHash: Uint8Array,
  now: Date,
): Promise<Authentication> {
  const principal = await findPrincipal(tokenHash);
  if (principal === null) return { kind: "invalid" };
  const expiresAt = principal.credential.expiresAt;
  if (expiresAt !== null && expiresAt <= now) return { kind: "invalid" };
  return { kind: "authenticated", principal };
}

/** GitHub's answer to each refused JWT. */
const JWT_REFUSALS = {
  not_decodable: Errors.jwtNotDecodable,
  issuer_invalid: Errors.jwtIssuerInvalid,
  issued_at_invalid: Errors.jwtIssuedAtInvalid,
  expired: Errors.jwtExpired,
  too_far_in_future: Errors.jwtTooFarInFuture,
  unknown_app: Errors.integrationNotFound,
} as const;

export type AppLookup = (issuer: JwtClaim["issuer"]) => Promise<AppRecord | null>;

/**
 * The GitHub App a JWT signs in as, or GitHub's refusal: claims read and checked against the clock
 * first, then the issuer looked up, then the signature verified with the issuer's public key.
 */
export async function authenticateApp(
  findApp: AppLookup,
  jwt: string,
  nowMs: number,
): Promise<{ app: AppRecord } | { refusal: ApiError }> {
  const claims = readJwtClaims(jwt, nowMs);
  if (!claims.ok) return { refusal: JWT_REFUSALS[claims.refusal]() };
  const app = await findApp(claims.claim.issuer);
  if (app === null) return { refusal: JWT_REFUSALS.unknown_app() };
  if (!(await jwtSignedBy(jwt, app.publicKey))) return { refusal: JWT_REFUSALS.not_decodable() };
  return { app };
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
    /** The GitHub App signed in with its JWT (the /app endpoints); null otherwise. */
    appCaller: AppRecord | null;
    /** Through the console's prefix: its session (null when signed out); undefined otherwise. */
    consoleSession: ConsoleSession | null | undefined;
  }
  interface FastifyContextConfig {
    /** Which operation of domain/operations.ts the route serves: who may call it, and its X-Accepted-* headers. */
    operation?: OperationId;
    /** GitHub's documentation page for the route, used in error bodies. */
    documentationUrl?: string;
    /** Authenticated by the site-admin token (admin API), not by a GitHub token. */
    siteAdmin?: boolean;
    /** Authenticated by an App's client id and secret (Basic), which the route checks, not by a token. */
    clientCredentials?: boolean;
  }
}

/** The access rules of the operation the request's route serves (declared in its config). */
export function operationAccess(request: FastifyRequest): OperationAccess {
  const operation = request.routeOptions.config.operation;
  if (operation === undefined) throw new Error(`route ${request.routeOptions.url} declares no operation`);
  return OPERATIONS[operation];
}

/** The App signed in with its JWT, or GitHub's 401 for the routes that take nothing else. */
export function requireApp(request: FastifyRequest): AppRecord {
  if (request.appCaller === null) throw Errors.requiresAuthentication();
  return request.appCaller;
}

/** The caller, or GitHub's 401 for routes that need one. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === null) throw Errors.requiresAuthentication();
  return request.principal;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A request through the console's prefix is authenticated by the console's cookie and nothing
 * else (an Authorization header there is ignored), and a change needs the session's CSRF token.
 */
async function consoleAuthentication(request: FastifyRequest, options: CallerLookup): Promise<Authentication> {
  const session = await options.readSession(sessionCookie(request));
  request.consoleSession = session;
  if (session !== null && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== session.csrf)
    throw Errors.consoleCsrfRefused();
  if (session === null || session.kind !== "token") return { kind: "anonymous" };
  // A session whose token has since been revoked is refused like the token itself.
  return authenticateHash(options.findPrincipal, session.tokenHash, options.clock.now());
}

export type SessionReader = (cookie: string | undefined) => Promise<ConsoleSession | null>;

/** What finding a request's caller takes: the principal lookup, the console's sessions, the clock expiry is read by. */
export interface CallerLookup {
  findPrincipal: PrincipalLookup;
  readSession: SessionReader;
  clock: Clock;
}

/**
 * The request's caller as of now, for an answer that outlives its request's authentication (an
 * event stream): the console's session and its token, or the Authorization header's token, looked
 * up again through the fence. Null once the token was revoked, destroyed or expired, or the
 * session ended.
 */
export async function currentPrincipal(request: FastifyRequest, options: CallerLookup): Promise<Principal | null> {
  const result =
    request.consoleSession === undefined
      ? await authenticate(options.findPrincipal, request.headers.authorization, options.clock.now())
      : await consoleAuthentication(request, options);
  return result.kind === "authenticated" ? result.principal : null;
}

async function authenticationPlugin(
  app: FastifyInstance,
  options: CallerLookup & { rateLimits: RateLimits; findApp: AppLookup },
): Promise<void> {
  app.decorateRequest("principal", null);
  app.decorateRequest("appCaller", null);
  app.decorateRequest("consoleSession", undefined);
  app.addHook("onRequest", async (request, reply) => {
    const viaConsole = (request.raw as PrefixedRequest).viaConsole === true;
    // Whatever the route, a presented token first meets the guard against guessing: an address
    // that has failed too often is refused before anything is checked.
    if (!viaConsole && request.headers.authorization !== undefined)
      await options.rateLimits.refuseGuessing(request, reply);
    const consoleResult = viaConsole ? await consoleAuthentication(request, options) : null;
    // The admin routes check their own token; the /applications routes an App's client secret.
    if (request.routeOptions.config.siteAdmin || request.routeOptions.config.clientCredentials) return;
    const result =
      consoleResult ?? (await authenticate(options.findPrincipal, request.headers.authorization, options.clock.now()));
    if (result.kind === "app") return signInApp(request, reply, result.jwt);
    // A failed authentication counts against the client's address on every route, as GitHub's do.
    if (result.kind === "invalid") throw await options.rateLimits.failedAuthentication(request, reply);
    const principal = result.kind === "authenticated" ? result.principal : null;
    request.principal = principal;
    await options.rateLimits.admit(request, reply, principal ? { userId: principal.user.id } : { ip: request.ip });
    if (principal === null) return;
    // Every answer to a token tells what the route accepts, in the header of the token's own model.
    const operation = request.routeOptions.config.operation;
    const access = operation ? OPERATIONS[operation] : null;
    if (factsOf(principal.credential.type).limitedBy === "scopes") {
      reply.header("x-oauth-scopes", principal.credential.scopes.join(", "));
      reply.header("x-accepted-oauth-scopes", access ? acceptedOAuthScopes(access) : "");
    } else if (access) {
      reply.header("x-accepted-github-permissions", acceptedGitHubPermissions(access));
    }
    // A token kind the operation does not take is refused here, before the route reads anything.
    if (access) enforce(acceptsTokenKind(principal, access), principal);
  });

  /** A GitHub App's JWT: the App, on the routes that take one; anywhere else it is not accessible. */
  async function signInApp(request: FastifyRequest, reply: FastifyReply, jwt: string): Promise<void> {
    const result = await authenticateApp(options.findApp, jwt, options.clock.nowMs());
    if ("refusal" in result) throw await options.rateLimits.failedAuthentication(request, reply, result.refusal);
    await options.rateLimits.admit(request, reply, { userId: result.app.botUser.id });
    const operation = request.routeOptions.config.operation;
    if (operation === undefined) return;
    const access: OperationAccess = OPERATIONS[operation];
    reply.header("x-accepted-github-permissions", acceptedGitHubPermissions(access));
    if (!access.tokenKinds.includes("app"))
      throw Errors.integrationPermissionMissing(acceptedGitHubPermissions(access));
    request.appCaller = result.app;
  }
}

export default fp(authenticationPlugin, { name: "authentication", dependencies: ["github-conventions"] });
