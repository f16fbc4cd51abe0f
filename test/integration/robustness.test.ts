// A client can never cause a 5xx, a refused request changes nothing, and no token ever reaches a
// log line. (test/integration/fuzz.test.ts generates such requests; these are the known ones.)
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { parseConfig } from "../../src/config.ts";
import { parseFixture } from "../../src/domain/fixture.ts";
import { buildApp } from "../../src/http/app.ts";
import type { Db } from "../../src/store/db.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { migratedPglite } from "../helpers/backends.ts";
import { makeTokens, type Tokens, worldDigest, worldFixture } from "../helpers/world.ts";

const ADMIN_TOKEN = "admin-token-of-the-hostile-input-test-0123456789";
const DEEP = "[".repeat(10_000) + "]".repeat(10_000);

describe("hostile input", () => {
  let app: FastifyInstance;
  let db: Db;
  let tokens: Tokens;
  const logLines: string[] = [];

  before(async () => {
    const config = parseConfig(
      {
        data: ":memory:",
        logLevel: "trace",
        worker: false,
        rateLimit: "off",
        adminToken: ADMIN_TOKEN,
        publicUrl: "https://credauth.example.test/",
      },
      {},
    );
    db = await migratedPglite();
    app = await buildApp(config, { db, logStream: { write: (line: string) => void logLines.push(line) } });
    tokens = makeTokens();
    await applyFixture(app.services.db, parseFixture(JSON.stringify(worldFixture(tokens)), "world.json"));
  });
  after(async () => {
    await app.close();
    await db.close();
  });

  const paths = [
    "/enterprises/emu-corp/credential-authorizations/revoke-all",
    "/enterprises/emu-corp/credential-authorizations/revoke-credential-type",
    "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke",
    "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke-credential-type",
  ];
  const hostileSegments = [
    "%00",
    "%E0%A4%A",
    "a".repeat(5000),
    "%F0%9F%92%A9",
    "..%2F..",
    "'; drop table users; --",
    "%20",
    "ann_emu%00x",
  ];
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
    '{"__proto__": {"revoke_credentials": true}, "credential_type": 1}',
    "{".repeat(10000),
    DEEP,
    `{"revoke_credentials": ${DEEP}}`,
    `{"credential_type": ${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`,
    JSON.stringify({ revoke_credentials: false, extra: "x".repeat(500_000) }),
  ];
  const hostileAuthorizations = [
    "",
    "token",
    "token ",
    "Bearer a b c",
    "Basic !!!",
    `Basic ${Buffer.from("x").toString("base64")}`,
    `token ghp_${"A".repeat(36)}\u0000`,
    `token ${"g".repeat(100_000)}`,
  ];

  it("answers every hostile request with a 4xx in GitHub's shape, and changes nothing", async () => {
    const requests: { method: "GET" | "POST"; url: string; payload?: string; headers: Record<string, string> }[] = [];
    for (const path of paths) {
      for (const payload of hostileBodies)
        requests.push({
          method: "POST",
          url: path,
          payload,
          headers: { authorization: `Bearer ${tokens.owenClassic}` },
        });
      for (const authorization of hostileAuthorizations)
        requests.push({ method: "POST", url: path, headers: { authorization } });
      for (const segment of hostileSegments) {
        requests.push({
          method: "POST",
          url: path.replace("emu-corp", segment),
          headers: { authorization: `Bearer ${tokens.owenClassic}` },
        });
        requests.push({
          method: "POST",
          url: path.replace("ann_emu", segment),
          headers: { authorization: `Bearer ${tokens.owenClassic}` },
        });
      }
      requests.push({
        method: "POST",
        url: path,
        headers: { authorization: `Bearer ${tokens.owenClassic}`, "x-github-api-version": "\u00ff" },
      });
      requests.push({
        method: "POST",
        url: path,
        payload: "{}",
        headers: { authorization: `Bearer ${tokens.owenClassic}`, "content-type": "text/plain; charset=nonsense" },
      });
    }
    for (const segment of hostileSegments) {
      requests.push({
        method: "GET",
        url: `/orgs/${segment}`,
        headers: { authorization: `Bearer ${tokens.annClassic}` },
      });
      requests.push({ method: "GET", url: `/orgs/${segment}`, headers: {} });
      requests.push({
        method: "GET",
        url: `/_credauth/revocations/${segment}`,
        headers: { authorization: `Bearer ${tokens.owenClassic}` },
      });
    }
    for (const id of ["0", "-1", "1.5", "99999999999999999999", "1e3"]) {
      requests.push({
        method: "GET",
        url: `/_credauth/revocations/${id}`,
        headers: { authorization: `Bearer ${tokens.owenClassic}` },
      });
      requests.push({
        method: "DELETE" as "GET",
        url: `/orgs/classic-eng/credential-authorizations/${id}`,
        headers: { authorization: `Bearer ${tokens.cleoClassic}` },
      });
    }
    const hostileQueries = [
      "per_page=-1",
      "per_page=1e9",
      "page=0",
      "page=99999999999",
      "per_page=%00",
      "login=%00",
      "login[]=a&login[]=b",
      "phrase=%00",
      "phrase=created:%3E%3E%3E",
      "phrase=action:%22",
      `phrase=${"a:b%20".repeat(2000)}`,
      "after=%00",
      "before=Y3JlZGF1dGg6MA",
      `after=${"A".repeat(5000)}`,
      "order=sideways",
      "include=%00",
      "phrase=a:b&phrase=user:x",
      "per_page=1&per_page=x",
      "%00=1",
    ];
    for (const query of hostileQueries) {
      requests.push({
        method: "GET",
        url: `/orgs/classic-eng/credential-authorizations?${query}`,
        headers: { authorization: `Bearer ${tokens.cleoClassic}` },
      });
      requests.push({
        method: "GET",
        url: `/orgs/classic-eng/audit-log?${query}`,
        headers: { authorization: `Bearer ${tokens.cleoClassic}` },
      });
      requests.push({
        method: "GET",
        url: `/enterprises/classic-corp/audit-log?${query}`,
        headers: { authorization: `Bearer ${tokens.tedClassic}` },
      });
    }
    for (const payload of hostileBodies) {
      for (const path of paths)
        requests.push({
          method: "POST",
          url: `/_credauth/dry-run${path}`,
          payload,
          headers: { authorization: `Bearer ${tokens.owenClassic}` },
        });
      requests.push({
        method: "POST",
        url: "/_credauth/dry-run/orgs/classic-eng/credential-authorizations/revoke-credential-type",
        payload,
        headers: { authorization: `Bearer ${tokens.cleoClassic}` },
      });
      for (const url of [
        "/_credauth/admin/fixtures",
        "/_credauth/admin/enterprises",
        "/_credauth/admin/enterprises/emu-corp/organizations",
        "/_credauth/admin/users",
        "/_credauth/admin/users/ann_emu/credentials",
        "/_credauth/admin/credentials/1/authorizations",
      ]) {
        requests.push({ method: "POST", url, payload, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      }
    }
    // Some bodies are valid for some paths (revoke-all ignores credential_type) and queue a real
    // revocation; every refused one must leave the world exactly as it was.
    for (const request of requests) {
      const before = await worldDigest(app.services.db);
      const response = await app.inject(request);
      const what = `${request.method} ${request.url.slice(0, 80)} ${String(request.payload).slice(0, 40)} → ${response.statusCode} ${response.body.slice(0, 200)}`;
      assert.ok(response.statusCode < 500, what);
      if (response.statusCode >= 400) {
        const body = response.json();
        assert.equal(typeof body.message, "string", what);
        assert.equal(body.status, String(response.statusCode), what);
        assert.equal(await worldDigest(app.services.db), before, `refused, yet the world changed: ${what}`);
      }
    }
  });

  it("refuses null where GitHub's schema wants a boolean, and nests JSON no deeper than GitHub", async () => {
    const nullFlag = await app.inject({
      method: "POST",
      url: paths[0]!,
      payload: '{"revoke_credentials": null}',
      headers: { authorization: `Bearer ${tokens.owenClassic}` },
    });
    assert.equal(nullFlag.statusCode, 422);
    assert.equal(
      nullFlag.json().message,
      "Invalid request.\n\nFor 'properties/revoke_credentials', null is not a boolean.",
    );
    const deep = await app.inject({
      method: "POST",
      url: paths[0]!,
      payload: DEEP,
      headers: { authorization: `Bearer ${tokens.owenClassic}` },
    });
    assert.equal(deep.statusCode, 400);
    assert.equal(deep.json().message, "Problems parsing JSON");
  });

  it("builds URLs from --public-url, never from the Host header", async () => {
    const response = await app.inject({
      method: "GET",
      url: "/user",
      headers: { authorization: `Bearer ${tokens.annClassic}`, host: "evil.example" },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().url, "https://credauth.example.test/users/ann_emu");
    assert.doesNotMatch(response.body, /evil\.example/);
  });

  it("answers what Node's HTTP parser refuses in GitHub's JSON shape", async () => {
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = new URL(address);
    const raw = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => socket.end(bytes));
        let answer = "";
        socket.on("data", (chunk) => (answer += chunk));
        socket.on("close", () => resolve(answer));
        socket.on("error", reject);
      });
    for (const [bytes, status] of [
      ["FOO / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
      ["GET /us\u0000er HTTP/1.1\r\nHost: x\r\n\r\n", 400],
      [`GET /user HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
      ["this is not HTTP\r\n\r\n", 400],
    ] as const) {
      const answer = await raw(bytes);
      const [head, body] = answer.split("\r\n\r\n") as [string, string];
      assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), answer);
      assert.match(head, /content-type: application\/json; charset=utf-8/i);
      assert.equal(JSON.parse(body).status, String(status));
      assert.equal(typeof JSON.parse(body).message, "string");
    }
  });

  it("never writes a token into the log, even at trace level", async () => {
    await app.inject({ method: "GET", url: "/user", headers: { authorization: `token ${tokens.annClassic}` } });
    await app.inject({
      method: "POST",
      url: paths[0]!,
      headers: { authorization: `Bearer ${tokens.owenFineGrained}` },
      payload: "{not json",
    });
    await app.inject({
      method: "GET",
      url: "/user",
      headers: { authorization: `Basic ${Buffer.from(`x:${tokens.gwenClassic}`).toString("base64")}` },
    });
    // A token in the URL, where GitHub no longer reads one, is still someone's secret.
    await app.inject({ method: "GET", url: `/user?access_token=${tokens.tedClassic}` });
    await app.inject({ method: "GET", url: `/orgs/${tokens.cleoClassic}?x=${encodeURIComponent(tokens.zedClassic)}` });
    const log = logLines.join("");
    assert.ok(log.length > 0, "trace logging wrote lines");
    for (const token of Object.values(tokens)) {
      assert.ok(!log.includes(token), "a token appeared in the log");
      assert.ok(!log.includes(token.slice(4, 20)), "part of a token appeared in the log");
    }
  });
});
