// Every route answers at the root and under GitHub Enterprise Server's /api/v3, and only there.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { routeWithoutGhesPrefix } from "../../src/http/urls.ts";

function route(url: string): { routed: string; prefix: string | undefined } {
  const raw = { url } as IncomingMessage & { apiPrefix?: string };
  return { routed: routeWithoutGhesPrefix(raw), prefix: raw.apiPrefix };
}

describe("the GitHub Enterprise Server base path", () => {
  it("routes /api/v3/… as /… and remembers the prefix for the URLs handed back", () => {
    assert.deepEqual(route("/api/v3/user"), { routed: "/user", prefix: "/api/v3" });
    assert.deepEqual(route("/api/v3/orgs/a/credential-authorizations?page=2"), {
      routed: "/orgs/a/credential-authorizations?page=2",
      prefix: "/api/v3",
    });
    assert.deepEqual(route("/api/v3"), { routed: "/", prefix: "/api/v3" });
    assert.deepEqual(route("/api/v3?x=1"), { routed: "/?x=1", prefix: "/api/v3" });
  });

  it("leaves every other path alone", () => {
    for (const url of ["/user", "/api/v3x/user", "/api/v30/user", "/api/v4/user", "/x/api/v3/user"]) {
      assert.deepEqual(route(url), { routed: url, prefix: undefined }, url);
    }
  });
});
