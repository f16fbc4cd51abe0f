// A client can never cause a 500, and no token ever reaches a log line.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "../../src/config.ts";
import { parseFixture } from "../../src/domain/fixture.ts";
import { buildApp } from "../../src/http/app.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { makeTokens, worldFixture, type Tokens } from "../helpers/world.ts";
import type { FastifyInstance } from "fastify";

describe("hostile input", () => {
  let app: FastifyInstance;
  let tokens: Tokens;
  const logLines: string[] = [];

  before(async () => {
    const config = parseConfig({ data: ":memory:", logLevel: "trace", worker: true }, {});
    app = await buildApp(config, { logStream: { write: (line: string) => void logLines.push(line) } });
    tokens = makeTokens();
    await applyFixture(app.services.db, parseFixture(JSON.stringify(worldFixture(tokens)), "world.json"));
  });
  after(() => app.close());

  const paths = [
    "/enterprises/emu-corp/credential-authorizations/revoke-all",
    "/enterprises/emu-corp/credential-authorizations/revoke-credential-type",
    "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke",
    "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke-credential-type",
  ];
  const hostileSegments = ["%00", "%E0%A4%A", "a".repeat(5000), "%F0%9F%92%A9", "..%2F..", "'; drop table users; --", "%20", "ann_emu%00x"];
  const hostileBodies = [
    "",
    "null",
    "[]",
    '"string"',
    "1e400",
    '{"revoke_credentials": null}',
    '{"revoke_credentials": {"nested": true}}',
    '{"credential_type": ["classic_pat"]}',
    '{"credential_type": "classic_pat\\u0000"}',
    '{"__proto__": {"revoke_credentials": true}}',
    "{".repeat(10000),
    JSON.stringify({ revoke_credentials: false, extra: "x".repeat(500_000) }),
  ];
  const hostileAuthorizations = ["", "token", "token ", "Bearer a b c", "Basic !!!", `Basic ${Buffer.from("x").toString("base64")}`, `token ghp_${"A".repeat(36)}\u0000`, "token " + "g".repeat(100_000)];

  it("answers every hostile request with a 4xx in GitHub's shape", async () => {
    const requests: { method: "GET" | "POST"; url: string; payload?: string; headers: Record<string, string> }[] = [];
    for (const path of paths) {
      for (const payload of hostileBodies) requests.push({ method: "POST", url: path, payload, headers: { authorization: `Bearer ${tokens.owenClassic}` } });
      for (const authorization of hostileAuthorizations) requests.push({ method: "POST", url: path, headers: { authorization } });
      for (const segment of hostileSegments) {
        requests.push({ method: "POST", url: path.replace("emu-corp", segment), headers: { authorization: `Bearer ${tokens.owenClassic}` } });
        requests.push({ method: "POST", url: path.replace("ann_emu", segment), headers: { authorization: `Bearer ${tokens.owenClassic}` } });
      }
      requests.push({ method: "POST", url: path, headers: { authorization: `Bearer ${tokens.owenClassic}`, "x-github-api-version": "\u00ff" } });
      requests.push({ method: "POST", url: path, payload: "{}", headers: { authorization: `Bearer ${tokens.owenClassic}`, "content-type": "text/plain; charset=nonsense" } });
    }
    for (const segment of hostileSegments) {
      requests.push({ method: "GET", url: `/orgs/${segment}`, headers: { authorization: `Bearer ${tokens.annClassic}` } });
      requests.push({ method: "GET", url: `/orgs/${segment}`, headers: {} });
      requests.push({ method: "GET", url: `/_credauth/revocations/${segment}`, headers: { authorization: `Bearer ${tokens.owenClassic}` } });
    }
    for (const id of ["0", "-1", "1.5", "99999999999999999999", "1e3"]) {
      requests.push({ method: "GET", url: `/_credauth/revocations/${id}`, headers: { authorization: `Bearer ${tokens.owenClassic}` } });
      requests.push({ method: "DELETE" as "GET", url: `/orgs/classic-eng/credential-authorizations/${id}`, headers: { authorization: `Bearer ${tokens.cleoClassic}` } });
    }
    const hostileQueries = [
      "per_page=-1", "per_page=1e9", "page=0", "page=99999999999", "per_page=%00", "login=%00", "login[]=a&login[]=b",
      "phrase=%00", "phrase=created:%3E%3E%3E", "phrase=action:%22", "phrase=" + "a:b%20".repeat(2000), "after=%00", "before=Y3JlZGF1dGg6MA",
      "after=" + "A".repeat(5000), "order=sideways", "include=%00", "phrase=a:b&phrase=user:x", "per_page=1&per_page=x", "%00=1",
    ];
    for (const query of hostileQueries) {
      requests.push({ method: "GET", url: `/orgs/classic-eng/credential-authorizations?${query}`, headers: { authorization: `Bearer ${tokens.cleoClassic}` } });
      requests.push({ method: "GET", url: `/orgs/classic-eng/audit-log?${query}`, headers: { authorization: `Bearer ${tokens.cleoClassic}` } });
      requests.push({ method: "GET", url: `/enterprises/classic-corp/audit-log?${query}`, headers: { authorization: `Bearer ${tokens.tedClassic}` } });
    }
    for (const payload of hostileBodies) {
      requests.push({ method: "POST", url: "/_credauth/dry-run/orgs/classic-eng/credential-authorizations/revoke-credential-type", payload, headers: { authorization: `Bearer ${tokens.cleoClassic}` } });
    }
    for (const request of requests) {
      // Hostile bodies must not revoke anything either: they go to a world we check below.
      const response = await app.inject(request);
      assert.ok(response.statusCode >= 200 && response.statusCode < 500, `${request.method} ${request.url.slice(0, 80)} ${String(request.payload).slice(0, 40)} → ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (response.statusCode >= 400) {
        const body = response.json();
        assert.equal(typeof body.message, "string");
        assert.equal(body.status, String(response.statusCode));
      }
    }
  });

  it("never writes a token into the log, even at trace level", async () => {
    await app.inject({ method: "GET", url: "/user", headers: { authorization: `token ${tokens.annClassic}` } });
    await app.inject({ method: "POST", url: paths[0]!, headers: { authorization: `Bearer ${tokens.owenFineGrained}` }, payload: "{not json" });
    await app.inject({ method: "GET", url: "/user", headers: { authorization: `Basic ${Buffer.from(`x:${tokens.gwenClassic}`).toString("base64")}` } });
    const log = logLines.join("");
    assert.ok(log.length > 0, "trace logging wrote lines");
    for (const token of Object.values(tokens)) {
      assert.ok(!log.includes(token), "a token appeared in the log");
      assert.ok(!log.includes(token.slice(4, 20)), "part of a token appeared in the log");
    }
  });
});
