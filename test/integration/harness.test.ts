// The harness over HTTP (/_credauth/admin: reset, snapshots, clock) on both backends: a reset
// brings back the state recorded at start-up — revoked credentials live again, jobs and audit
// events as they were, ids counted from where they stood, the clock and the rate-limit counts —
// and every refusal is a clear 4xx.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateToken } from "../../src/domain/tokens.ts";
import { buildApp } from "../../src/http/app.ts";
import { setClockOffset } from "../../src/store/clock.ts";
import { DATA_TABLES } from "../../src/store/erase.ts";
import { restoreSnapshot, START_SNAPSHOT, saveSnapshot } from "../../src/store/snapshots.ts";
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

    it("restores by its changes alone (a large world's way) to exactly what a whole copy brings back", async () => {
      const { db } = t.app.services;
      // Every row of every data table, as text: equal only if the content is.
      const contents = async () =>
        Object.fromEntries(
          await Promise.all(
            DATA_TABLES.map(async (table) => {
              const [row] = await db.query<{ digest: string | null }>(
                `select md5(string_agg(t::text, '|' order by t::text)) as digest from ${table} t`,
              );
              return [table, row?.digest ?? null] as const;
            }),
          ),
        );
      await db.transaction((tx) => saveSnapshot(tx, "before-changes"));
      const saved = await contents();
      // Inserts, updates and deletes, with foreign-key actions: a revocation that destroys, a user
      // removed (its credentials cascade), a role taken away.
      assert.equal((await revokeAnn()).statusCode, 202);
      await t.app.services.boss.createQueue("harness-probe");
      const removed = await call("DELETE", "/_credauth/admin/users/mel_emu");
      assert.ok([204, 404].includes(removed.statusCode), removed.body);
      await db.query("update users set email = 'changed@example.com' where login = 'owen_emu'");
      assert.notDeepEqual(await contents(), saved);
      const restored = await db.transaction((tx) => restoreSnapshot(tx, "before-changes", { smallWorldBytes: 0 }));
      assert.equal(restored.outcome, "restored");
      assert.deepEqual(await contents(), saved);
      assert.equal(await annStatus(), 200);
      await t.app.services.boss.deleteQueue("harness-probe");
      assert.equal((await call("DELETE", "/_credauth/admin/snapshots/before-changes")).statusCode, 204);
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

      // After a restore, a new snapshot takes a new place (the register's ids are not rolled back).
      await call("POST", "/_credauth/admin/snapshots/before-incident/restore");
      assert.equal((await call("PUT", "/_credauth/admin/snapshots/third")).statusCode, 201);
      assert.equal((await call("DELETE", "/_credauth/admin/snapshots/third")).statusCode, 204);
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

    if (backend.name === "postgres")
      it("moves the clock of every process on the database before the move is answered", async () => {
        const other = await buildApp(t.app.services.config); // a second `serve` on the same database
        try {
          const moved = await call("POST", "/_credauth/admin/clock", { advance: "10d" });
          assert.equal(moved.statusCode, 200);
          assert.equal(other.services.clock.offsetMs, t.app.services.clock.offsetMs, "told before the answer");
          assert.ok(other.services.clock.offsetMs >= 10 * 86_400_000);
          assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
          assert.equal(other.services.clock.offsetMs, 0, "a reset's clock too");
        } finally {
          await other.close();
        }
      });

    it("brings what pg-boss scheduled for later that much sooner when the clock moves", async () => {
      const { boss, db } = t.app.services;
      await boss.createQueue("harness-probe");
      const id = await boss.send("harness-probe", {}, { startAfter: 3 * 3600 });
      const due = async () =>
        (
          await db.query<{ due_in_s: number }>(
            "select extract(epoch from start_after - now())::float8 as due_in_s from pgboss.job where id = $1",
            [id],
          )
        )[0]!.due_in_s;
      assert.ok((await due()) > 3 * 3600 - 60);
      await call("POST", "/_credauth/admin/clock", { advance: "2h" });
      const left = await due();
      assert.ok(left > 3600 - 60 && left < 3600 + 60, `due in ${left} s`);
      await call("POST", "/_credauth/admin/clock", { advance: "2h" });
      assert.ok((await due()) <= 0, "due now, not in the past's past");
      await boss.deleteQueue("harness-probe");
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
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
      // The clock moved past an hour: the hourly window is over; half an hour leaves it running.
      await used();
      await call("POST", "/_credauth/admin/clock", { advance: "30m" });
      assert.equal(await used(), 3);
      await call("POST", "/_credauth/admin/clock", { advance: "1h" });
      assert.equal(await used(), 1);
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
    });

    it("injects GitHub's answers for a fault rule, counts it down, and changes nothing meanwhile", async () => {
      const added = await call("POST", "/_credauth/admin/faults", {
        method: "POST",
        path: "/enterprises/*/credential-authorizations/*/revoke",
        status: 503,
        times: 2,
      });
      assert.equal(added.statusCode, 201);
      const rule = added.json();
      assert.deepEqual(
        { ...rule, id: 0 },
        {
          id: 0,
          method: "POST",
          path: "/enterprises/*/credential-authorizations/*/revoke",
          status: 503,
          delay_ms: 0,
          times: 2,
          probability: 1,
        },
      );
      const revocations = await count("revocations");
      for (let i = 0; i < 2; i++) {
        const refused = await revokeAnn();
        assert.equal(refused.statusCode, 503);
        assert.deepEqual(
          { ...(refused.json() as object), documentation_url: "" },
          { message: "Service Unavailable", documentation_url: "", status: "503" },
        );
        assert.equal(refused.headers["x-ratelimit-used"], undefined, "not counted");
        assert.ok(refused.headers["x-github-request-id"]);
      }
      assert.equal(await count("revocations"), revocations, "nothing recorded for a faulted request");
      assert.deepEqual((await call("GET", "/_credauth/admin/faults")).json(), [], "used up, the rule is gone");
      assert.equal((await revokeAnn()).statusCode, 202, "answered for real after");
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);

      const other = await t.app.inject({
        method: "POST",
        url: "/enterprises/emu-corp/credential-authorizations/revoke-all",
        headers: bearer(t.tokens.owenClassic),
      });
      assert.notEqual(other.statusCode, 503, "the glob's * is one segment");
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
    });

    it("injects secondary and primary rate limits with the headers clients wait by, and delays", async () => {
      await call("POST", "/_credauth/admin/faults", { path: "/user", status: "secondary_rate_limit", times: 1 });
      const secondary = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) });
      assert.equal(secondary.statusCode, 403);
      assert.equal(secondary.headers["retry-after"], "60");
      assert.match(secondary.json().message, /^You have exceeded a secondary rate limit/);

      await call("POST", "/_credauth/admin/faults", { path: "/user", status: "primary_rate_limit", times: 1 });
      const primary = await t.app.inject({
        method: "GET",
        url: "/api/v3/user?x=1",
        headers: bearer(t.tokens.annClassic),
      });
      assert.equal(primary.statusCode, 403);
      assert.equal(primary.headers["x-ratelimit-remaining"], "0");
      assert.equal(primary.headers["x-ratelimit-limit"], "5000");
      assert.ok(Number(primary.headers["x-ratelimit-reset"]) > Date.now() / 1000);
      assert.match(primary.json().message, /^API rate limit exceeded for user ID \d+\./);

      await call("POST", "/_credauth/admin/faults", { path: "/user", delay_ms: 300, times: 1 });
      const delayed = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) });
      assert.equal(delayed.statusCode, 200, "a delay alone delays the real answer");
      const [entry] = (await call("GET", "/_credauth/admin/requests?path=/user&status=200")).json().slice(-1);
      assert.ok(entry.duration_ms >= 250 && entry.fault !== null, JSON.stringify(entry));
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
    });

    it("refuses fault rules that could never match or change nothing, naming the field", async () => {
      for (const [rule, field] of [
        [{ status: 418 }, "status"],
        [{ status: "500" }, "status"],
        [{ path: "user", status: 500 }, "path"],
        [{ path: "/user?x=1", status: 500 }, "path"],
        [{ method: "FETCH", status: 500 }, "method"],
        [{ delay_ms: 30_001 }, "delay_ms"],
        [{ delay_ms: 0 }, "status"],
        [{}, "status"],
        [{ status: 500, times: 0 }, "times"],
        [{ status: 500, probability: 0 }, "probability"],
        [{ status: 500, probability: 1.5 }, "probability"],
        [{ status: 500, when: "always" }, "when"],
      ] as const) {
        const r = await call("POST", "/_credauth/admin/faults", rule);
        assert.equal(r.statusCode, 422, JSON.stringify(rule));
        assert.match(r.json().message, new RegExp(`'properties/${field}'`), JSON.stringify(rule));
      }
      assert.equal((await call("DELETE", "/_credauth/admin/faults/999")).statusCode, 404);
      assert.equal((await call("DELETE", "/_credauth/admin/faults/x")).statusCode, 404);
      const added = (await call("POST", "/_credauth/admin/faults", { status: 500, probability: 0.5 })).json();
      assert.equal((await call("DELETE", `/_credauth/admin/faults/${added.id}`)).statusCode, 204);
      await call("POST", "/_credauth/admin/faults", { status: 500 });
      assert.equal((await call("DELETE", "/_credauth/admin/faults")).statusCode, 204);
      assert.deepEqual((await call("GET", "/_credauth/admin/faults")).json(), []);
    });

    it("journals every answer but its own, with who called and never a token", async () => {
      assert.equal((await call("DELETE", "/_credauth/admin/requests")).statusCode, 204);
      await annStatus();
      await revokeAnn();
      await t.app.inject({ method: "GET", url: "/user", headers: bearer("ghp_000000000000000000000000000000000000") });
      const all = await call("GET", "/_credauth/admin/requests");
      assert.equal(all.statusCode, 200);
      const journal = all.json() as {
        id: number;
        path: string;
        route: string;
        status: number;
        actor: string | null;
        token_type: string | null;
        method: string;
      }[];
      assert.deepEqual(
        journal.map((e) => [e.method, e.path, e.status, e.actor, e.token_type]),
        [
          ["GET", "/user", 200, "ann_emu", "classic_pat"],
          ["POST", REVOKE_ANN, 202, "owen_emu", "classic_pat"],
          ["GET", "/user", 401, null, null],
        ],
      );
      assert.equal(journal[1]!.route, "/enterprises/{enterprise}/credential-authorizations/{username}/revoke");
      for (const token of Object.values(t.tokens)) assert.ok(!all.body.includes(token), "no token in the journal");
      const revokes = (
        await call(
          "GET",
          "/_credauth/admin/requests?method=post&path=/enterprises/*/credential-authorizations/*/revoke",
        )
      ).json();
      assert.deepEqual(
        revokes.map((e: { id: number }) => e.id),
        [journal[1]!.id],
      );
      assert.deepEqual(
        (await call("GET", `/_credauth/admin/requests?since_id=${journal[1]!.id}`))
          .json()
          .map((e: { status: number }) => e.status),
        [401],
      );
      assert.equal((await call("GET", "/_credauth/admin/requests?status=abc")).statusCode, 422);
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
      assert.deepEqual((await call("GET", "/_credauth/admin/requests")).json(), [], "a reset empties it");
    });

    it("shows a user's credentials and authorizations as every read sees them", async () => {
      const before = (await call("GET", "/_credauth/admin/users/ANN_EMU")).json();
      assert.equal(before.login, "ann_emu");
      const classic = before.credentials.find(
        (c: { token_last_eight: string | null }) => c.token_last_eight === t.tokens.annClassic.slice(-8),
      );
      assert.equal(classic.type, "classic_pat");
      assert.equal(classic.state, "live");
      assert.ok(classic.authorizations.length > 0);
      assert.ok(
        classic.authorizations.every(
          (a: { state: string; credential_authorized_at: string }) =>
            a.state === "live" && a.credential_authorized_at.endsWith("Z"),
        ),
      );
      assert.ok(!JSON.stringify(before).includes(t.tokens.annClassic));
      assert.equal((await revokeAnn()).statusCode, 202);
      const after = (await call("GET", "/_credauth/admin/users/ann_emu")).json();
      const gone = after.credentials.find((c: { id: number }) => c.id === classic.id);
      assert.equal(gone.state, "destroyed", "from the 202 on");
      assert.ok(gone.authorizations.every((a: { state: string }) => a.state === "revoked"));
      assert.equal((await call("GET", "/_credauth/admin/users/nobody_here")).statusCode, 404);
      assert.equal((await call("POST", "/_credauth/admin/reset")).statusCode, 204);
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
      const rule = await call("POST", "/_credauth/admin/faults", { path: "/user", status: 502, times: 1 });
      assertMatches("POST", "/_credauth/admin/faults", rule);
      assertMatches("POST", "/_credauth/admin/faults", await call("POST", "/_credauth/admin/faults", { status: 1 }));
      assertMatches("GET", "/_credauth/admin/faults", await call("GET", "/_credauth/admin/faults"));
      assertMatches(
        "DELETE",
        "/_credauth/admin/faults/{id}",
        await call("DELETE", `/_credauth/admin/faults/${rule.json().id}`),
      );
      assertMatches("DELETE", "/_credauth/admin/faults", await call("DELETE", "/_credauth/admin/faults"));
      await annStatus();
      assertMatches("GET", "/_credauth/admin/requests", await call("GET", "/_credauth/admin/requests"));
      assertMatches("DELETE", "/_credauth/admin/requests", await call("DELETE", "/_credauth/admin/requests"));
      assertMatches("GET", "/_credauth/admin/users/{login}", await call("GET", "/_credauth/admin/users/ann_emu"));
      assertMatches("GET", "/_credauth/admin/users/{login}", await call("GET", "/_credauth/admin/users/nobody_here"));
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
