// The harness over HTTP (/_credauth/admin: reset, snapshots, clock) on both backends: a reset
// brings back the state recorded at start-up — revoked credentials live again, jobs and audit
// events as they were, ids counted from where they stood, the clock and the rate-limit counts —
// and every refusal is a clear 4xx.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateToken } from "../../src/domain/tokens.ts";
import { setClockOffset } from "../../src/store/clock.ts";
import { START_SNAPSHOT, saveSnapshot } from "../../src/store/snapshots.ts";
import { backends } from "../helpers/backends.ts";
import { validatorFor } from "../helpers/contract.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const ADMIN_TOKEN = generateToken("classic_pat");
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const REVOKE_ANN = "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke";

for (const backend of backends()) {
  describe(`the harness API on ${backend.name}`, () => {
    let t: TestApp;
    const call = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: object) =>
      t.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
    const revokeAnn = () =>
      t.app.inject({
        method: "POST",
        url: REVOKE_ANN,
        headers: bearer(t.tokens.owenClassic),
        payload: { revoke_credentials: true },
      });
    const annStatus = async () =>
      (await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) })).statusCode;
    const count = async (table: string) =>
      (await t.app.services.db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

    before(async () => (t = await startWorldApp(backend, { adminToken: ADMIN_TOKEN, rateLimit: "github" })));
    after(async () => {
      await setClockOffset(t.app.services.db, t.app.services.clock, 0);
      await t.close();
    });

    it("refuses a reset with 409 and what to do when no start-up state was recorded", async () => {
      const r = await call("POST", "/_credauth/admin/reset");
      assert.equal(r.statusCode, 409);
      assert.match(r.json().message, /Save a snapshot/);
    });

    it("resets to the start-up state: revoked and destroyed credentials live, jobs, events and ids as they were", async () => {
      await t.app.services.db.transaction((tx) => saveSnapshot(tx, START_SNAPSHOT));
      const events = await count("audit_events");
      const first = await revokeAnn();
      assert.equal(first.statusCode, 202);
      assert.equal(await annStatus(), 401, "destroyed from the 202 on");
      assert.ok((await count("revocations")) > 0);

      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
      assert.equal(await annStatus(), 200, "alive again");
      assert.equal(await count("revocations"), 0);
      assert.equal(await count("audit_events"), events);
      const again = await revokeAnn();
      assert.equal(again.statusCode, 202);
      assert.equal(again.headers.location, first.headers.location, "the job ids count from where they stood");
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
    });

    it("saves, lists, restores and deletes named snapshots; unknown names are 404, bad ones 422", async () => {
      const saved = await call("PUT", "/_credauth/admin/snapshots/before-incident");
      assert.equal(saved.statusCode, 201);
      assert.equal(saved.json().name, "before-incident");
      assert.equal((await revokeAnn()).statusCode, 202);
      const after = await call("PUT", "/_credauth/admin/snapshots/after-incident");
      assert.equal(after.statusCode, 201);
      assert.deepEqual(
        (await call("GET", "/_credauth/admin/snapshots")).json().map((s: { name: string }) => s.name),
        [START_SNAPSHOT, "before-incident", "after-incident"],
      );

      assert.equal((await call("POST", "/_credauth/admin/snapshots/before-incident/restore")).statusCode, 204);
      assert.equal(await annStatus(), 200);
      assert.equal((await call("POST", "/_credauth/admin/snapshots/after-incident/restore")).statusCode, 204);
      assert.equal(await annStatus(), 401);

      assert.equal((await call("DELETE", "/_credauth/admin/snapshots/after-incident")).statusCode, 204);
      assert.equal((await call("DELETE", "/_credauth/admin/snapshots/after-incident")).statusCode, 404);
      assert.equal((await call("POST", "/_credauth/admin/snapshots/after-incident/restore")).statusCode, 404);
      const badName = await call("PUT", "/_credauth/admin/snapshots/..%2Fetc");
      assert.equal(badName.statusCode, 422);
      assert.match(badName.json().message, /is not a snapshot name/);
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
      assert.equal(await annStatus(), 200);
    });

    it("moves the clock forward only, refuses what is not a duration or a time, and a reset puts it back", async () => {
      const { clock } = t.app.services;
      assert.deepEqual(Object.keys((await call("GET", "/_credauth/admin/clock")).json()), ["now", "offset_seconds"]);
      const moved = await call("POST", "/_credauth/admin/clock", { advance: "90d" });
      assert.equal(moved.statusCode, 200);
      assert.equal(moved.json().offset_seconds, 90 * 86_400);
      assert.ok(Math.abs(Date.parse(moved.json().now) - (Date.now() + 90 * 86_400_000)) < 60_000);
      const [sql] = await t.app.services.db.query<{ ahead_s: number }>(
        "select extract(epoch from credauth_now() - clock_timestamp())::float8 as ahead_s",
      );
      assert.ok(Math.abs(sql!.ahead_s - 90 * 86_400) < 60, "SQL follows");

      const later = new Date(clock.nowMs() + 3_600_000).toISOString();
      assert.equal((await call("POST", "/_credauth/admin/clock", { set: later })).statusCode, 200);
      assert.ok(Math.abs(clock.nowMs() - Date.parse(later)) < 5_000);
      for (const [body, field] of [
        [{ set: new Date().toISOString() }, "forward only"],
        [{ advance: "-1d" }, "is not a duration"],
        [{ advance: "1w" }, "is not a duration"],
        [{ advance: 5 }, "is not a duration"],
        [{ set: "tomorrow" }, "is not an ISO 8601 time"],
        [{ advance: "1d", set: later }, "exactly one"],
        [{}, "exactly one"],
      ] as const) {
        const r = await call("POST", "/_credauth/admin/clock", body);
        assert.equal(r.statusCode, 422, JSON.stringify(body));
        assert.match(r.json().message, new RegExp(field), JSON.stringify(body));
      }
      const notObject = await t.app.inject({
        method: "POST",
        url: "/_credauth/admin/clock",
        headers: { ...admin, "content-type": "application/json" },
        payload: "[]",
      });
      assert.equal(notObject.statusCode, 400);

      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
      assert.equal(clock.offsetMs, 0);
      assert.equal((await call("GET", "/_credauth/admin/clock")).json().offset_seconds, 0);
    });

    it("starts the rate-limit counts over on a reset", async () => {
      const used = async () =>
        Number(
          (await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) })).headers[
            "x-ratelimit-used"
          ],
        );
      await used();
      await used();
      assert.ok((await used()) >= 3);
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
      assert.equal(await used(), 1);
    });

    it("answers as its OpenAPI description says", async () => {
      const document = (await t.app.inject({ method: "GET", url: "/openapi.json" })).json();
      const assertMatches = validatorFor(document);
      assertMatches("GET", "/_credauth/admin/clock", await call("GET", "/_credauth/admin/clock"));
      assertMatches("POST", "/_credauth/admin/clock", await call("POST", "/_credauth/admin/clock", { advance: "1h" }));
      assertMatches("POST", "/_credauth/admin/clock", await call("POST", "/_credauth/admin/clock", { advance: "x" }));
      assertMatches(
        "PUT",
        "/_credauth/admin/snapshots/{name}",
        await call("PUT", "/_credauth/admin/snapshots/described"),
      );
      assertMatches("GET", "/_credauth/admin/snapshots", await call("GET", "/_credauth/admin/snapshots"));
      const restored = await call("POST", "/_credauth/admin/snapshots/described/restore");
      assertMatches("POST", "/_credauth/admin/snapshots/{name}/restore", restored);
      const missing = await call("POST", "/_credauth/admin/snapshots/missing/restore");
      assertMatches("POST", "/_credauth/admin/snapshots/{name}/restore", missing);
      assertMatches(
        "DELETE",
        "/_credauth/admin/snapshots/{name}",
        await call("DELETE", "/_credauth/admin/snapshots/described"),
      );
      assertMatches("POST", "/_credauth/admin/reset", await call("POST", "/_credauth/admin/reset"));
    });

    it("answers only to the admin token", async () => {
      const none = await t.app.inject({ method: "POST", url: "/_credauth/admin/reset" });
      assert.equal(none.statusCode, 401);
      const wrong = await t.app.inject({
        method: "POST",
        url: "/_credauth/admin/reset",
        headers: bearer(t.tokens.owenClassic),
      });
      assert.equal(wrong.statusCode, 401);
      assert.equal(await annStatus(), 200);
    });
  });
}

describe("the harness API without an admin token", () => {
  let t: TestApp;
  before(async () => (t = await startWorldApp(backends()[0]!)));
  after(() => t.close());

  it("does not exist", async () => {
    for (const url of ["/_credauth/admin/reset", "/_credauth/admin/clock", "/_credauth/admin/snapshots"])
      assert.equal((await t.app.inject({ method: "GET", url })).statusCode, 404, url);
  });
});
