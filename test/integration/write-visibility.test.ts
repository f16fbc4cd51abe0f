// A response to a request that wrote waits until every serving process has seen the write
// (http/write-visibility.ts). Driven through the port: the test counts the waits and makes one fail.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CoherenceTimeoutError } from "../../src/store/cache-coherence.ts";
import { pgliteBackend } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const REVOKE_ANN = "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke";

describe("write visibility", () => {
  let t: TestApp;
  let waits = 0;
  let failWith: Error | null = null;
  before(async () => {
    t = await startWorldApp(pgliteBackend);
    const db = t.app.services.db;
    db.awaitWritesSeen = async () => {
      waits++;
      if (failWith) throw failWith;
    };
  });
  after(async () => {
    await t?.close();
  });

  it("waits after a request that wrote, never after a read", async () => {
    waits = 0;
    const read = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.melClassic) });
    assert.equal(read.statusCode, 200);
    assert.equal(waits, 0, "a GET does not wait");
    const preview = await t.app.inject({
      method: "POST",
      url: `/_credauth/dry-run${REVOKE_ANN}`,
      headers: bearer(t.tokens.owenClassic),
    });
    assert.equal(preview.statusCode, 200);
    assert.equal(waits, 0, "a dry run writes nothing, so it does not wait");
    const accepted = await t.app.inject({ method: "POST", url: REVOKE_ANN, headers: bearer(t.tokens.owenClassic) });
    assert.equal(accepted.statusCode, 202);
    assert.equal(waits, 1, "the 202 waited once");
  });

  it("answers 503 with Retry-After and the job's Location when the others do not acknowledge, and keeps what committed", async () => {
    let location = "";
    const [before] = await t.app.services.db.query<{ count: number }>("select count(*)::int as count from revocations");
    failWith = new CoherenceTimeoutError();
    try {
      const refused = await t.app.inject({
        method: "POST",
        url: "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
        headers: bearer(t.tokens.owenClassic),
      });
      assert.equal(refused.statusCode, 503);
      assert.ok(Number(refused.headers["retry-after"]) > 0);
      assert.match(refused.json().message, /the change was accepted and committed.*Do not send it again/);
      assert.doesNotMatch(refused.json().message, /nothing was changed/);
      location = String(refused.headers.location);
      assert.match(location, /\/_credauth\/revocations\/\d+$/, "the 503 says where the revocation is");
    } finally {
      failWith = null;
    }
    const job = await t.app.inject({
      method: "GET",
      url: new URL(location).pathname,
      headers: bearer(t.tokens.owenClassic),
    });
    assert.equal(job.statusCode, 200, job.body);
    assert.equal(job.json().scope.username, "gwen_emu");
    const [afterwards] = await t.app.services.db.query<{ count: number }>(
      "select count(*)::int as count from revocations",
    );
    assert.equal(afterwards!.count, before!.count + 1, "the revocation committed; only its 202 was withheld");
  });
});
