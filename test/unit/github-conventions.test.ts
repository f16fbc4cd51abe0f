import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mediaTypeFor, newRequestId } from "../../src/http/github-conventions.ts";

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
});
