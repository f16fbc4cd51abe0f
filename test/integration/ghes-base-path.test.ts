// Served under GitHub Enterprise Server's /api/v3 as at the root: the same answers, and every URL
// handed back (url fields, Location, Link) under the base the client used.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pgliteBackend } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

describe("the GitHub Enterprise Server base path", () => {
  let t: TestApp;
  before(async () => (t = await startWorldApp(pgliteBackend)));
  after(() => t.close());
  const get = (url: string, token: string) => t.app.inject({ method: "GET", url, headers: bearer(token) });

  it("answers /api/v3/user as /user, with its url under /api/v3", async () => {
    const root = await get("/user", t.tokens.cleoClassic);
    const ghes = await get("/api/v3/user", t.tokens.cleoClassic);
    assert.equal(ghes.statusCode, 200);
    assertMatchesContract("GET", "/user", ghes);
    assert.equal(ghes.json().login, root.json().login);
    assert.equal(ghes.json().url, root.json().url.replace("/users/", "/api/v3/users/"));
  });

  it("pages the organization list and the audit log with Links under /api/v3", async () => {
    for (const path of [
      "/orgs/classic-eng/credential-authorizations?per_page=1",
      "/orgs/classic-eng/audit-log?per_page=1",
    ]) {
      const response = await get(`/api/v3${path}`, t.tokens.cleoClassic);
      assert.equal(response.statusCode, 200, response.body);
      const links = [...String(response.headers.link).matchAll(/<([^>]+)>/g)].map((m) => new URL(m[1]!).pathname);
      assert.ok(links.length > 0, `${path} has a Link header`);
      for (const link of links) assert.ok(link.startsWith("/api/v3/orgs/classic-eng/"), link);
    }
  });

  it("hands back the job's Location under /api/v3, where it answers", async () => {
    const accepted = await t.app.inject({
      method: "POST",
      url: "/api/v3/orgs/classic-eng/credential-authorizations/pat/revoke",
      headers: bearer(t.tokens.cleoClassic),
    });
    assert.equal(accepted.statusCode, 202, accepted.body);
    const location = new URL(String(accepted.headers.location));
    assert.match(location.pathname, /^\/api\/v3\/_credauth\/revocations\/\d+$/);
    assert.equal((await get(location.pathname, t.tokens.cleoClassic)).statusCode, 200);
  });

  it("serves nothing under look-alike prefixes", async () => {
    assert.equal((await get("/api/v3x/user", t.tokens.cleoClassic)).statusCode, 404);
    assert.equal((await get("/api/v4/user", t.tokens.cleoClassic)).statusCode, 404);
  });
});
