// The statement that settles a revocation reads what it revoked and destroyed by the revocation's
// id, never joined to the people it emails: right after a large revocation the statistics still
// say no row carries that id, and a join to the recipients became a loop over them for every
// credential (2.9 s instead of 0.3 at 4,000 users: docs/performance.md).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { performRevocation } from "../../src/jobs/revocation-job.ts";
import { SETTLE_SUCCEEDED } from "../../src/store/revocation-requests.ts";
import { backends } from "../helpers/backends.ts";
import { requestRevocation, startWorldApp, type TestApp } from "../helpers/world.ts";

for (const backend of backends()) {
  describe(`the settling statement's plan on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    it("reads the recipients once, for the emails alone, not beside each credential", async () => {
      const { db } = t.app.services;
      const id = await requestRevocation(
        t,
        "/enterprises/emu-corp/credential-authorizations/revoke-all",
        t.tokens.owenClassic,
        { revoke_credentials: true },
      );
      await performRevocation(db, id, 100);
      const plan = await db.transaction((tx) =>
        tx.query<{ "QUERY PLAN": string }>(`explain (costs off) ${SETTLE_SUCCEEDED}`, [id]),
      );
      const lines = plan.map((row) => row["QUERY PLAN"]);
      assert.ok(lines.length > 10, "a plan came back");
      // Used once, the recipients are inlined (one scan of the audit events); joined to what was
      // revoked and destroyed as well, they were a CTE scanned three times.
      const auditScans = lines.filter((line) => /Scan.* on audit_events/.test(line));
      const recipientScans = lines.filter((line) => /CTE Scan on recipients/.test(line));
      assert.equal(auditScans.length, 1, lines.join("\n"));
      assert.ok(recipientScans.length <= 1, lines.join("\n"));
    });
  });
}
