// GitHub's HTTP conventions around every endpoint: User-Agent required (or not, as configured),
// ETag and If-None-Match answered with 304 that the primary rate limit does not count.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { matchesIfNoneMatch } from "../../src/http/conditional-requests.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

describe("If-None-Match", () => {
  it("matches weakly, in lists and with *", () => {
    const tag = 'W/"abc"';
    assert.ok(matchesIfNoneMatch('W/"abc"', tag));
    assert.ok(matchesIfNoneMatch('"abc"', tag));
    assert.ok(matchesIfNoneMatch('"x", W/"abc"', tag));
    assert.ok(matchesIfNoneMatch("*", tag));
    assert.ok(!matchesIfNoneMatch('"abcd"', tag));
    assert.ok(!matchesIfNoneMatch(undefined, tag));
  });
});

for (const backend of backends()) {
  describe(`HTTP conventions on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend, { rateLimit: "github" })));
    after(() => t.close());

    it("refuses a request without User-Agent as GitHub's edge does, in plain text and uncounted", async () => {
      const r = await t.app.inject({
        method: "GET",
        url: "/user",
        headers: { ...bearer(t.tokens.annClassic), "user-agent": undefined },
      });
      assert.equal(r.statusCode, 403);
      assert.match(String(r.headers["content-type"]), /^text\/plain/);
      assert.match(
        r.body,
        /^Request forbidden by administrative rules\. Please make sure your request has a User-Agent header/,
      );
      assert.equal(r.headers["x-ratelimit-used"], undefined, "the edge refuses before anything is counted");
      const probe = await t.app.inject({ method: "GET", url: "/healthz/live", headers: { "user-agent": undefined } });
      assert.equal(probe.statusCode, 200, "health probes are not GitHub's API");
    });

    it("answers GETs with a weak ETag, and 304 with no body and no count for a matching If-None-Match", async () => {
      const first = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) });
      assert.equal(first.statusCode, 200);
      const etag = String(first.headers.etag);
      assert.match(etag, /^W\/"[0-9a-f]{64}"$/);
      assert.equal(first.headers["cache-control"], "private, max-age=60, s-maxage=60");
      const used = Number(first.headers["x-ratelimit-used"]);

      const again = await t.app.inject({
        method: "GET",
        url: "/user",
        headers: { ...bearer(t.tokens.annClassic), "if-none-match": etag },
      });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, "");
      assert.equal(again.headers.etag, etag);
      assert.equal(Number(again.headers["x-ratelimit-used"]), used, "a 304 is not counted");

      const third = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) });
      assert.equal(Number(third.headers["x-ratelimit-used"]), used + 1);
    });

    it("changes the ETag when the answer changes", async () => {
      const url = "/orgs/classic-eng/credential-authorizations";
      const before = await t.app.inject({ method: "GET", url, headers: bearer(t.tokens.cleoClassic) });
      const patId = (before.json() as { login: string; credential_id: number }[]).find(
        (a) => a.login === "pat",
      )!.credential_id;
      const removed = await t.app.inject({
        method: "DELETE",
        url: `${url}/${patId}`,
        headers: bearer(t.tokens.cleoClassic),
      });
      assert.equal(removed.statusCode, 204);
      const afterwards = await t.app.inject({
        method: "GET",
        url,
        headers: { ...bearer(t.tokens.cleoClassic), "if-none-match": String(before.headers.etag) },
      });
      assert.equal(afterwards.statusCode, 200, "a stale tag gets the new answer");
      assert.notEqual(afterwards.headers.etag, before.headers.etag);
    });
  });

  describe(`--user-agent optional on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend, { userAgent: "optional" })));
    after(() => t.close());

    it("accepts requests without User-Agent", async () => {
      const r = await t.app.inject({
        method: "GET",
        url: "/user",
        headers: { ...bearer(t.tokens.annClassic), "user-agent": undefined },
      });
      assert.equal(r.statusCode, 200);
    });
  });
}
