// The read baseline: a bare Fastify route in its own process, answering what GET /user answers on
// the wire — a body of the same size and GitHub's same response headers, with fixed values — so the
// load generator parses the same bytes from both and the difference is credauth's own work.
//
// With --data DIR or --database-url URL it is the read *floor* instead: the same route, which first
// looks the caller's token up with credauth's authentication query. That is the least any design
// that asks the database once per request can do.
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { hashToken } from "../src/domain/tokens.ts";
import { tokenFromHeader } from "../src/http/authentication.ts";
import type { Db } from "../src/store/db.ts";
import { openPglite } from "../src/store/pglite.ts";
import { openPostgres } from "../src/store/postgres.ts";
import { findPrincipalByTokenHash } from "../src/store/principals.ts";

const { values: flags } = parseArgs({ options: { data: { type: "string" }, "database-url": { type: "string" } } });
const db: Db | null = flags["database-url"]
  ? openPostgres(flags["database-url"])
  : flags.data
    ? await openPglite(flags.data)
    : null;

const body = JSON.stringify({
  login: "bench_user_1",
  id: 1,
  type: "User",
  site_admin: false,
  padding: "x".repeat(1270),
});
const headers = {
  "x-github-request-id": "0000:0000:000000:000000:00000000",
  "x-github-media-type": "github.v3; format=json",
  "x-github-api-version-selected": "2022-11-28",
  "x-ratelimit-limit": "5000",
  "x-ratelimit-remaining": "4999",
  "x-ratelimit-reset": "1795492112",
  "x-ratelimit-used": "1",
  "x-ratelimit-resource": "core",
  "x-oauth-scopes": "repo, read:org",
  "x-accepted-oauth-scopes": "",
  "content-type": "application/json; charset=utf-8",
};
const app = Fastify({ logger: false });
app.get("/user", async (request, reply) => {
  if (db) {
    const token = tokenFromHeader(request.headers.authorization);
    if (!token || (await findPrincipalByTokenHash(db, hashToken(token))) === null)
      return reply.code(401).send({ message: "Bad credentials" });
  }
  return reply.headers(headers).send(body);
});
const address = await app.listen({ port: 0, host: "127.0.0.1" });
console.log(`bare listening on ${address}`);
process.on(
  "SIGTERM",
  () =>
    void app.close().then(async () => {
      await db?.close();
      process.exit(0);
    }),
);
