// Two revocations over the same rows at the same moment, on PostgreSQL (PGlite has one session, so
// nothing there can run at the same moment). The batch statements take no explicit row lock; they
// rely on the UPDATE re-checking `revoked_at is null` against a row another transaction changed
// meanwhile. This test holds such a change open, lets a whole-enterprise batch run into it, and
// checks that every row is revoked, audited and counted exactly once, by the revocation that got it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { revokeAuthorizationBatch } from "../../src/store/revocation-batches.ts";
import { findShard, planShards } from "../../src/store/revocation-shards.ts";
import { postgresBackend } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

describe("concurrent revocations on postgres", {
  skip: postgresBackend === null ? "TEST_DATABASE_URL is not set" : false,
}, () => {
  let t: TestApp;
  before(async () => (t = await startWorldApp(postgresBackend!)));
  after(() => t?.close());

  async function revoke(url: string, body: unknown): Promise<number> {
    const r = await t.app.inject({
      method: "POST",
      url,
      headers: { ...bearer(t.tokens.caraAppUser), "content-type": "application/json" },
      payload: JSON.stringify(body),
    });
    assert.equal(r.statusCode, 202, r.body);
    return Number(/(\d+)$/.exec(String(r.headers.location))![1]);
  }

  it("revokes, audits and counts a row once when a second revocation meets it mid-change", async () => {
    const db = t.app.services.db;
    const oneUser = await revoke("/enterprises/emu-corp/credential-authorizations/ann_emu/revoke", {});
    const wholeEnterprise = await revoke("/enterprises/emu-corp/credential-authorizations/revoke-all", {});
    const annRows = await db.query<{ id: number }>(
      `select a.id from credential_authorizations a join credentials c on c.id = a.credential_id join users u on u.id = c.user_id
        where u.login = 'ann_emu' and a.revoked_at is null`,
    );
    assert.ok(annRows.length >= 2, "ann has authorizations to fight over");

    // The one-user revocation's batch runs in a transaction held open until the other has started.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const holding = db.transaction(async (tx) => {
      await planShards(tx, oneUser, 1_000_000);
      const shard = (await findShard(tx, oneUser, 0))!;
      const batch = await revokeAuthorizationBatch(tx, oneUser, 1000, shard);
      assert.equal(batch.rows, annRows.length);
      await released;
    });
    const racing = performRevocation(db, wholeEnterprise, 1000);
    // Give the whole-enterprise batch time to reach ann's locked rows and wait on them.
    await waitUntil(async () => {
      const [row] = await db.query<{ waiting: number }>(
        "select count(*)::int as waiting from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
      );
      return row!.waiting > 0;
    });
    release();
    await holding;
    await racing;
    await performRevocation(db, oneUser, 1000);

    const owners = await db.query<{ revoked_by_revocation_id: number }>(
      "select revoked_by_revocation_id from credential_authorizations where id = any($1::bigint[])",
      [annRows.map((r) => r.id)],
    );
    assert.deepEqual(
      new Set(owners.map((r) => Number(r.revoked_by_revocation_id))),
      new Set([oneUser]),
      "the first to commit owns ann's rows",
    );
    const [events] = await db.query<{ per_row: number[]; whole: number }>(
      `select array_agg(n order by subject_id) as per_row,
              (select count(*)::int from audit_events where revocation_id = $2 and subject_id = any($1::bigint[])) as whole
         from (select subject_id, count(*)::int as n from audit_events
                where action = 'org_credential_authorization.revoke' and subject_id = any($1::bigint[]) group by subject_id) e`,
      [annRows.map((r) => r.id), wholeEnterprise],
    );
    assert.deepEqual(
      events!.per_row,
      annRows.map(() => 1),
      "one revoke event per row",
    );
    assert.equal(events!.whole, 0, "none of them from the revocation that lost the race");
    const [counted] = await db.query<{ counted: number; actual: number }>(
      `select (select coalesce(sum(count), 0)::int from revocation_counts where revocation_id = $1 and effect = 'authorization_revoked') as counted,
              (select count(*)::int from credential_authorizations where revoked_by_revocation_id = $1) as actual`,
      [wholeEnterprise],
    );
    assert.equal(counted!.counted, counted!.actual, "the counts match the rows the revocation changed");
    assert.ok(counted!.actual > 0);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
