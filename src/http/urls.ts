// The URLs credauth hands out: its base, and the paths of what it adds beside GitHub's API.
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";

/**
 * GitHub Enterprise Server serves its REST API under this path, and clients in enterprise mode
 * (gh with GH_HOST, PyGithub and go-github with a base URL, Octokit with a GHES baseUrl) add it.
 */
export const GHES_API_PREFIX = "/api/v3";

/** The console's way in to the API: every route answers under it, authenticated by the console's cookie. */
export const CONSOLE_API_PREFIX = "/_credauth/console/api";

export type PrefixedRequest = IncomingMessage & { apiPrefix?: string; viaConsole?: boolean };

/**
 * Fastify's rewriteUrl: every route answers at the root, under `/api/v3` and under the console's
 * prefix. A request that came through a prefix is routed without it, and the prefix is kept for
 * the URLs handed back; one through the console's is marked, for authentication by its cookie.
 */
export function routeWithoutApiPrefix(raw: PrefixedRequest): string {
  const url = raw.url ?? "/";
  for (const prefix of [GHES_API_PREFIX, CONSOLE_API_PREFIX]) {
    const rest = url.slice(prefix.length);
    if (!url.startsWith(prefix) || !(rest === "" || rest.startsWith("/") || rest.startsWith("?"))) continue;
    raw.apiPrefix = prefix;
    raw.viaConsole = prefix === CONSOLE_API_PREFIX;
    return rest.startsWith("/") ? rest : `/${rest}`;
  }
  return url;
}

/** Everything credauth adds to GitHub's API lives under this one prefix (docs/decisions.md, decision 9). */
export const EXTENSION_PREFIX = "/_credauth";
export const DRY_RUN_PREFIX = `${EXTENSION_PREFIX}/dry-run`;
export const ADMIN_PREFIX = `${EXTENSION_PREFIX}/admin`;

/**
 * Absolute base URL of this API, for Location, `url` fields and Link headers: `--public-url`, or
 * the address this server listens on — then `/api/v3` when the request came through it. Never the
 * request's Host header, which the caller chooses.
 */
export function apiBaseUrl(request: { server: FastifyInstance; raw?: PrefixedRequest }): string {
  return `${serverBaseUrl(request.server)}${request.raw?.apiPrefix ?? ""}`;
}

function serverBaseUrl(server: FastifyInstance): string {
  const { config } = server.services;
  if (config.publicUrl !== null) return config.publicUrl;
  const known = listeningBase.get(server.server);
  if (known !== undefined) return known;
  const address = server.server.address();
  const port = address !== null && typeof address === "object" ? address.port : config.http.port;
  const host = config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host;
  const base = `${config.tls ? "https" : "http"}://${host}:${port}`;
  // Once listening, the address no longer changes: ask the socket once, not on every request.
  if (address !== null) listeningBase.set(server.server, base);
  return base;
}

const listeningBase = new WeakMap<object, string>();

/** The job resource of revocation `id` (the Location of its 202). */
export function revocationUrl(request: { server: FastifyInstance; raw?: PrefixedRequest }, id: number): string {
  return `${apiBaseUrl(request)}${EXTENSION_PREFIX}/revocations/${id}`;
}
