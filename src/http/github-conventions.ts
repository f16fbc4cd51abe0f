// What every GitHub REST response carries, whatever the route: request id, media type, API
// version selection, rate-limit headers and the JSON body parser with GitHub's errors.
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { UserAgentMode } from "../config.ts";
import type { Clock } from "../domain/clock.ts";
import { Errors, SUPPORTED_API_VERSIONS } from "../errors.ts";

export const DEFAULT_API_VERSION = "2022-11-28";

/** This process's part of every request id: random, drawn once. */
const PROCESS_PART = (() => {
  const hex = randomBytes(4).toString("hex").toUpperCase();
  return `${hex.slice(0, 4)}:${hex.slice(4, 8)}`;
})();
/** Then a counter from a random start: unique within the process, no randomness per request. */
let sequence = randomBytes(6).readUIntBE(0, 6);
const SEQUENCE_LIMIT = 2 ** 48;

/**
 * Five colon-separated upper-case hex fields, as GitHub's; the last is the request's Unix time in
 * hex. Drawing random bytes per request was the largest single cost of an authenticated read
 * (docs/performance.md), and an id needs to be unique, not secret.
 */
// real time: an id is unique, not a rule a moved clock should change.
export function newRequestId(now = Date.now()): string {
  sequence = (sequence + 1) % SEQUENCE_LIMIT;
  const counter = sequence.toString(16).toUpperCase().padStart(12, "0");
  return `${PROCESS_PART}:${counter.slice(0, 6)}:${counter.slice(6)}:${Math.floor(now / 1000)
    .toString(16)
    .toUpperCase()}`;
}

/** `Accept: application/vnd.github.v3.raw+json` → `github.v3; param=raw; format=json`. */
export function mediaTypeFor(accept: string | undefined): string {
  const match =
    /application\/vnd\.github(?:\.(v3|[a-z0-9-]+))?(?:\.([a-z0-9-]+))?(?:\+(json|raw|text|html|full|diff|patch))?/i.exec(
      accept ?? "",
    );
  if (!match) return "github.v3; format=json";
  let version = "v3";
  let param = match[2];
  if (match[1] && match[1].toLowerCase() !== "v3") {
    if (match[2] === undefined) param = match[1];
    else version = match[1];
  }
  const format = match[3] ?? "json";
  return `github.${version}${param ? `; param=${param}` : ""}; format=${format}`;
}

/** Ruby's JSON parser stops at 100 levels of nesting; GitHub answers deeper bodies as unparsable. */
export const MAX_JSON_NESTING = 100;

/** True when arrays and objects in `text` nest deeper than `limit` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

function parseJsonBody(
  _request: FastifyRequest,
  body: string,
  done: (err: Error | null, body?: unknown) => void,
): void {
  if (body.trim() === "") done(null, undefined);
  else if (nestsDeeperThan(body, MAX_JSON_NESTING)) done(Errors.problemsParsingJson());
  else {
    try {
      done(null, JSON.parse(body));
    } catch {
      done(Errors.problemsParsingJson());
    }
  }
}

/** Paths that are credauth's own operational endpoints, not GitHub's API: no GitHub edge rules apply. */
const OPERATIONAL_PATHS = /^\/(?:healthz|metrics|openapi\.json)(?:\/|$|\?)/;

async function githubConventions(
  app: FastifyInstance,
  options: { userAgent: UserAgentMode; clock: Clock },
): Promise<void> {
  // GitHub reads the body as JSON whatever Content-Type says (curl -d sends form encoding).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, parseJsonBody);

  // A callback hook, not an async one: it never waits, and every request runs it.
  app.addHook("onRequest", (request, reply, done) => {
    try {
      checkRequest(request, reply);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });

  function checkRequest(request: FastifyRequest, reply: FastifyReply): void {
    reply.header("x-github-request-id", request.id);
    // The Date header tells credauth's clock, as clients that correct for skew read it
    // (@octokit/auth-app signs its next JWT by it after a time refusal).
    reply.header("date", options.clock.now().toUTCString());
    // GitHub's edge refuses a request without User-Agent before anything else (not counted either).
    if (options.userAgent === "required" && !request.headers["user-agent"] && !OPERATIONAL_PATHS.test(request.url)) {
      reply.rateLimitCounted = true;
      throw Errors.userAgentRequired();
    }
    reply.header("x-github-media-type", mediaTypeFor(request.headers.accept));
    const requested = request.headers["x-github-api-version"];
    const version = Array.isArray(requested) ? requested[0] : requested;
    if (version !== undefined && !(SUPPORTED_API_VERSIONS as readonly string[]).includes(version)) {
      throw Errors.unsupportedApiVersion(version);
    }
    reply.header("x-github-api-version-selected", version ?? DEFAULT_API_VERSION);
    // PostgreSQL text cannot hold NUL: a path segment with one names nothing, so it is not found
    // (rather than reaching the database and failing there).
    for (const value of Object.values((request.params ?? {}) as Record<string, unknown>)) {
      if (typeof value === "string" && value.includes("\u0000")) throw Errors.notFound();
    }
    // A parameter given twice counts once, the last value winning (as GitHub's Rails does), so
    // every handler sees strings; a NUL is refused before it reaches the database.
    const query = (request.query ?? {}) as Record<string, unknown>;
    for (const [name, raw] of Object.entries(query)) {
      const value = Array.isArray(raw) ? raw.at(-1) : raw;
      if (typeof value === "string" && value.includes("\u0000")) {
        throw Errors.invalidRequest(
          `For 'properties/${name.replaceAll("\u0000", "")}', the value contains a NUL character.`,
        );
      }
      query[name] = value;
    }
  }
}

export default fp(githubConventions, { name: "github-conventions" });
