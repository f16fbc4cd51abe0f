// The one clock moved (store/clock.ts — what a test harness does) moves every rule at once: a
// token's expiry, the times an authorization, a revocation and an audit event record, and SQL's
// defaults; nothing in the schema reads the time but through credauth_now(), heartbeats and
// migration bookkeeping apart (test/unit/one-clock.test.ts does the same for the code).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseFixture } from "../../src/domain/fixture.ts";
import { generateToken } from "../../src/domain/tokens.ts";
import { setClockOffset } from "../../src/store/clock.ts";
import { applyFixture } from "../../src/store/seed.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

for (const backend of backends()) {
  describe(`one clock on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(async () => {
      await setClockOffset(t.app.services.db, t.app.services.clock, 0);
      await t.close();
    });

    it("reads the time in the schema only through credauth_now(), heartbeats and migration bookkeeping apart", async () => {
      const defaults = await t.app.services.db.query<{ column: string }>(
        `select table_name || '.' || column_name as column from information_schema.columns
          where table_schema = 'public'
            and (column_default like '%clock_timestamp()%' or column_default ~ '(^|[^_])now\\(\\)')
          order by 1`,
      );
      assert.deepEqual(
        defaults.map((row) => row.column),
        ["credauth_cache_members.heartbeat_at", "credauth_migrations.applied_at"],
      );
    });

    it("moved ten days on, expires a token due in five, and stamps what happens then with the moved time", async () => {
      const { db, clock } = t.app.services;
      const token = generateToken("classic_pat");
      const fixture = {
        users: [
          {
            login: "time_keeper",
            credentials: [{ type: "classic_pat", token, expires_at: new Date(Date.now() + 5 * DAY_MS).toISOString() }],
          },
        ],
      };
      await applyFixture(db, parseFixture(JSON.stringify(fixture), "clock.json"));
      const me = () => t.app.inject({ method: "GET", url: "/user", headers: bearer(token) });
      assert.equal((await me()).statusCode, 200, "not expired yet");

      await setClockOffset(db, clock, 10 * DAY_MS);
      assert.equal((await me()).statusCode, 401, "expired on the moved clock");
      const [sql] = await db.query<{ ahead_ms: number }>(
        "select extract(epoch from credauth_now() - clock_timestamp())::float8 * 1000 as ahead_ms",
      );
      assert.ok(Math.abs(sql!.ahead_ms - 10 * DAY_MS) < 60_000, `SQL is ${sql!.ahead_ms} ms ahead`);

      const r = await t.app.inject({
        method: "POST",
        url: "/orgs/classic-eng/credential-authorizations/revoke-all",
        headers: bearer(t.tokens.cleoClassic),
      });
      assert.equal(r.statusCode, 202, r.body);
      // A grant now: its authorization and audit event are stamped by the database's defaults.
      const later = {
        users: [{ login: "late_comer", credentials: [{ type: "classic_pat", authorized_orgs: ["classic-eng"] }] }],
      };
      await applyFixture(db, parseFixture(JSON.stringify(later), "later.json"));
      const [stamps] = await db.query<{ requested_at: Date; authorized_at: Date; audited_at: Date }>(
        `select (select max(requested_at) from revocations) as requested_at,
                (select max(authorized_at) from credential_authorizations) as authorized_at,
                (select max(created_at) from audit_events) as audited_at`,
      );
      for (const [what, at] of Object.entries(stamps!)) {
        const ahead = (at as Date).getTime() - Date.now();
        assert.ok(Math.abs(ahead - 10 * DAY_MS) < 60_000, `${what} is ${ahead} ms ahead of real time`);
      }
    });
  });
}
