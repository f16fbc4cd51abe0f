// Names a JavaScript object carries on its prototype (`__proto__`, `constructor`, …), put wherever a
// client can put a name: every path segment of every route (also under GitHub Enterprise Server's
// /api/v3 and the console's prefix), query keys, body keys and fixture names. A lookup that reads an
// object's prototype instead of its own keys answers 500; each of these must be answered below 500,
// in GitHub's shape, and change nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { parseFixture } from "../../src/domain/fixture.ts";
import { pgliteBackend } from "../helpers/backends.ts";
import { PROTOTYPE_NAMES } from "../helpers/hostile.ts";
import { bearer, startWorldApp, type Tokens, worldDigest } from "../helpers/world.ts";

const ADMIN_TOKEN = "prototype-admin-token-0123456789abcdef01234";

describe("prototype names anywhere a client puts a name", () => {
  let app: FastifyInstance;
  let tokens: Tokens;
  let close: () => Promise<void>;
  before(async () => {
    ({ app, tokens, close } = await startWorldApp(pgliteBackend, { adminToken: ADMIN_TOKEN }));
  });
  after(() => close());

  const authorizationFor = (path: string) =>
    path.startsWith("/_credauth/admin") ? bearer(ADMIN_TOKEN) : bearer(tokens.owenClassic);

  it("in every path segment of every route, under every prefix, answers below 500 and changes nothing", async () => {
    const before = await worldDigest(app.services.db);
    const failures: string[] = [];
    let asked = 0;
    for (const { method, url } of app.registeredRoutes) {
      const names = [...url.matchAll(/:(\w+)|\*/g)];
      const templates = names.length === 0 ? [url] : [];
      for (const name of PROTOTYPE_NAMES) templates.push(url.replace(/:(\w+)|\*/g, name)); // every parameter at once
      // A route without parameters still meets the names as a segment after its own.
      for (const name of PROTOTYPE_NAMES) templates.push(`${url.replace(/\/$/, "")}/${name}`);
      for (const path of templates)
        for (const prefix of ["", "/api/v3", "/_credauth/console/api"]) {
          const response = await app.inject({
            method: method as "GET",
            url: `${prefix}${path}`,
            headers: { ...authorizationFor(path), "content-type": "application/json" },
            ...(method === "GET" || method === "HEAD" ? {} : { payload: "{}" }),
          });
          asked++;
          if (response.statusCode >= 500) failures.push(`${method} ${prefix}${path} → ${response.statusCode}`);
          else if (response.statusCode >= 400 && method !== "HEAD" && response.statusCode !== 400) {
            const body = response.json() as { message?: unknown; status?: unknown };
            if (typeof body.message !== "string" || body.status !== String(response.statusCode))
              failures.push(`${method} ${prefix}${path} → ${response.statusCode} not in GitHub's shape`);
          }
        }
    }
    assert.ok(asked > 300, `only ${asked} requests`);
    assert.deepEqual(failures, []);
    assert.equal(await worldDigest(app.services.db), before);
  });

  it("as query keys and body keys, answers below 500", async () => {
    const failures: string[] = [];
    for (const { method, url } of app.registeredRoutes) {
      if (url.includes(":")) continue;
      for (const name of PROTOTYPE_NAMES) {
        const response = await app.inject({
          method: method as "GET",
          url: `${url}?${encodeURIComponent(name)}=1&${encodeURIComponent(name)}[x]=2`,
          headers: { ...authorizationFor(url), "content-type": "application/json" },
          ...(method === "GET" || method === "HEAD" ? {} : { payload: `{"${name}": {"a": 1}, "a": {"${name}": 1}}` }),
        });
        if (response.statusCode >= 500) failures.push(`${method} ${url} with ${name} → ${response.statusCode}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it("as names in a fixture, reports them as fixture problems", () => {
    for (const name of PROTOTYPE_NAMES) {
      const fixture = {
        enterprises: [{ slug: "e", organizations: [{ login: "o" }] }],
        users: [
          {
            login: "u",
            credentials: [{ type: "fine_grained_pat", permissions: { [name]: "write" }, authorized_orgs: ["o"] }],
          },
        ],
      };
      assert.throws(
        () => parseFixture(JSON.stringify(fixture), "f.json"),
        (error: Error) => error.name !== "TypeError" && error.message.includes(name),
        name,
      );
    }
  });
});
