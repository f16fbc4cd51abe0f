// Every route answers at the root, under GitHub Enterprise Server's /api/v3 and under the console's
// /_credauth/console/api, and only there.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { routeWithoutApiPrefix } from "../../src/http/urls.ts";

function route(url: string): { routed: string; prefix: string | undefined; viaConsole?: boolean } {
  const raw = { url } as IncomingMessage & { apiPrefix?: string; viaConsole?: boolean };
  const routed = routeWithoutApiPrefix(raw);
  return { routed, prefix: raw.apiPrefix, ...(raw.viaConsole ? { viaConsole: true } : {}) };
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

  it("routes /_credauth/console/api/… as /…, marked as the console's", () => {
    assert.deepEqual(route("/_credauth/console/api/orgs/a"), {
      routed: "/orgs/a",
      prefix: "/_credauth/console/api",
      viaConsole: true,
    });
    assert.deepEqual(route("/_credauth/console/api/_credauth/revocations/1/events"), {
      routed: "/_credauth/revocations/1/events",
      prefix: "/_credauth/console/api",
      viaConsole: true,
    });
    assert.deepEqual(route("/_credauth/console/apix"), { routed: "/_credauth/console/apix", prefix: undefined });
  });

  it("leaves every other path alone", () => {
    for (const url of ["/user", "/api/v3x/user", "/api/v30/user", "/api/v4/user", "/x/api/v3/user"]) {
      assert.deepEqual(route(url), { routed: url, prefix: undefined }, url);
    }
  });
});
