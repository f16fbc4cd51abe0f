// The site admin's token (from configuration), checked for the admin API and for /metrics: compared
// by hash in constant time, a missing one answered as GitHub answers a missing token. Through the
// console, a session signed in with that token stands for it.
import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { hashToken, tokenHashesEqual } from "../domain/tokens.ts";
import { Errors } from "../errors.ts";
import { tokenFromHeader } from "./authentication.ts";
import type { RateLimits } from "./rate-limits.ts";

/** A wrong admin token is a failed authentication like any other: it counts against the address. */
export function siteAdminGuard(
  adminToken: string,
  rateLimits: RateLimits,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const adminTokenHash = createHash("sha256").update(adminToken).digest();
  return async (request, reply) => {
    // Through the console: its session, signed in with the admin token configured now, and nothing else.
    if (request.consoleSession !== undefined) {
      const session = request.consoleSession;
      if (session?.kind === "admin" && tokenHashesEqual(session.tokenHash, adminTokenHash)) return;
      throw Errors.requiresAuthentication();
    }
    const token = tokenFromHeader(request.headers.authorization);
    if (token === null) throw Errors.requiresAuthentication();
    if (!tokenHashesEqual(hashToken(token), adminTokenHash))
      throw await rateLimits.failedAuthentication(request, reply);
  };
}
