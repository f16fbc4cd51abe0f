// GitHub's rate limits, enforced: the headers tell the truth on every answer, the primary limit
// refuses with GitHub's 403 once used up, failed authentications use up the address's limit,
// and the secondary limits answer with Retry-After. (The end-to-end test drives Octokit's
// throttling and retry plugins against these answers.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { generateToken } from "../../src/domain/tokens.ts";
import { GITHUB_RATE_LIMITS } from "../../src/http/rate-limits.ts";
import { backends, buildTestApp } from "../helpers/backends.ts";
import { assertMatchesContract } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp, worldDigest } from "../helpers/world.ts";

const ADMIN_TOKEN = "rate-limit-admin-token-0123456789abcdef0123";
const [backend] = backends(); // counters live in the process: the backend does not matter

describe("rate limits", () => {
  let t: TestApp;
  before(async () => (t = await startWorldApp(backend!, { rateLimit: "github", adminToken: ADMIN_TOKEN })));
  after(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: "GET", url, headers });

  it("reports the caller's own hourly count on every answer, errors included", async () => {
    const first = await get("/user", bearer(t.tokens.annClassic));
    const second = await get("/orgs/nowhere", bearer(t.tokens.annClassic)); // a 404 counts too
    assert.equal(first.headers["x-ratelimit-limit"], String(GITHUB_RATE_LIMITS.authenticatedPerHour));
    assert.equal(first.headers["x-ratelimit-resource"], "core");
    assert.equal(Number(second.headers["x-ratelimit-used"]), Number(first.headers["x-ratelimit-used"]) + 1);
    assert.equal(
      Number(second.headers["x-ratelimit-remaining"]),
      GITHUB_RATE_LIMITS.authenticatedPerHour - Number(second.headers["x-ratelimit-used"]),
    );
    const reset = Number(first.headers["x-ratelimit-reset"]);
    assert.ok(
      reset > Date.now() / 1000 + 3500 && reset <= Date.now() / 1000 + 3601,
      "the window resets an hour after it opened",
    );
    const other = await get("/user", bearer(t.tokens.gwenClassic));
    assert.equal(other.headers["x-ratelimit-used"], "1", "each user has a count of their own");
    const audit = await get("/orgs/classic-eng/audit-log", bearer(t.tokens.cleoClassic));
    assert.equal(audit.headers["x-ratelimit-resource"], "audit_log");
    assert.equal(audit.headers["x-ratelimit-limit"], String(GITHUB_RATE_LIMITS.auditLogPerHour));
    assert.equal((await get("/healthz")).headers["x-ratelimit-limit"], undefined, "health probes are not counted");
  });

  it("GET /rate_limit shows the caller's windows in GitHub's shape, and asking does not count", async () => {
    const token = t.tokens.melClassic;
    for (let i = 0; i < 3; i++) await get("/user", bearer(token));
    await get("/orgs/emu-eng/audit-log", bearer(token)); // refused (not an owner), but counted as audit_log
    const asked = await get("/rate_limit", bearer(token));
    assert.equal(asked.statusCode, 200, asked.body);
    assertMatchesContract("GET", "/rate_limit", asked);
    const body = asked.json();
    assert.deepEqual(body.rate, body.resources.core);
    assert.equal(body.resources.core.limit, GITHUB_RATE_LIMITS.authenticatedPerHour);
    assert.equal(body.resources.core.used, 3);
    assert.equal(body.resources.core.remaining, GITHUB_RATE_LIMITS.authenticatedPerHour - 3);
    assert.equal(body.resources.audit_log.used, 1);
    assert.equal(body.resources.search.used, 0);
    assert.equal(asked.headers["x-ratelimit-used"], undefined, "the answer itself is not counted");
    assert.equal((await get("/rate_limit", bearer(token))).json().resources.core.used, 3, "nor is asking again");
    assert.equal((await get("/user", bearer(token))).headers["x-ratelimit-used"], "4");

    const anonymous = (await get("/rate_limit")).json();
    assert.equal(
      anonymous.resources.core.limit,
      GITHUB_RATE_LIMITS.unauthenticatedPerHour,
      "per address without a token",
    );
    const newest = await get("/rate_limit", { ...bearer(token), "x-github-api-version": "2026-03-10" });
    assert.equal(newest.json().rate, undefined, "API version 2026-03-10 dropped `rate`");
  });

  it("refuses a user past 5,000 requests an hour with GitHub's 403, remaining 0 and the reset", async (context) => {
    const token = t.tokens.sharedClassic;
    // The clock moves a minute after every 800 requests, so the 900-points-a-minute secondary limit
    // stays out of the way: the 5,000 are spread over a few minutes of the same hour.
    context.mock.timers.enable({ apis: ["Date"], now: Date.now() });
    for (let i = 0; i < GITHUB_RATE_LIMITS.authenticatedPerHour; i++) {
      const response = await get("/user", bearer(token));
      if (response.statusCode !== 200) assert.fail(`request ${i + 1} → ${response.statusCode} ${response.body}`);
      if (i % 800 === 799) context.mock.timers.tick(61_000);
    }
    const refused = await get("/user", bearer(token));
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.headers["x-ratelimit-remaining"], "0");
    assert.equal(refused.headers["x-ratelimit-used"], String(GITHUB_RATE_LIMITS.authenticatedPerHour));
    assert.ok(Number(refused.headers["x-ratelimit-reset"]) > Date.now() / 1000);
    const body = refused.json();
    assert.match(
      body.message,
      /^API rate limit exceeded for user ID \d+\. If you reach out to GitHub Support for help, please include the request ID [0-9A-F:]+ and timestamp \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\.$/,
    );
    assert.equal(body.documentation_url, "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
    assert.equal(body.status, "403");
    assert.equal(refused.headers["retry-after"], undefined, "GitHub sends no Retry-After on a primary limit");
    assert.equal((await get("/user", bearer(t.tokens.gwenClassic))).statusCode, 200, "another user is unaffected");
  });

  it("throttles failed authentication on every route that reads a credential, then refuses every credential from that address", async () => {
    const ip = "203.0.113.7";
    const guess = () => bearer(generateToken("classic_pat"));
    // Every way a credential reaches credauth: the API (core and audit log), routes that count
    // nothing, the console's assets and sign-in, the admin API and /metrics (the admin token).
    const attempts: { name: string; send(headers?: Record<string, string>): Promise<LightMyRequestResponse> }[] = [
      ...[
        "/user",
        "/rate_limit",
        "/healthz",
        "/openapi.json",
        "/_credauth/console/app.js",
        "/orgs/classic-eng/audit-log",
        "/no/such/route",
      ].map((url) => ({
        name: url,
        send: (headers = guess()) => t.app.inject({ method: "GET", url, headers, remoteAddress: ip }),
      })),
      {
        name: "console sign-in",
        send: (headers) =>
          t.app.inject({
            method: "POST",
            url: "/_credauth/console/session",
            headers: { "content-type": "application/json" },
            payload: { token: headers?.authorization?.slice(7) ?? generateToken("classic_pat") },
            remoteAddress: ip,
          }),
      },
      ...["/_credauth/admin/enterprises", "/metrics"].map((url) => ({
        name: `${url} (admin token)`,
        send: (headers = bearer(`wrong-${ADMIN_TOKEN}`)) =>
          t.app.inject({ method: "GET", url, headers, remoteAddress: ip }),
      })),
    ];
    for (let i = 0; i < GITHUB_RATE_LIMITS.failedAuthenticationsPerHour; i++) {
      const attempt = attempts[i % attempts.length]!;
      const response = await attempt.send();
      assert.equal(response.statusCode, 401, `${attempt.name}: ${response.body}`);
      assert.equal(
        response.headers["x-ratelimit-limit"],
        String(GITHUB_RATE_LIMITS.unauthenticatedPerHour),
        attempt.name,
      );
    }
    for (const attempt of attempts) {
      const throttled = await attempt.send();
      assert.equal(throttled.statusCode, 403, `${attempt.name}: ${throttled.body}`);
      assert.equal(throttled.headers["x-ratelimit-remaining"], "0", attempt.name);
      assert.match(
        throttled.json().message,
        /^API rate limit exceeded for 203\.0\.113\.7\. \(But here's the good news/,
      );
    }
    // A right guess is not told apart from a wrong one: valid credentials are refused too.
    assert.equal((await attempts[0]!.send(bearer(t.tokens.annSpare))).statusCode, 403, "a valid token");
    assert.equal((await attempts[7]!.send(bearer(t.tokens.annSpare))).statusCode, 403, "a valid console sign-in");
    assert.equal((await attempts[8]!.send(bearer(ADMIN_TOKEN))).statusCode, 403, "the admin token");
    const elsewhere = await t.app.inject({
      method: "GET",
      url: "/user",
      headers: guess(),
      remoteAddress: "203.0.113.8",
    });
    assert.equal(elsewhere.statusCode, 401, "another address still gets its answer");
    const anonymous = await t.app.inject({ method: "GET", url: "/healthz", remoteAddress: ip });
    assert.equal(anonymous.statusCode, 200, "a request without a credential is not refused for the failures");
  });

  it("answers more than 80 content-creating requests a minute with a secondary limit and Retry-After, changing nothing", async () => {
    const token = t.tokens.cleoClassic;
    const dryRun = "/_credauth/dry-run/orgs/classic-eng/credential-authorizations/revoke-all";
    for (let i = 0; i < GITHUB_RATE_LIMITS.contentCreatingPerMinute; i++) {
      const response = await t.app.inject({ method: "POST", url: dryRun, headers: bearer(token) });
      assert.equal(response.statusCode, 200, response.body);
    }
    const before = await worldDigest(t.app.services.db);
    const refused = await t.app.inject({
      method: "POST",
      url: "/orgs/classic-eng/credential-authorizations/revoke-all",
      headers: bearer(token),
    });
    assert.equal(refused.statusCode, 403);
    assert.match(
      refused.json().message,
      /^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\./,
    );
    const wait = Number(refused.headers["retry-after"]);
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${refused.headers["retry-after"]}`);
    assert.notEqual(refused.headers["x-ratelimit-remaining"], "0", "a secondary limit is not the primary one");
    assert.equal(await worldDigest(t.app.services.db), before, "the refused revocation was not queued");
  });
});

describe("rate limits turned off", () => {
  it("GET /rate_limit answers 404 Rate limiting is not enabled, as GitHub Enterprise Server does", async () => {
    const { app, close } = await buildTestApp(backend!, { rateLimit: "off" });
    try {
      const response = await app.inject({ method: "GET", url: "/rate_limit" });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().message, "Rate limiting is not enabled.");
    } finally {
      await close();
    }
  });
});
