// A revocation aimed at one user is performed and settled in the transaction that starts its
// attempt: no shards, nothing half done if it fails, the attempt counted all the same.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performRevocation, REVOCATION_QUEUE, scheduleRevocations } from "../../src/jobs/revocation-job.ts";
import { insertRevocations, startRevocationAttempt } from "../../src/store/revocation-requests.ts";
import { listUnfinishedShards, planShards } from "../../src/store/revocation-shards.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, requestRevocation, settledJob, startWorldApp, type TestApp } from "../helpers/world.ts";

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
  describe(`the worker's revocation jobs on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend, { runWorker: true })));
    after(() => t.close());

    it("takes the jobs of requests accepted together in one fetch, and settles each", async () => {
      const { db, boss } = t.app.services;
      const logins = ["ann_emu", "gwen_emu", "oscar_emu", "mel_emu"];
      const [owner] = await db.query<{ user_id: number; credential_id: number; enterprise_id: number }>(
        `select u.id as user_id, c.id as credential_id, e.id as enterprise_id
           from users u join credentials c on c.user_id = u.id join enterprises e on e.slug = 'emu-corp'
          where u.login = 'owen_emu' order by c.id limit 1`,
      );
      const targets = await db.query<{ id: number }>("select id from users where login = any($1::text[])", [logins]);
      // As the intake accepts requests that arrive together: their rows and jobs in one commit.
      const ids = await db.transaction(async (tx) => {
        const inserted = await insertRevocations(
          tx,
          targets.map((target) => ({
            scope: {
              enterpriseId: owner!.enterprise_id,
              organizationId: null,
              targetUserId: target.id,
              credentialType: null,
              revokeCredentials: false,
              exemptUserId: null,
            },
            requester: { userId: owner!.user_id, credentialId: owner!.credential_id },
          })),
        );
        await scheduleRevocations(
          boss,
          tx,
          inserted.map(({ id }) => id),
        );
        return inserted.map(({ id }) => id);
      });
      for (const id of ids) assert.equal((await settledJob(t, id, t.tokens.owenClassic)).state, "succeeded");
      const fetches = await t.app.services.db.query<{ started_on: string; state: string }>(
        `select started_on::text, state from pgboss.job
          where name = $1 and (data->>'revocationId')::bigint = any($2::bigint[])`,
        [REVOCATION_QUEUE, ids],
      );
      assert.equal(fetches.length, logins.length);
      assert.ok(fetches.every((job) => job.state === "completed"));
      // A fetch starts its jobs with its own statement's time: one time, one fetch.
      assert.equal(new Set(fetches.map((job) => job.started_on)).size, 1, JSON.stringify(fetches));
    });
  });
}
