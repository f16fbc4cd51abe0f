import type { FastifyInstance } from "fastify";
import type { PgBoss } from "pg-boss";
import type { Config } from "../config.ts";
import type { Db } from "../store/db.ts";

/** What route plugins need, handed to each explicitly. */
export interface Services {
  config: Readonly<Config>;
  db: Db;
  boss: PgBoss;
}

/**
 * Absolute base URL of this API, for Location, `url` fields and Link headers: `--public-url`, or
 * the address this server listens on. Never the request's Host header, which the caller chooses.
 */
export function apiBaseUrl(request: { server: FastifyInstance }): string {
  const { config } = request.server.services;
  if (config.publicUrl !== null) return config.publicUrl;
  const address = request.server.server.address();
  const port = address !== null && typeof address === "object" ? address.port : config.http.port;
  const host = config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host;
  return `http://${host}:${port}`;
}
