// The console's session: a random id in an HttpOnly, SameSite=Strict cookie scoped to the console's
// path; the database keeps only its hash. The CSRF token is derived from the id (HMAC), so the
// server can check it without storing it, and a page reads it from GET /_credauth/console/session.
import { createHash, createHmac, randomBytes } from "node:crypto";
import type {} from "@fastify/cookie"; // FastifyInstance.parseCookie
import type { FastifyRequest } from "fastify";
import { findSession, type SessionKind } from "../../store/console-sessions.ts";
import type { Queryable } from "../../store/db.ts";

export const CONSOLE_PREFIX = "/_credauth/console";
export const SESSION_COOKIE = "credauth_console";
/** A signed-in session ends after this, whatever happens (and at once when its token stops working). */
export const SESSION_TTL_SECONDS = 8 * 60 * 60;
export const CSRF_HEADER = "x-csrf-token";

export interface ConsoleSession {
  kind: SessionKind;
  tokenHash: Uint8Array;
  csrf: string;
}

/**
 * The session cookie of a request, parsed only where the console needs it: cookie parsing on
 * every request cost the API's reads a few per cent for a header they never carry.
 */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : request.server.parseCookie(header)[SESSION_COOKIE];
}

export const newSessionId = () => randomBytes(32).toString("base64url");
export const sessionIdHash = (id: string) => createHash("sha256").update(id).digest();
export const csrfTokenOf = (id: string) => createHmac("sha256", id).update("credauth console csrf").digest("base64url");

/** The live session a cookie names, or null (no cookie, unknown, expired). */
export async function readSession(db: Queryable, cookie: string | undefined): Promise<ConsoleSession | null> {
  if (cookie === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null;
  const stored = await findSession(db, sessionIdHash(cookie));
  return stored ? { kind: stored.kind, tokenHash: stored.tokenHash, csrf: csrfTokenOf(cookie) } : null;
}
