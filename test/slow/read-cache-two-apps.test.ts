// The exact read cache across processes on PostgreSQL (store/cache-coherence.ts): two apps on one
// database, each with its own pool and its own listening connection, as two `serve` processes
// would have. What one answers from memory, the other's 202 empties before it is sent.
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { SignJWT } from "jose";
import type pg from "pg";
import { parseFixture } from "../../src/domain/fixture.ts";
import { hashToken } from "../../src/domain/tokens.ts";
import { buildApp } from "../../src/http/app.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { postgresBackend } from "../helpers/backends.ts";
import { bearer, databaseSession, startWorldApp, type TestApp } from "../helpers/world.ts";

const REVOKE_USER = "/enterprises/emu-corp/credential-authorizations/{username}/revoke";

describe("the read cache across two processes on postgres", {
  skip: postgresBackend === null ? "TEST_DATABASE_URL is not set" : false,
}, () => {
  let t: TestApp;
  let other: FastifyInstance;
  let session: pg.Client;
  before(async () => {
    t = await startWorldApp(postgresBackend!);
    other = await buildApp(t.app.services.config);
    session = await databaseSession(t);
  });
  after(async () => {
    await session?.end();
    await other?.close();
    await t?.close();
  });

  const getUser = (app: FastifyInstance, token: string) =>
    app.inject({ method: "GET", url: "/user", headers: bearer(token) }).then((r) => r.statusCode);

  /** A write the triggers do not announce: what a cache that never hears of it would keep answering. */
  const silently = async (sql: string, values: unknown[]) => {
    await session.query("begin");
    await session.query("set local session_replication_role = replica");
    await session.query(sql, values);
    await session.query("commit");
  };

  it("answers from memory: a write nobody announces is not seen, an announced one is", async () => {
    const token = t.tokens.tedClassic;
    assert.equal(await getUser(other, token), 200);
    await silently("update credentials set destroyed_at = clock_timestamp() where token_hash = $1", [hashToken(token)]);
    assert.equal(await getUser(other, token), 200, "the other process answers from its cache");
    // The same kind of write, announced (an ordinary statement), reaches it.
    await session.query("update users set login = login where false");
    for (let i = 0; i < 100 && (await getUser(other, token)) === 200; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await getUser(other, token), 401, "an announced write empties the other process's cache");
    await silently("update credentials set destroyed_at = null where token_hash = $1", [hashToken(token)]);
    await session.query("update users set login = login where false");
  });

  it("lets nothing in at the other process after one process's 202", async () => {
    const token = t.tokens.annClassic;
    // Warm the other process's cache, and keep it busy answering while the revocation is made.
    assert.equal(await getUser(other, token), 200);
    let hammering = true;
    const hammer = (async () => {
      while (hammering) {
        await getUser(other, token);
        // inject() answers a cached read without I/O: yield, as real sockets would.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const accepted = await t.app.inject({
      method: "POST",
      url: REVOKE_USER.replace("{username}", "ann_emu"),
      headers: bearer(t.tokens.owenClassic),
      payload: { revoke_credentials: true },
    });
    assert.equal(accepted.statusCode, 202);
    assert.equal(await getUser(other, token), 401, "the first request after the 202 is refused");
    hammering = false;
    await hammer;
  });

  it("holds the SSO check the same way (GET /orgs/{org})", async () => {
    const token = t.tokens.gwenClassic;
    const getOrg = () =>
      other.inject({ method: "GET", url: "/orgs/emu-eng", headers: bearer(token) }).then((r) => r.statusCode);
    assert.equal(await getOrg(), 200);
    assert.equal(await getOrg(), 200);
    const accepted = await t.app.inject({
      method: "POST",
      url: REVOKE_USER.replace("{username}", "gwen_emu"),
      headers: bearer(t.tokens.owenClassic),
    });
    assert.equal(accepted.statusCode, 202);
    assert.equal(await getOrg(), 403, "the SSO authorization is gone at the other process too");
  });

  it("waits for a process whose listening connection dropped to join again, and lets nothing in", async () => {
    const token = t.tokens.melClassic;
    assert.equal(await getUser(other, token), 200);
    const ended = await session.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'credauth-cache' and datname = current_database()",
    );
    assert.equal(ended.rowCount, 2, "both processes' listening connections");
    const revoked = await t.app.inject({
      method: "POST",
      url: REVOKE_USER.replace("{username}", "mel_emu"),
      headers: bearer(t.tokens.owenClassic),
      payload: { revoke_credentials: true },
    });
    assert.equal(revoked.statusCode, 202, revoked.body);
    assert.equal(await getUser(other, token), 401);
    // Both joined again: the cache is back in use at the other process.
    for (let i = 0; i < 200 && other.services.db.writeEpoch() === null; i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.notEqual(other.services.db.writeEpoch(), null, "the other process joined again");
  });

  it("refuses an installation token at the other process from the answer that destroyed it", async () => {
    const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const app = {
      slug: "two-process-app",
      owner: "emu-corp",
      id: 5005,
      private_key: privateKey,
      permissions: { organization_administration: "write" },
      installations: [{ account: "emu-eng" }],
    };
    await applyFixture(t.app.services.db, parseFixture(JSON.stringify({ apps: [app] }), "app.json"));
    const now = Math.floor(t.app.services.clock.nowMs() / 1000);
    const jwt = await new SignJWT({ iss: "5005", iat: now - 30, exp: now + 540 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(createPrivateKey(privateKey));
    const asApp = (method: "GET" | "POST" | "PUT", url: string) => t.app.inject({ method, url, headers: bearer(jwt) });
    const { id } = (await asApp("GET", "/orgs/emu-eng/installation")).json();
    const mint = async () => (await asApp("POST", `/app/installations/${id}/access_tokens`)).json().token as string;
    const list = (instance: FastifyInstance, token: string) =>
      instance
        .inject({ method: "GET", url: "/orgs/emu-eng/credential-authorizations", headers: bearer(token) })
        .then((r) => r.statusCode);

    const own = await mint();
    assert.equal(await list(other, own), 200, "the other process knows the token (and caches it)");
    const revoked = await t.app.inject({ method: "DELETE", url: "/installation/token", headers: bearer(own) });
    assert.equal(revoked.statusCode, 204);
    assert.equal(await list(other, own), 401, "refused at the other process from the 204 on");

    const beforeSuspension = await mint();
    assert.equal(await list(other, beforeSuspension), 200);
    assert.equal((await asApp("PUT", `/app/installations/${id}/suspended`)).statusCode, 204);
    assert.equal(await list(other, beforeSuspension), 401, "suspension kills it at the other process too");
  });
});
