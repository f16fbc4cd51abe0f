// GET /openapi.json: a valid OpenAPI 3.0 document (checked by swagger-parser), describing exactly
// the routes the app registered, GitHub's operations as GitHub describes them, and credauth's own
// answers matching the schemas it publishes for them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { backends } from "../helpers/backends.ts";
import { validatorFor } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const ADMIN_TOKEN = "openapi-admin-token-0123456789abcdef01234";
const contract = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "contract", "ghec-subset.json"), "utf8"),
);

/** Fastify's `/orgs/:org/x` as OpenAPI's `/orgs/{org}/x`. */
const asOpenApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, "{$1}");

type Document = { paths: Record<string, Record<string, unknown>>; servers: { url: string }[]; info: { title: string } };

async function fetchDocument(t: TestApp, url = "/openapi.json"): Promise<Document> {
  const r = await t.app.inject({ method: "GET", url, headers: { "user-agent": undefined } });
  assert.equal(r.statusCode, 200, r.body);
  assert.match(String(r.headers["content-type"]), /^application\/json/);
  return r.json();
}

function describedOperations(document: Document): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

function registeredOperations(t: TestApp): string[] {
  return [...new Set(t.app.registeredRoutes.map((route) => `${route.method} ${asOpenApiPath(route.url)}`))].sort();
}

for (const backend of backends()) {
  describe(`GET /openapi.json on ${backend.name}`, () => {
    describe("with the admin API", () => {
      let t: TestApp;
      let document: Document;
      before(async () => {
        t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN });
        document = await fetchDocument(t);
      });
      after(() => t.close());

      it("is a valid OpenAPI 3.0 document", async () => {
        // swagger-parser resolves and checks every $ref and the whole document against the OpenAPI schema.
        const checked = await SwaggerParser.validate(structuredClone(document) as never);
        assert.equal((checked as { openapi: string }).openapi, "3.0.3");
        assert.equal(document.info.title, "credauth");
      });

      it("describes every route the app registered, and nothing it did not", () => {
        assert.deepEqual(describedOperations(document), registeredOperations(t));
        assert.ok(registeredOperations(t).includes("POST /_credauth/admin/users"), "the admin API is registered");
      });

      it("describes GitHub's operations exactly as GitHub's description does", () => {
        for (const [path, item] of Object.entries(contract.paths as Record<string, object>))
          assert.deepEqual(document.paths[path], item, path);
      });

      it("gives the dry runs GitHub's parameters and bodies", () => {
        const github = contract.paths["/orgs/{org}/credential-authorizations/revoke-credential-type"].post;
        const dryRun = document.paths["/_credauth/dry-run/orgs/{org}/credential-authorizations/revoke-credential-type"]!
          .post as { requestBody: unknown; parameters: unknown; responses: Record<string, unknown> };
        assert.deepEqual(dryRun.requestBody, github.requestBody);
        assert.deepEqual(dryRun.parameters, github.parameters);
        assert.ok(dryRun.responses["200"] && !dryRun.responses["202"]);
      });

      it("names the base the client came in by, under /api/v3 too", async () => {
        assert.match(document.servers[0]!.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        const ghes = await fetchDocument(t, "/api/v3/openapi.json");
        assert.match(ghes.servers[0]!.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
      });

      it("answers credauth's extensions as it describes them", async () => {
        const assertMatches = validatorFor(document);
        const get = (url: string, token: string) => t.app.inject({ method: "GET", url, headers: bearer(token) });
        const post = (url: string, token: string, payload?: object) =>
          t.app.inject({ method: "POST", url, headers: bearer(token), ...(payload ? { payload } : {}) });

        const preview = await post(
          "/_credauth/dry-run/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
          t.tokens.owenClassic,
          { revoke_credentials: true },
        );
        assertMatches(
          "POST",
          "/_credauth/dry-run/enterprises/{enterprise}/credential-authorizations/{username}/revoke",
          preview,
        );
        const refused = await post(
          "/_credauth/dry-run/orgs/classic-eng/credential-authorizations/revoke-all",
          t.tokens.annClassic,
        );
        assertMatches("POST", "/_credauth/dry-run/orgs/{org}/credential-authorizations/revoke-all", refused);
        assertMatches(
          "POST",
          "/_credauth/dry-run/credentials/revoke",
          await t.app.inject({
            method: "POST",
            url: "/_credauth/dry-run/credentials/revoke",
            payload: { credentials: ["ghp_notARealToken"] },
          }),
        );

        const accepted = await post(
          "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
          t.tokens.owenClassic,
        );
        const id = Number(/(\d+)$/.exec(String(accepted.headers.location))![1]);
        assertMatches(
          "GET",
          "/_credauth/revocations/{revocation_id}",
          await get(`/_credauth/revocations/${id}`, t.tokens.owenClassic),
        );
        await performRevocation(t.app.services.db, id, 100);
        const settled = await get(`/_credauth/revocations/${id}`, t.tokens.owenClassic);
        assert.equal(settled.json().state, "succeeded");
        assertMatches("GET", "/_credauth/revocations/{revocation_id}", settled);
        assertMatches("GET", "/_credauth/revocations", await get("/_credauth/revocations", t.tokens.owenClassic));
        assertMatches(
          "GET",
          "/_credauth/revocations/{revocation_id}",
          await get("/_credauth/revocations/999999", t.tokens.owenClassic),
        );

        const admin = (method: "POST" | "DELETE" | "PUT", url: string, payload?: object) =>
          t.app.inject({ method, url, headers: bearer(ADMIN_TOKEN), ...(payload ? { payload } : {}) });
        const created = await admin("POST", "/_credauth/admin/users", {
          login: "openapi_user",
          credentials: [{ type: "classic_pat", note: "described", scopes: ["read:org"] }],
        });
        assertMatches("POST", "/_credauth/admin/users", created);
        const credentialId = created.json().credentials[0].id as number;
        assertMatches(
          "POST",
          "/_credauth/admin/users/{login}/credentials",
          await admin("POST", "/_credauth/admin/users/openapi_user/credentials", {
            type: "classic_pat",
            note: "second",
          }),
        );
        assertMatches(
          "POST",
          "/_credauth/admin/credentials/{id}/authorizations",
          await admin("POST", `/_credauth/admin/credentials/${credentialId}/authorizations`, {
            organization: "classic-eng",
          }),
        );
        assertMatches(
          "DELETE",
          "/_credauth/admin/credentials/{id}",
          await admin("DELETE", `/_credauth/admin/credentials/${credentialId}`),
        );
        assertMatches("GET", "/healthz", await t.app.inject({ method: "GET", url: "/healthz" }));
        assertMatches("GET", "/healthz/live", await t.app.inject({ method: "GET", url: "/healthz/live" }));
      });
    });

    describe("without the admin API", () => {
      let t: TestApp;
      before(async () => (t = await startWorldApp(backend)));
      after(() => t.close());

      it("describes exactly the routes served: no admin API, no /metrics", async () => {
        const document = await fetchDocument(t);
        assert.deepEqual(describedOperations(document), registeredOperations(t));
        assert.ok(!describedOperations(document).some((operation) => operation.includes("/_credauth/admin/")));
        assert.equal(document.paths["/metrics"], undefined);
      });
    });
  });
}
