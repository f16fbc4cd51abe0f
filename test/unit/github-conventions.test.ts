import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mediaTypeFor, newRequestId, RateLimitWindow } from "../../src/http/github-conventions.ts";

describe("GitHub response conventions", () => {
  it("echoes the negotiated media type as X-GitHub-Media-Type does", () => {
    assert.equal(mediaTypeFor(undefined), "github.v3; format=json");
    assert.equal(mediaTypeFor("application/vnd.github+json"), "github.v3; format=json");
    assert.equal(mediaTypeFor("application/vnd.github.v3+json"), "github.v3; format=json");
    assert.equal(mediaTypeFor("application/vnd.github.raw+json"), "github.v3; param=raw; format=json");
    assert.equal(mediaTypeFor("application/vnd.github.v3.full+json"), "github.v3; param=full; format=json");
    assert.equal(mediaTypeFor("application/json"), "github.v3; format=json");
  });

  it("makes request ids whose last field is the Unix time in hex", () => {
    const id = newRequestId(Date.UTC(2022, 9, 17, 15, 15, 36));
    assert.match(id, /^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{6}:634D7198$/);
    assert.notEqual(newRequestId(), newRequestId());
  });

  it("counts per key in a fixed hourly window and starts again after it", () => {
    const window = new RateLimitWindow();
    const start = Date.UTC(2026, 0, 1, 0, 0, 0);
    window.take("user:1", 5000, start);
    const second = window.take("user:1", 5000, start + 1000);
    assert.deepEqual(second, {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4998",
      "x-ratelimit-reset": String(start / 1000 + 3600),
      "x-ratelimit-used": "2",
      "x-ratelimit-resource": "core",
    });
    assert.equal(window.take("user:2", 5000, start)["x-ratelimit-used"], "1", "another key has its own count");
    assert.equal(window.take("user:1", 5000, start + 3600_000)["x-ratelimit-used"], "1", "a new hour starts again");
  });
});
