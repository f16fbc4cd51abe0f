// ETag and If-None-Match on the GET endpoints, as GitHub answers them: a weak validator over the
// body; an If-None-Match naming it gets 304 with no body, and that 304 does not count against the
// caller's primary rate limit (GitHub documents the same). GitHub's endpoints also carry its cache
// headers: private to the token, varying with what selects the answer.
import { hash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { refundPrimary } from "./rate-limits.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Answer this GET with an ETag and honour If-None-Match: `github` with GitHub's cache headers, `extension` without. */
    conditional?: "github" | "extension";
  }
}

/** A weak entity tag over the body: 64 hex digits of its SHA-256, as GitHub's are. */
export function entityTag(body: string | Buffer): string {
  return `W/"${hash("sha256", body, "hex")}"`;
}

/** Does an If-None-Match header name this tag? Weak comparison; a list, or `*` for any. */
export function matchesIfNoneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  const opaque = (value: string) => value.trim().replace(/^W\//, "");
  const wanted = opaque(tag);
  return header.split(",").some((candidate) => candidate.trim() === "*" || opaque(candidate) === wanted);
}

/**
 * Small bodies hashed lately and their tags: the same read answered again (GET /user, an
 * organization) is not hashed again. At most 10,000 bodies of 8 KB: 80 MB at the very worst.
 */
const recentTags = new Map<string, string>();
const RECENT_TAGS = 10_000;
const RECENT_TAG_BODY_CHARACTERS = 8_192;

function tagOf(payload: string | Buffer): string {
  if (typeof payload !== "string" || payload.length > RECENT_TAG_BODY_CHARACTERS) return entityTag(payload);
  let tag = recentTags.get(payload);
  if (tag === undefined) {
    tag = entityTag(payload);
    if (recentTags.size >= RECENT_TAGS) recentTags.clear();
    recentTags.set(payload, tag);
  }
  return tag;
}

async function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const conditional = request.routeOptions.config?.conditional;
  if (!conditional || (request.method !== "GET" && request.method !== "HEAD") || reply.statusCode !== 200)
    return payload;
  if (typeof payload !== "string" && !Buffer.isBuffer(payload)) return payload;
  // A kept answer (exact-bodies.ts) comes with the tag of its body.
  const kept = reply.getHeader("etag");
  const tag = typeof kept === "string" ? kept : tagOf(payload);
  reply.header("etag", tag);
  if (conditional === "github") {
    reply.header("cache-control", "private, max-age=60, s-maxage=60");
    reply.header("vary", "Accept, Authorization, Cookie, X-GitHub-OTP");
  }
  if (!matchesIfNoneMatch(request.headers["if-none-match"], tag)) return payload;
  await refundPrimary(reply);
  reply.code(304);
  reply.removeHeader("content-type");
  reply.removeHeader("content-length");
  return "";
}

async function conditionalRequests(app: FastifyInstance): Promise<void> {
  app.addHook("onSend", onSend);
}

export default fp(conditionalRequests, { name: "conditional-requests" });
