// What the server says about a revocation: requested, started, progress, succeeded or failed, each
// line with its revocation id and counts — read from the log lines the app really writes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performShard, SHARD_QUEUE } from "../../src/jobs/revocation-job.ts";
import { logSettled, ProgressLog } from "../../src/jobs/revocation-log.ts";
import { failRevocation, startRevocationAttempt } from "../../src/store/revocation-requests.ts";
import { listUnfinishedShards, planShards } from "../../src/store/revocation-shards.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, requestRevocation, settledJob, startWorldApp, type TestApp } from "../helpers/world.ts";

interface Line {
  msg: string;
  level: number;
  [field: string]: unknown;
}

function recorder() {
  const lines: Line[] = [];
  return {
    lines,
    stream: { write: (text: string) => void lines.push(JSON.parse(text) as Line) },
    about: (revocationId: number) => lines.filter((line) => line.revocationId === revocationId),
  };
}

/** The shard jobs queued for a revocation (pg-boss keeps completed jobs for a while). */
async function shardJobsOf(t: TestApp, revocationId: number): Promise<string[]> {
  const rows = await t.app.services.db.query<{ state: string }>(
    "select state from pgboss.job where name = $1 and (data->>'revocationId')::bigint = $2",
    [SHARD_QUEUE, revocationId],
  );
  return rows.map((row) => row.state);
}

for (const backend of backends()) {
  describe(`the revocation lifecycle in the log on ${backend.name}`, () => {
    let t: TestApp;
    const log = recorder();
    before(async () => (t = await startWorldApp(backend, { runWorker: true, logStream: log.stream })));
    after(() => t.close());

    it("logs requested, started and succeeded, with names, counts and duration", async () => {
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/gwen_emu/revoke",
        t.tokens.owenClassic,
        { revoke_credentials: true },
      );
      const job = await settledJob(t, id, t.tokens.owenClassic);
      assert.equal(job.state, "succeeded");

      const lines = log.about(id);
      assert.deepEqual(
        lines.map((line) => line.msg),
        ["revocation requested", "revocation started", "revocation succeeded"],
      );
      const [requested, started, succeeded] = lines as [Line, Line, Line];
      assert.equal(requested.enterprise, "emu-corp");
      assert.equal(requested.user, "gwen_emu");
      assert.equal(requested.form, "user");
      assert.equal(requested.revokeCredentials, true);
      assert.equal(requested.requester, "owen_emu");
      assert.equal(typeof requested.reqId, "string", "the request's id ties the line to the 202");
      assert.equal(started.attempt, 1);
      assert.equal(started.shards, 0, "a one-user revocation is performed whole, without shards");
      assert.equal(succeeded.authorizationsRevoked, job.counts.authorizations_revoked.total);
      assert.equal(succeeded.credentialsDestroyed, job.counts.credentials_destroyed.total);
      assert.ok(Number(succeeded.credentialsDestroyed) > 0, "gwen's PATs were destroyed");
      assert.ok(Number(succeeded.durationMs) >= 0);
      assert.ok(lines.every((line) => line.level === 30));
      assert.ok(!JSON.stringify(log.lines).includes(t.tokens.owenClassic), "no token in any line");
      assert.deepEqual(await shardJobsOf(t, id), [], "a one-user revocation queues no shard jobs");
    });

    it("logs an organization's revocation under its organization", async () => {
      const id = await requestRevocation(
        t,
        "/orgs/classic-eng/credential-authorizations/revoke-all",
        t.tokens.cleoClassic,
      );
      await settledJob(t, id, t.tokens.cleoClassic);
      assert.ok((await shardJobsOf(t, id)).length > 0, "an organization's revoke-all queues its shards");
      const [requested, started, succeeded] = log.about(id) as [Line, Line, Line];
      assert.equal(started.shards, (await shardJobsOf(t, id)).length, "the started line counts them");
      assert.equal(requested.organization, "classic-eng");
      assert.equal(requested.enterprise, undefined);
      assert.equal(succeeded.msg, "revocation succeeded");
      assert.equal(succeeded.organization, "classic-eng");
    });
  });

  describe(`revocation progress and failure lines on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    it("logs progress once per interval with the whole revocation's counts, not every batch", async () => {
      const id = await requestRevocation(
        t,
        "/enterprises/classic-corp/credential-authorizations/revoke-all",
        t.tokens.tedClassic,
      );
      const { db } = t.app.services;
      await startRevocationAttempt(db, id);
      await db.transaction((tx) => planShards(tx, id, 1_000_000));

      // A clock that moves 4 s per reading against an interval of 10 s: a line every third batch.
      const lines: Line[] = [];
      let clock = 0;
      const progress = new ProgressLog(
        db,
        { info: (details, msg) => lines.push({ ...details, msg, level: 30 }), error: () => {} },
        10,
        () => (clock += 4000),
      );
      let batches = 0;
      const onBatch = async () => {
        batches++;
        await progress.batchDone(id);
      };
      for (const shard of await listUnfinishedShards(db, id)) await performShard(db, id, shard, 1, { onBatch });

      assert.ok(batches >= 5, `enough batches to log more than once (${batches})`);
      assert.equal(lines.length, Math.floor((batches - 1) / 3));
      const revoked = lines.map((line) => Number(line.authorizationsRevoked));
      // Batches walk id ranges, and not every range holds a row in scope: counts never shrink, and grow overall.
      assert.ok(
        revoked.every((n, i) => i === 0 || n >= revoked[i - 1]!) && revoked.at(-1)! > revoked[0]!,
        `counts grow: ${revoked}`,
      );
      for (const line of lines) {
        assert.equal(line.msg, "revocation progress");
        assert.equal(line.revocationId, id);
        assert.equal(line.enterprise, "classic-corp");
        assert.ok(Number(line.shards) >= 1);
      }
    });

    it("logs a failed revocation at error level with its error, counts and duration", async () => {
      const r = await t.app.inject({
        method: "POST",
        url: "/enterprises/classic-corp/credential-authorizations/pat/revoke",
        headers: bearer(t.tokens.tedClassic),
      });
      const id = Number(/(\d+)$/.exec(String(r.headers.location))![1]);
      await failRevocation(t.app.services.db, id, "the database went away");
      const errors: Line[] = [];
      await logSettled(
        t.app.services.db,
        {
          info: () => assert.fail("a failure is not info"),
          error: (details, msg) => errors.push({ ...details, msg, level: 50 }),
        },
        id,
      );
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.msg, "revocation failed");
      assert.equal(errors[0]!.error, "the database went away");
      assert.equal(errors[0]!.user, "pat");
      assert.equal(errors[0]!.authorizationsRevoked, 0);
      assert.ok(Number(errors[0]!.durationMs) >= 0);
    });
  });
}
