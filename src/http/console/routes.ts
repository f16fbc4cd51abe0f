// The web console under /_credauth/console/: its page and assets (console/ at the package root,
// plain HTML, CSS and JavaScript: nothing to build), and its session — a token exchanged for a
// cookie. The page talks to the API through /_credauth/console/api/…, where every route answers
// under the cookie, with the same rules as for the token itself (authentication.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hashToken, tokenHashesEqual, tokenTypeOf } from "../../domain/tokens.ts";
import { Errors } from "../../errors.ts";
import { deleteSession, insertSession } from "../../store/console-sessions.ts";
import { authenticateHash } from "../authentication.ts";
import type { Services } from "../services.ts";
import { CONSOLE_ASSETS, CONSOLE_PAGE } from "./assets.ts";
import {
  CONSOLE_PREFIX,
  CSRF_HEADER,
  csrfTokenOf,
  newSessionId,
  readSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  sessionCookie,
  sessionIdHash,
} from "./session.ts";

/** Everything the page loads comes from credauth; nothing may frame it or post it elsewhere. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** Not GitHub's API: no GitHub rate limit on the page, its assets or looking at the session. */
const config = { rateLimitResource: "none", conditional: "extension" } as const;

export default async function consoleRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { db } = services;
  const secure = services.config.tls !== null || (services.config.publicUrl ?? "").startsWith("https:");
  const adminTokenHash = services.config.adminToken === null ? null : hashToken(services.config.adminToken);

  app.get(CONSOLE_PREFIX, { config }, (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 302));
  app.get<{ Params: { asset: string } }>(`${CONSOLE_PREFIX}/:asset`, { config }, (request, reply) => {
    const asset = CONSOLE_ASSETS.get(request.params.asset);
    if (asset === undefined) throw Errors.notFound();
    return reply.headers(SECURITY_HEADERS).type(asset.type).send(asset.body);
  });
  app.get(`${CONSOLE_PREFIX}/`, { config }, (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type(CONSOLE_PAGE.type).send(CONSOLE_PAGE.body),
  );

  const cookieOptions = { path: CONSOLE_PREFIX, httpOnly: true, sameSite: "strict", secure } as const;

  /** Who is signed in, and the CSRF token the page sends with every change. */
  async function describe(sessionId: string) {
    const session = await readSession(db, sessionId);
    if (session?.kind === "admin") {
      // An admin session lasts as long as configuration holds the token it signed in with.
      if (adminTokenHash === null || !tokenHashesEqual(session.tokenHash, adminTokenHash))
        throw Errors.badCredentials();
      return { kind: "admin", login: null, csrf: session.csrf };
    }
    const signedIn = session
      ? await authenticateHash(services.reads.principal, session.tokenHash, services.clock.now())
      : null;
    if (signedIn?.kind !== "authenticated") throw Errors.badCredentials();
    return { kind: "token", login: signedIn.principal.user.login, csrf: csrfTokenOf(sessionId) };
  }

  // Sign in: the token (or the site-admin token) in the body, never in a URL; a wrong one counts
  // against the address's limit, as a wrong token on the API does.
  app.post(`${CONSOLE_PREFIX}/session`, { config: { rateLimitResource: "none" } }, async (request, reply) => {
    if (!fromConsolePage(request)) throw Errors.consoleSignInRefused();
    const body = request.body as { token?: unknown } | undefined;
    const token = typeof body?.token === "string" ? body.token.trim() : "";
    await services.rateLimits.refuseGuessing(request, reply);
    const tokenHash = hashToken(token);
    const admin = adminTokenHash !== null && tokenHashesEqual(tokenHash, adminTokenHash);
    if (!admin) {
      const signedIn =
        tokenTypeOf(token) === null
          ? null
          : await authenticateHash(services.reads.principal, tokenHash, services.clock.now());
      if (signedIn?.kind !== "authenticated") throw await services.rateLimits.failedAuthentication(request, reply);
    }
    const sessionId = newSessionId();
    await insertSession(db, sessionIdHash(sessionId), {
      kind: admin ? "admin" : "token",
      tokenHash,
      ttlSeconds: SESSION_TTL_SECONDS,
    });
    reply.setCookie(SESSION_COOKIE, sessionId, { ...cookieOptions, maxAge: SESSION_TTL_SECONDS });
    return reply.code(201).send(await describe(sessionId));
  });

  app.get(`${CONSOLE_PREFIX}/session`, { config: { rateLimitResource: "none" } }, async (request, reply) => {
    const sessionId = sessionCookie(request);
    const session = await readSession(db, sessionId);
    if (!session || sessionId === undefined) throw Errors.requiresAuthentication();
    return reply.header("cache-control", "no-store").send(await describe(sessionId));
  });

  // Sign out: the session is gone from the database, and the cookie from the browser.
  app.delete(`${CONSOLE_PREFIX}/session`, { config: { rateLimitResource: "none" } }, async (request, reply) => {
    const sessionId = sessionCookie(request);
    const session = await readSession(db, sessionId);
    if (session && request.headers[CSRF_HEADER] !== session.csrf) throw Errors.consoleCsrfRefused();
    if (sessionId !== undefined) await deleteSession(db, sessionIdHash(sessionId));
    return signOut(reply);
  });

  /**
   * A sign-in comes from the console's own page: JSON (which a page on another site cannot send
   * without a preflight credauth never grants), and no browser header saying another site sent
   * it. Otherwise a hostile page could sign a visitor in under the attacker's token (login CSRF).
   */
  function fromConsolePage(request: FastifyRequest): boolean {
    const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/json") return false;
    const site = request.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin") return false;
    const origin = request.headers.origin;
    if (origin === undefined) return true; // not a browser's cross-site request: it always sends one
    try {
      const from = new URL(origin);
      // The page's origin names the server it was loaded from: credauth's public URL, or the Host
      // the browser sent this request to (as a URL, so a default port compares equal to none).
      const own = services.config.publicUrl ?? `${from.protocol}//${request.headers.host ?? ""}`;
      return from.host === new URL(own).host;
    } catch {
      return false;
    }
  }

  function signOut(reply: FastifyReply) {
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return reply.code(204).send();
  }
}
