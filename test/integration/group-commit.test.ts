// Revocation requests that arrive together are accepted together (jobs/revocation-job.ts): one
// transaction for a group, each request still its own revocation and job, and one request's
// failure its own. On every backend.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashToken } from "../../src/domain/tokens.ts";
import { type RevocationRequest, requestRevocation } from "../../src/jobs/revocation-job.ts";
import { backends } from "../helpers/backends.ts";
import { bearer, startWorldApp, type TestApp } from "../helpers/world.ts";

const silent = { info() {}, warn() {} };

for (const backend of backends()) {
  describe(`group commit of revocation requests on ${backend.name}`, () => {
    let t: TestApp;
    before(async () => (t = await startWorldApp(backend)));
    after(() => t.close());

    it("accepts concurrent requests in fewer transactions, each with its own revocation and job", async () => {
      const db = t.app.services.db;
      const users = ["ann_emu", "gwen_emu", "oscar_emu", "mel_emu"];
      const before = db.writesCommitted();
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          t.app.inject({
            method: "POST",
            url: `/enterprises/emu-corp/credential-authorizations/${users[i % users.length]}/revoke`,
            // With a body, as clients send one: reading it takes a turn of the event loop.
            headers: { ...bearer(t.tokens.owenClassic), "content-type": "application/json" },
            payload: "{}",
          }),
        ),
      );
      const transactions = db.writesCommitted() - before;
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        Array(16).fill(202),
      );
      const ids = answers.map((a) => Number(/(\d+)$/.exec(String(a.headers.location))![1]));
      assert.equal(new Set(ids).size, 16, "sixteen revocations");
      // Embedded, the requests' statements never yield to I/O: only the intake's turn of the event
      // loop lets them group, so this shows that turn. On PostgreSQL, how many arrive while a group
      // commits depends on round-trip timing; the next test shows grouping there exactly.
      if (backend.name === "pglite") assert.ok(transactions <= 8, `16 requests took ${transactions} transactions`);
      const [jobs] = await db.query<{ n: number }>(
        "select count(distinct singleton_key)::int as n from pgboss.job where singleton_key = any($1::text[])",
        [ids.map((id) => `revocation-${id}`)],
      );
      assert.equal(jobs?.n, 16, "each revocation has its job");
      const targets = await db.query<{ login: string; n: number }>(
        "select target_login as login, count(*)::int as n from revocations where id = any($1::bigint[]) group by 1 order by 1",
        [ids],
      );
      assert.deepEqual(
        targets.map((r) => [r.login, r.n]),
        users.toSorted().map((login) => [login, 4]),
      );
    });

    it("accepts the requests that reach it in one turn of the event loop in one transaction", async () => {
      const principal = await t.app.services.reads.principal(hashToken(t.tokens.owenClassic));
      assert.ok(principal);
      const [enterprise] = await t.app.services.db.query<{ id: number }>(
        "select id from enterprises where slug = 'emu-corp'",
      );
      const services = t.app.services;
      const before = services.db.writesCommitted();
      const accepted = await Promise.all(
        Array.from({ length: 16 }, () =>
          requestRevocation(
            services,
            {
              principal,
              form: "all",
              scopeName: "emu-corp",
              targetLogin: null,
              scope: {
                enterpriseId: enterprise!.id,
                organizationId: null,
                targetUserId: null,
                credentialType: null,
                revokeCredentials: false,
                exemptUserId: null,
              },
            },
            silent,
          ),
        ),
      );
      assert.equal(new Set(accepted.map((a) => a.revocationId)).size, 16);
      assert.equal(services.db.writesCommitted() - before, 1, "one transaction for the sixteen");
    });

    it("fails one request of a group alone", async () => {
      const principal = await t.app.services.reads.principal(hashToken(t.tokens.owenClassic));
      assert.ok(principal);
      const [enterprise] = await t.app.services.db.query<{ id: number }>(
        "select id from enterprises where slug = 'emu-corp'",
      );
      const request = (enterpriseId: number): RevocationRequest => ({
        principal,
        form: "all",
        scopeName: "emu-corp",
        targetLogin: null,
        scope: {
          enterpriseId,
          organizationId: null,
          targetUserId: null,
          credentialType: null,
          revokeCredentials: false,
          exemptUserId: null,
        },
      });
      const services = t.app.services;
      // The second names an enterprise that is not there: its insert breaks a foreign key.
      const outcomes = await Promise.allSettled(
        [enterprise!.id, 999_999, enterprise!.id, enterprise!.id].map((id) =>
          requestRevocation(services, request(id), silent),
        ),
      );
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ["fulfilled", "rejected", "fulfilled", "fulfilled"],
      );
      const ids = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.revocationId] : []));
      const [kept] = await services.db.query<{ n: number }>(
        "select count(*)::int as n from revocations where id = any($1::bigint[])",
        [ids],
      );
      assert.equal(kept?.n, 3, "the others were accepted and kept");
    });
  });
}
