// The URLs credauth hands out: its base, and the paths of what it adds beside GitHub's API.
import type { FastifyInstance } from "fastify";

/** Everything credauth adds to GitHub's API lives under this one prefix (docs/decisions.md, decision 9). */
export const EXTENSION_PREFIX = "/_credauth";
export const DRY_RUN_PREFIX = `${EXTENSION_PREFIX}/dry-run`;
export const ADMIN_PREFIX = `${EXTENSION_PREFIX}/admin`;

/**
 * Absolute base URL of this API, for Location, `url` fields and Link headers: `--public-url`, or
 * the address this server listens on. Never the request's Host header, which the caller chooses.
 */
export function apiBaseUrl(request: { server: FastifyInstance }): string {
  const { config } = request.server.services;
  if (config.publicUrl !== null) return config.publicUrl;
  const known = listeningBase.get(request.server.server);
  if (known !== undefined) return known;
  const address = request.server.server.address();
  const port = address !== null && typeof address === "object" ? address.port : config.http.port;
  const host = config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host;
  const base = `http://${host}:${port}`;
  // Once listening, the address no longer changes: ask the socket once, not on every request.
  if (address !== null) listeningBase.set(request.server.server, base);
  return base;
}

const listeningBase = new WeakMap<object, string>();

/** The job resource of revocation `id` (the Location of its 202). */
export function revocationUrl(request: { server: FastifyInstance }, id: number): string {
  return `${apiBaseUrl(request)}${EXTENSION_PREFIX}/revocations/${id}`;
}
