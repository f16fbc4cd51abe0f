// A revocation aimed at one user is performed and settled in the transaction that starts its
// attempt: no shards, nothing half done if it fails, the attempt counted all the same.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { startRevocationAttempt } from "../../src/store/revocation-requests.ts";
import { listUnfinishedShards, planShards } from "../../src/store/revocation-shards.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, requestRevocation, startWorldApp, type TestApp } from "../helpers/world.ts";

for (const backend of backends()) {
  describe(`a one-user revocation's job on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    /** What a revocation has done so far, as the database holds it. */
    const progressOf = async (id: number) => {
      const [row] = await t.app.services.db.query<{
        state: string;
        attempts: number;
        shards: number;
        revoked: number;
        destroyed: number;
        counted: number;
        events: number;
      }>(
        `select r.state, r.attempts,
                (select count(*)::int from revocation_shards where revocation_id = r.id) as shards,
                (select count(*)::int from credential_authorizations where revoked_by_revocation_id = r.id) as revoked,
                (select count(*)::int from credentials where destroyed_by_revocation_id = r.id) as destroyed,
                (select coalesce(sum(count), 0)::int from revocation_counts where revocation_id = r.id) as counted,
                (select count(*)::int from audit_events where revocation_id = r.id) as events
           from revocations r where r.id = $1`,
        [id],
      );
      return row!;
    };

    it("revokes, destroys and settles in one transaction, in batches, without planning shards", async () => {
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/ann_emu/revoke",
        t.tokens.owenClassic,
        { revoke_credentials: true },
      );
      // Batches of one row: every phase takes several batches, all in the one transaction.
      await performRevocation(t.app.services.db, id, 1);
      const done = await progressOf(id);
      assert.equal(done.state, "succeeded");
      assert.equal(done.attempts, 1);
      assert.equal(done.shards, 0, "no shard was planned");
      assert.ok(done.revoked > 1 && done.destroyed > 1, "both phases took several batches");
      assert.equal(done.counted, done.revoked + done.destroyed, "the counts cover every row");
      const refused = await t.app.inject({ method: "GET", url: "/user", headers: bearer(t.tokens.annClassic) });
      assert.equal(refused.statusCode, 401, "ann's destroyed token is refused");
    });

    it("leaves nothing half done when it fails, counts the attempt, and succeeds when run again", async () => {
      const { db } = t.app.services;
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
        t.tokens.owenClassic,
        { revoke_credentials: true },
      );
      // The destroying phase fails after the authorizations' phase has run in the same transaction.
      await db.exec(`create function refuse_destroying() returns trigger language plpgsql as $$
          begin raise exception 'refused for the test'; end $$;
        create trigger refuse_destroying before update of destroyed_at on credentials
          for each row execute function refuse_destroying();`);
      try {
        await assert.rejects(performRevocation(db, id, 2), /refused for the test/);
      } finally {
        await db.exec("drop trigger refuse_destroying on credentials; drop function refuse_destroying();");
      }
      const failed = await progressOf(id);
      assert.deepEqual(
        { ...failed },
        { state: "running", attempts: 1, shards: 0, revoked: 0, destroyed: 0, counted: 0, events: 0 },
      );

      await performRevocation(db, id, 2);
      const done = await progressOf(id);
      assert.equal(done.state, "succeeded");
      assert.equal(done.attempts, 2);
      assert.ok(done.revoked > 0 && done.destroyed > 0);
      assert.equal(done.counted, done.revoked + done.destroyed);
    });

    it("goes on with the shards an earlier attempt planned", async () => {
      const { db } = t.app.services;
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/oscar_emu/revoke",
        t.tokens.owenClassic,
      );
      // As an earlier version left it: attempt started, shards planned, none performed.
      await startRevocationAttempt(db, id);
      await db.transaction((tx) => planShards(tx, id, 1_000_000));
      assert.ok((await listUnfinishedShards(db, id)).length > 0);

      await performRevocation(db, id, 2);
      const done = await progressOf(id);
      assert.equal(done.state, "succeeded");
      assert.equal(done.attempts, 2);
      assert.ok(done.shards > 0 && done.revoked > 0);
      assert.deepEqual(await listUnfinishedShards(db, id), []);
    });
  });
}
